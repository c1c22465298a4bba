"""Issuing the label record when an application is granted, and reading labels."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.applications.models import Application, ApplicationStatus
from registry.audit.services import Actor, record_event
from registry.config import public_host
from registry.database import utcnow
from registry.dates import add_months
from registry.keys.services import root_key, signing_key_for
from registry.labels import lifecycle
from registry.labels.models import CertificateCounter, Label, LabelStatus
from registry.labels.searchtext import label_search_text
from registry.labels.tokens import allocate_status_entry, sign_label
from registry.schemes.definition import Grade
from registry.verifier.format import LABEL_ID_BYTES, b64url


def grade_for(grades: Sequence[Grade], footprint: Decimal) -> str:
    """The first band whose upper bound the footprint does not exceed; the last band is unbounded."""
    for grade in grades:
        if grade.max_kg_co2e is None or footprint <= grade.max_kg_co2e:
            return grade.code
    raise ValueError("the scheme's last grade must be unbounded")


def next_certificate_sequence(session: Session, body_id: int, year: int) -> int:
    """The body's next number for the year, allocated inside the caller's transaction.

    The counter row is created if missing (ON CONFLICT DO NOTHING, so two first grants cannot both insert)
    and incremented with UPDATE … RETURNING, which locks the row until the transaction ends: concurrent
    grants queue, and a rolled-back grant gives its number back, so numbers have no gaps.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(CertificateCounter).values(body_id=body_id, year=year, last_sequence=0).on_conflict_do_nothing()
    )
    sequence = session.execute(
        update(CertificateCounter)
        .where(CertificateCounter.body_id == body_id, CertificateCounter.year == year)
        .values(last_sequence=CertificateCounter.last_sequence + 1)
        .returning(CertificateCounter.last_sequence),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    return int(sequence)


def issue_label(session: Session, actor: Actor, application: Application, host: str | None = None) -> Label:
    """The label for a granted application: number, grade from the scheme's bands, validity, its status-list
    entry and its signed token, all in the caller's transaction. ``host`` is the public host the QR code names
    (default: the configured PUBLIC_HOST)."""
    if application.status is not ApplicationStatus.GRANTED:
        raise ValueError("labels are issued for granted applications only")
    assert application.declared_footprint is not None
    now = utcnow()
    today = now.date()
    spec = application.spec
    sequence = next_certificate_sequence(session, application.body_id, today.year)
    status_list, status_index = allocate_status_entry(session)
    public_id = b64url(secrets.token_bytes(LABEL_ID_BYTES))
    gtin = application.product.gtin
    label = Label(
        public_id=public_id,
        path=f"/01/{gtin}" if gtin else f"/l/{public_id}",
        status_list=status_list,
        status_index=status_index,
        certificate_number=f"CFP-{application.body.body_code}-{today.year}-{sequence:06d}",
        sequence=sequence,
        application_id=application.id,
        application_status=ApplicationStatus.GRANTED,
        product_id=application.product_id,
        holder_id=application.applicant_id,
        body_id=application.body_id,
        scheme_version_id=application.scheme_version_id,
        footprint=application.declared_footprint,
        declared_unit=application.scheme_version.declared_unit,
        grade_code=grade_for(spec.grades, application.declared_footprint),
        status=LabelStatus.VALID,
        valid_from=today,
        valid_until=add_months(today, spec.certification.validity_months),
        issued_at=now.replace(microsecond=0),
    )
    label.product, label.holder, label.body = application.product, application.applicant, application.body
    label.scheme_version = application.scheme_version
    label.search_text = label_search_text(application.product, application.applicant)
    sign_label(label, application, signing_key_for(session, actor, application.body, now), host or public_host())
    # The root key signs the status list holding the label's entry and the trust list naming its key: made (or
    # renewed) here, in the granting transaction, so that publishing them never writes.
    root_key(session)
    session.add(label)
    session.flush()
    record_event(
        session,
        actor,
        "label:issue",
        subject=label,
        organisation_id=application.body_id,
        payload={
            "certificate_number": label.certificate_number,
            "application": application.id,
            "grade": label.grade_code,
        },
    )
    lifecycle.record_issue(session, actor, label)
    # One product, one current label per scheme: a new grant (a renewal, a change, an appeal) supersedes the last.
    lifecycle.supersede_earlier(session, actor, label)
    return label


def label_for_application(session: Session, application_id: int) -> Label | None:
    return session.scalar(select(Label).where(Label.application_id == application_id))


def list_labels(session: Session, user: User) -> list[Label]:
    query = select(Label).order_by(Label.id.desc())
    if user.role is Role.APPLICANT:
        query = query.where(Label.holder_id == user.organisation_id)
    elif user.role in (Role.BODY_ADMIN, Role.VERIFIER, Role.DECISION_MAKER):
        query = query.where(Label.body_id == user.organisation_id)
    elif user.role is not Role.REGULATOR:
        return []
    return list(session.scalars(query))
