"""Creating and finding organisations. Services flush, never commit."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.audit.services import Actor, record_event
from registry.errors import ServiceError
from registry.organisations.models import Organisation, OrganisationKind
from registry.organisations.uscc import UsccError, parse_uscc
from registry.text import refuse_bidi_controls

BODY_CODE = re.compile(r"^[A-Z0-9]{2,6}$")


def validated_uscc(session: Session, raw: str) -> tuple[str, str]:
    """The normalised code and its division code, or a ServiceError naming the rule that failed."""
    try:
        parsed = parse_uscc(raw)
    except UsccError as error:
        raise ServiceError(error.message, field="uscc") from error
    taken = session.scalar(select(Organisation.id).where(Organisation.uscc == parsed.code))
    if taken is not None:
        raise ServiceError(
            _l(
                "An organisation with this unified social credit code is already registered. "
                "If it is yours, ask its administrator to invite you."
            ),
            field="uscc",
        )
    return parsed.code, parsed.division_code


def create_organisation(
    session: Session,
    actor: Actor,
    *,
    kind: OrganisationKind,
    name_zh: str,
    name_en: str | None = None,
    uscc: str | None = None,
    accreditation_number: str | None = None,
    body_code: str | None = None,
    contact_email: str | None = None,
    website: str | None = None,
    is_demo: bool = False,
) -> Organisation:
    refuse_bidi_controls(
        name_zh=name_zh,
        name_en=name_en,
        accreditation_number=accreditation_number,
        contact_email=contact_email,
        website=website,
    )
    name_zh = name_zh.strip()
    if not name_zh:
        raise ServiceError(_l("Enter the organisation's registered name in Chinese."), field="name_zh")
    code = division = None
    if uscc and uscc.strip():
        code, division = validated_uscc(session, uscc)
    elif kind is OrganisationKind.ENTERPRISE:
        raise ServiceError(_l("An enterprise needs its 18-character unified social credit code."), field="uscc")
    if kind is OrganisationKind.CERTIFICATION_BODY:
        accreditation_number, body_code = _validated_body_identifiers(session, accreditation_number, body_code)
    else:
        accreditation_number = body_code = None
    organisation = Organisation(
        kind=kind,
        name_zh=name_zh,
        name_en=(name_en or "").strip() or None,
        uscc=code,
        division_code=division,
        accreditation_number=accreditation_number,
        body_code=body_code,
        contact_email=(contact_email or "").strip().lower() or None,
        website=(website or "").strip() or None,
        is_demo=is_demo,
    )
    session.add(organisation)
    session.flush()
    record_event(
        session,
        actor,
        "organisation:create",
        subject=organisation,
        organisation_id=organisation.id,
        payload={"kind": str(kind), "name_zh": organisation.name_zh, "uscc": code},
    )
    return organisation


def _validated_body_identifiers(
    session: Session, accreditation_number: str | None, body_code: str | None
) -> tuple[str, str]:
    accreditation_number = (accreditation_number or "").strip()
    body_code = (body_code or "").strip().upper()
    if not accreditation_number:
        raise ServiceError(
            _l("Enter the certification body's accreditation (approval) number."), field="accreditation_number"
        )
    if not BODY_CODE.match(body_code):
        raise ServiceError(
            _l(
                "The short code must be 2 to 6 letters A-Z or digits; it appears in certificate numbers and signed labels."
            ),
            field="body_code",
        )
    if session.scalar(select(Organisation.id).where(Organisation.accreditation_number == accreditation_number)):
        raise ServiceError(_l("This accreditation number is already registered."), field="accreditation_number")
    if session.scalar(select(Organisation.id).where(Organisation.body_code == body_code)):
        raise ServiceError(_l("This short code is already used by another certification body."), field="body_code")
    return accreditation_number, body_code


def list_organisations(
    session: Session, *, kind: OrganisationKind | None = None, query: str | None = None
) -> list[Organisation]:
    statement = select(Organisation).order_by(Organisation.kind, Organisation.name_zh)
    if kind is not None:
        statement = statement.where(Organisation.kind == kind)
    if query:
        like = f"%{query.strip().lower()}%"
        statement = statement.where(
            func.lower(Organisation.name_zh).like(like)
            | func.lower(func.coalesce(Organisation.name_en, "")).like(like)
            | func.lower(func.coalesce(Organisation.uscc, "")).like(like)
        )
    return list(session.scalars(statement))


def count_by_kind(session: Session) -> dict[OrganisationKind, int]:
    rows = session.execute(select(Organisation.kind, func.count()).group_by(Organisation.kind))
    counts = dict.fromkeys(OrganisationKind, 0)
    for kind, count in rows:
        counts[OrganisationKind(kind)] = count
    return counts
