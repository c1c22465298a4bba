"""The demo data set: fictional organisations (marked as demo everywhere) and one account per role.

Loading is idempotent: records are looked up by their natural keys (USCC, body code, e-mail, GTIN) and only
missing ones are added. Demo accounts can sign in only while DEMO_MODE is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.accounts.services import create_user
from registry.audit.services import Actor
from registry.notifications.services import drop_queued_mail
from registry.organisations.models import Organisation, OrganisationKind
from registry.organisations.services import create_organisation
from registry.organisations.uscc import organisation_code_check_character, uscc_check_character
from registry.products.gtin import gtin_check_digit
from registry.products.models import Product
from registry.products.services import ProductDetails, create_product

DEMO_PASSWORD = "demo-password-2026"


def demo_uscc(division: str, organisation_body: str) -> str:
    """A well-formed but fictional code: enterprise (9, 1), the given division, a checked organisation code."""
    organisation_code = organisation_body + organisation_code_check_character(organisation_body)
    first17 = "91" + division + organisation_code
    return first17 + uscc_check_character(first17)


def demo_gtin(body13: str) -> str:
    return body13 + gtin_check_digit(body13)


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    kind: OrganisationKind
    name_zh: str
    name_en: str
    uscc: str | None = None
    accreditation_number: str | None = None
    body_code: str | None = None


ORGANISATIONS = [
    DemoOrganisation(
        "battery",
        OrganisationKind.ENTERPRISE,
        "鲁能示范电池有限公司（演示）",
        "Luneng Demo Battery Co., Ltd. (demo)",
        uscc=demo_uscc("370100", "MA3C0001"),
    ),
    DemoOrganisation(
        "pv",
        OrganisationKind.ENTERPRISE,
        "蜀光示范光伏科技有限公司（演示）",
        "Shuguang Demo Photovoltaic Technology Co., Ltd. (demo)",
        uscc=demo_uscc("510100", "MA6D0002"),
    ),
    DemoOrganisation(
        "steel",
        OrganisationKind.ENTERPRISE,
        "晋阳示范特钢股份有限公司（演示）",
        "Jinyang Demo Special Steel Co., Ltd. (demo)",
        uscc=demo_uscc("140100", "MA0E0003"),
    ),
    DemoOrganisation(
        "body",
        OrganisationKind.CERTIFICATION_BODY,
        "华碳示范认证中心（演示）",
        "Huatan Demo Certification Centre (demo)",
        uscc=demo_uscc("110000", "MA0F0004"),
        accreditation_number="DEMO-CNCA-R-2026-001",
        body_code="HTDEMO",
    ),
    DemoOrganisation(
        "body2",
        OrganisationKind.CERTIFICATION_BODY,
        "蓉城示范检验认证有限公司（演示）",
        "Rongcheng Demo Inspection and Certification Co., Ltd. (demo)",
        uscc=demo_uscc("510100", "MA6G0005"),
        accreditation_number="DEMO-CNCA-R-2026-002",
        body_code="RCDEMO",
    ),
    DemoOrganisation(
        "regulator",
        OrganisationKind.REGULATOR,
        "示范市市场监督管理局（演示）",
        "Demo City Administration for Market Regulation (demo)",
    ),
    DemoOrganisation("platform", OrganisationKind.PLATFORM, "示范电商平台（演示）", "Demo E-commerce Platform (demo)"),
]

# (e-mail, name, role, organisation key or None)
USERS = [
    ("applicant@example.com", "王芳（演示）", Role.APPLICANT, "battery"),
    ("applicant.pv@example.com", "李强（演示）", Role.APPLICANT, "pv"),
    ("applicant.steel@example.com", "赵磊（演示）", Role.APPLICANT, "steel"),
    ("body.admin@example.com", "陈静（演示）", Role.BODY_ADMIN, "body"),
    ("verifier@example.com", "刘洋（演示）", Role.VERIFIER, "body"),
    ("decision@example.com", "张敏（演示）", Role.DECISION_MAKER, "body"),
    ("decision2@example.com", "黄涛（演示）", Role.DECISION_MAKER, "body"),
    ("body2.admin@example.com", "杨帆（演示）", Role.BODY_ADMIN, "body2"),
    ("regulator@example.com", "周红（演示）", Role.REGULATOR, "regulator"),
    ("admin@example.com", "系统管理员（演示）", Role.SITE_ADMIN, None),
]

# (organisation key, category, name zh, name en, model, trademark, factory, GTIN body or None)
PRODUCTS = [
    (
        "battery",
        "li-battery",
        "储能用磷酸铁锂电池模组",
        "LFP energy-storage battery module",
        "LN-ESS-280Ah-51.2V",
        "鲁能示范",
        "山东省济南市示范工业园 1 号厂房",
        "200000000001",
    ),
    (
        "battery",
        "li-battery",
        "电动自行车用锂离子电池组",
        "Lithium-ion battery pack for e-bikes",
        "LN-EB-48V20Ah",
        "鲁能示范",
        "山东省济南市示范工业园 2 号厂房",
        None,
    ),
    (
        "battery",
        "li-battery",
        "户用储能电池包",
        "Home energy-storage battery pack",
        "LN-HS-10kWh",
        "鲁能示范",
        "山东省济南市示范工业园 1 号厂房",
        "200000000003",
    ),
    (
        "battery",
        "li-battery",
        "通信基站用磷酸铁锂电池",
        "LFP battery for telecom base stations",
        "LN-TC-48V100Ah",
        "鲁能示范",
        "山东省济南市示范工业园 2 号厂房",
        "200000000004",
    ),
    (
        "battery",
        "li-battery",
        "电动工具锂电池包",
        "Power-tool lithium battery pack",
        "LN-PT-18V4Ah",
        "鲁能示范",
        "山东省济南市示范工业园 3 号厂房",
        None,
    ),
    (
        "pv",
        "pv-module",
        "单晶硅双面光伏组件",
        "Bifacial monocrystalline PV module",
        "SG-M72-580W",
        "蜀光示范",
        "四川省成都市示范光伏产业园",
        "200000000002",
    ),
    (
        "steel",
        "steel",
        "热轧带肋钢筋",
        "Hot-rolled ribbed steel bar",
        "HRB400E Φ16",
        "晋阳示范",
        "山西省太原市示范钢铁基地",
        None,
    ),
]


def load_demo_data(session: Session, *, upload_dir: Path | None = None) -> int:
    """Add whatever part of the demo data set is missing; returns the number of records added.

    With ``upload_dir`` (where application documents are stored) it also adds the demo applications, in
    every status of the workflow, unless the demo enterprises already have applications.
    """
    actor = Actor.system()
    added = 0
    organisations: dict[str, Organisation] = {}
    for spec in ORGANISATIONS:
        existing = session.scalar(
            select(Organisation).where(Organisation.is_demo.is_(True), Organisation.name_zh == spec.name_zh)
        )
        if existing is None:
            existing = create_organisation(
                session,
                actor,
                kind=spec.kind,
                name_zh=spec.name_zh,
                name_en=spec.name_en,
                uscc=spec.uscc,
                accreditation_number=spec.accreditation_number,
                body_code=spec.body_code,
                is_demo=True,
            )
            added += 1
        organisations[spec.key] = existing
    for email, name, role, key in USERS:
        if session.scalar(select(User.id).where(User.email == email)) is None:
            create_user(
                session,
                actor,
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                role=role,
                organisation=organisations[key] if key else None,
                is_demo=True,
            )
            added += 1
    for key, category, name_zh, name_en, model, trademark, factory, gtin_body in PRODUCTS:
        organisation = organisations[key]
        exists = session.scalar(
            select(Product.id).where(
                Product.organisation_id == organisation.id, Product.name_zh == name_zh, Product.model == model
            )
        )
        if exists is None:
            create_product(
                session,
                actor,
                organisation,
                ProductDetails(
                    category_code=category,
                    name_zh=name_zh,
                    name_en=name_en,
                    model=model,
                    trademark=trademark,
                    factory=factory,
                    gtin=demo_gtin("0" + gtin_body) if gtin_body else None,
                ),
            )
            added += 1
    if upload_dir is not None:
        from registry.demo.applications import load_demo_applications

        added += load_demo_applications(session, upload_dir)
    # The workflow queued e-mail for the demo's fictional people: nobody is told, whoever commits.
    drop_queued_mail(session)
    return added


def demo_logins() -> list[tuple[str, str]]:
    """(e-mail, role) for the terminal, where there is no reader's language to translate into."""
    return [(email, role.value) for email, _name, role, _key in USERS]
