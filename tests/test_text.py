"""Text that lies about its direction (registry/text.py): refused where it comes in, by the forms in both
languages and by the services behind them (which the CLI and the demo data use too)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from registry.accounts.models import Registration, Role, User
from registry.accounts.registration import register_enterprise
from registry.accounts.services import create_user
from registry.applications.models import Application, ApplicationStatus, TransitionRecord
from registry.applications.services import applicant as services, review
from registry.audit.services import Actor
from registry.demo.applications import Team
from registry.errors import ServiceError
from registry.organisations.models import Organisation, OrganisationKind
from registry.organisations.services import create_organisation
from registry.products.models import Product
from registry.products.services import ProductDetails, create_product
from registry.text import BIDI_CONTROLS, bdi, bidi_controls_in, isolate, strip_bidi_controls
from tests.conftest import login_as, post_form

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "TB-" RLO "001" displays as "TB-100"
REVERSED_MODEL = f"TB-{RLO}001"


def test_the_directional_controls_are_found_and_other_invisible_characters_are_not():
    assert bidi_controls_in(f"AB{RLO}12\u200f3{RLO}") == [RLO, "\u200f"]
    assert {f"{ord(c):04X}" for c in BIDI_CONTROLS} == {
        "061C",
        "200E",
        "200F",
        "202A",
        "202B",
        "202C",
        "202D",
        "202E",
        "2066",
        "2067",
        "2068",
        "2069",
    }
    # A zero-width joiner holds emoji together and a zero-width space only hints a line break: neither reorders.
    assert bidi_controls_in("动力电池 Battery 👩\u200d🔬 A\u200bB") == []


def test_shown_text_is_isolated_and_a_stray_pdi_cannot_end_the_isolation_early():
    # Were the stored PDI kept, it would close the isolate and leave the override after it running on.
    stored = f"AB\u2069{RLO}321"
    assert isolate(stored) == "\u2068AB321\u2069"
    assert bdi(stored) == "<bdi>AB321</bdi>"
    assert bdi("<b>&") == "<bdi>&lt;b&gt;&amp;</bdi>"
    assert bdi(None) == "" and isolate("") == ""
    assert strip_bidi_controls("A\u061cB\u200eC") == "ABC"


def _enterprise(session) -> Organisation:  # type: ignore[no-untyped-def]
    return session.scalar(select(Organisation).where(Organisation.uscc.is_not(None)).order_by(Organisation.id))


@pytest.mark.parametrize("field", ["name_zh", "name_en", "model", "trademark", "factory"])
def test_the_product_service_refuses_them_in_every_shown_field(session, field):
    details = ProductDetails(category_code="li-battery", name_zh="动力电池包", model="TB-100", name_en="Battery pack")
    setattr(details, field, REVERSED_MODEL)
    before = session.scalar(select(func.count()).select_from(Product))
    with pytest.raises(ServiceError) as refused:
        create_product(session, Actor.system(), _enterprise(session), details)
    assert refused.value.field == field
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in str(refused.value.message)
    assert session.scalar(select(func.count()).select_from(Product)) == before


@pytest.mark.parametrize("field", ["name_zh", "name_en", "accreditation_number", "website"])
def test_the_organisation_service_refuses_them(session, field):
    values = {
        "name_zh": "测试认证中心",
        "name_en": "Test body",
        "accreditation_number": "CNCA-R-2099-999",
        "body_code": "TBX",
        "website": "https://example.org",
    }
    values[field] = f"{values[field]}\u2067"
    with pytest.raises(ServiceError) as refused:
        create_organisation(session, Actor.system(), kind=OrganisationKind.CERTIFICATION_BODY, **values)
    assert refused.value.field == field and "U+2067 RIGHT-TO-LEFT ISOLATE" in str(refused.value.message)
    assert session.scalar(select(Organisation.id).where(Organisation.body_code == "TBX")) is None


def test_registration_and_accounts_refuse_them_in_company_and_person_names(session):
    base = {
        "organisation_name_zh": "测试新能源有限公司",
        "organisation_name_en": None,
        "uscc": "91350100M000100Y43",
        "name": "测试人",
        "email": "bidi@example.org",
        "password": "a long enough password",
        "valid_hours": 72,
        "confirm_link": lambda token: "https://registry.test/register/confirm#" + token,
        "sign_in_link": "https://registry.test/login",
    }
    for field in ("organisation_name_zh", "organisation_name_en", "name"):
        with pytest.raises(ServiceError) as refused:
            register_enterprise(session, Actor.system(), **{**base, field: f"测试{RLO}公司"})
        assert refused.value.field == field
    assert session.scalar(select(Organisation.id).where(Organisation.uscc == base["uscc"])) is None
    assert session.scalar(select(Registration.id).where(Registration.email == base["email"])) is None
    with pytest.raises(ServiceError) as refused:
        create_user(
            session,
            Actor.system(),
            email="bidi@example.org",
            name="李\u200f四",
            password="a long enough password",
            role=Role.APPLICANT,
            organisation=_enterprise(session),
        )
    assert refused.value.field == "name" and "U+200F RIGHT-TO-LEFT MARK" in str(refused.value.message)
    assert session.scalar(select(User.id).where(User.email == "bidi@example.org")) is None


def _application(session, status: ApplicationStatus) -> Application:  # type: ignore[no-untyped-def]
    return session.scalar(select(Application).where(Application.status == status).order_by(Application.id))


def test_the_workflow_refuses_them_in_reasons_and_activity_data(session):
    team = Team.demo(session)
    submitted = _application(session, ApplicationStatus.SUBMITTED)
    records = session.scalar(select(func.count()).select_from(TransitionRecord))
    with pytest.raises(ServiceError) as refused:
        review.return_application(session, team.admin, submitted, reason=f"Line 3 should read {REVERSED_MODEL}.")
    assert refused.value.field == "reason"
    assert submitted.status is ApplicationStatus.SUBMITTED
    assert session.scalar(select(func.count()).select_from(TransitionRecord)) == records

    draft = _application(session, ApplicationStatus.DRAFT)
    lines = len(draft.lines)
    stage = draft.definition["boundary"]["required_stages"][0]
    with pytest.raises(ServiceError) as refused:
        services.add_line(
            session,
            team.applicant,
            draft,
            services.LineData(stage, "Cells", "1", "kg", "1", "kg", f"Supplier {RLO}A", "primary"),
        )
    assert refused.value.field == "factor_source"
    assert len(draft.lines) == lines


def _product_form(**overrides: str) -> dict[str, str]:
    data = {
        "category_code": "li-battery",
        "name_zh": "动力电池包",
        "name_en": "Traction battery pack",
        "model": "TB-100",
        "trademark": "",
        "factory": "济南",
        "gtin": "",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "invisible characters that change the direction of text (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        ("zh-CN", "含有改变文字方向的不可见字符（U+202E RIGHT-TO-LEFT OVERRIDE）"),
    ],
)
def test_the_product_form_says_which_character_and_how_to_fix_it_in_the_readers_language(
    client, session, language, expected
):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    login_as(client, "applicant")
    before = session.scalar(select(func.count()).select_from(Product))
    response = post_form(client, "/products/new", _product_form(model=REVERSED_MODEL))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert expected in page
    assert ("Retype it without them" if language == "en" else "请不带这些字符重新输入") in page
    assert 'value="动力电池包"' in page  # what the person typed is kept
    assert session.scalar(select(func.count()).select_from(Product)) == before


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("zh-CN", "改变文字方向的不可见字符（U+202E"),
    ],
)
def test_the_registration_form_refuses_a_company_name_with_an_override(client, session, language, expected):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    form = {
        "organisation_name_zh": f"测试{RLO}新能源有限公司",
        "organisation_name_en": "",
        "uscc": "91350100M000100Y43",
        "name": "测试人",
        "email": "bidi.form@example.org",
        "password": "a long enough password",
        "confirm": "a long enough password",
    }
    response = post_form(client, "/register", form)
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)
    assert session.scalar(select(User.id).where(User.email == "bidi.form@example.org")) is None


def test_a_stored_reversed_model_is_isolated_in_the_new_application_forms_product_choice(client, session):
    # An <option> holds text only, so FSI … PDI does what <bdi> does elsewhere.
    applicant = session.scalar(select(User).where(User.email == "applicant@example.com"))
    product = session.scalar(
        select(Product).where(Product.organisation_id == applicant.organisation_id).order_by(Product.id)
    )
    session.execute(update(Product).where(Product.id == product.id).values(model=REVERSED_MODEL))
    session.flush()
    login_as(client, "applicant")
    page = client.get("/applications/new").get_data(as_text=True)
    assert " · \u2068TB-001\u2069</option>" in page
    assert RLO not in page


def test_the_printable_artwork_leaves_out_the_arabic_letter_mark_too():
    from registry.svg import clean

    assert clean(f"TB-\u061c{RLO}001\u200e") == "TB-001"
