"""Renewal and change reports (registry.applications.services.renewal): a new application of its kind for the same
product, scheme and body, prefilled, that supersedes the old label when granted and leaves it valid when refused;
and expiry under a moved clock."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.applications.models import ApplicationKind, ApplicationStatus, ChangeKind, Outcome
from registry.applications.services import applicant, renewal
from registry.applications.services.decisions import decide_application
from registry.audit.services import Actor
from registry.demo.applications import STUDY_REPORT, Team, drive_to
from registry.errors import ServiceError
from registry.labels import lifecycle
from registry.labels.models import Label, LabelStatus
from registry.supervision import services as supervision

S = ApplicationStatus


def china_noon(day: date) -> datetime:
    return datetime.combine(day, time(4, 0), tzinfo=UTC)


@pytest.fixture
def team(session: Session) -> Team:
    return Team.demo(session)


@pytest.fixture
def label(session: Session, team: Team) -> Label:
    """A valid demo label held by the demo applicant's enterprise."""
    assert team.applicant.user is not None
    found = session.scalars(
        select(Label)
        .where(Label.holder_id == team.applicant.user.organisation_id, Label.status == LabelStatus.VALID)
        .order_by(Label.id)
    ).first()
    assert found is not None
    return found


def in_window(label: Label) -> datetime:
    return china_noon(renewal.renewal_opens_on(label))


def with_documents(session: Session, team: Team, application, folder) -> None:
    """A renewal carries the footprint data over; the holder adds this period's study report and inventory."""
    for kind, name, body in (
        ("study_report", "footprint-study.pdf", STUDY_REPORT),
        ("inventory", "inventory.csv", b"stage,description,quantity,unit\nraw,material,1,kg\n"),
    ):
        applicant.upload_document(
            session,
            team.applicant,
            application,
            kind=kind,
            stream=io.BytesIO(body),
            name=name,
            folder=folder,
            max_bytes=2**20,
        )


def test_a_renewal_opens_only_in_the_last_months_of_validity(session, team, label):
    opens = renewal.renewal_opens_on(label)
    with pytest.raises(ServiceError) as early:
        renewal.open_renewal(session, team.applicant, label, now=china_noon(opens - timedelta(days=1)))
    assert early.value.status == 409 and opens.isoformat() in str(early.value)
    with pytest.raises(ServiceError) as late:
        renewal.open_renewal(session, team.applicant, label, now=china_noon(label.valid_until + timedelta(days=1)))
    assert late.value.status == 409
    application = renewal.open_renewal(session, team.applicant, label, now=china_noon(label.valid_until))
    assert application.kind is ApplicationKind.RENEWAL


def test_a_renewal_is_a_prefilled_draft_for_the_same_product_scheme_and_body(session, team, label):
    application = renewal.open_renewal(session, team.applicant, label, now=in_window(label))
    previous = label.application
    assert (application.kind, application.previous_label_id, application.status) == (
        ApplicationKind.RENEWAL,
        label.id,
        S.DRAFT,
    )
    assert (application.product_id, application.body_id, application.applicant_id) == (
        label.product_id,
        label.body_id,
        label.holder_id,
    )
    assert application.scheme_version.scheme_id == label.scheme_version.scheme_id
    assert application.declared_footprint == previous.declared_footprint
    assert application.stage_values == previous.stage_values
    assert [(line.stage, line.quantity) for line in application.lines] == [
        (line.stage, line.quantity) for line in previous.lines
    ]
    assert application.previous_label is label


def test_one_open_renewal_or_change_per_label_and_only_the_holder_opens_one(session, team, label):
    first = renewal.open_renewal(session, team.applicant, label, now=in_window(label))
    with pytest.raises(ServiceError) as twice:
        renewal.open_renewal(session, team.applicant, label, now=in_window(label))
    assert twice.value.status == 409 and first.reference in str(twice.value)
    with pytest.raises(ServiceError) as change:
        renewal.report_change(session, team.applicant, label, what="factory", description="New site in Hefei.")
    assert change.value.status == 409
    for someone in (team.admin, team.verifier, Actor.system()):
        with pytest.raises(ServiceError) as refused:
            renewal.open_renewal(session, someone, label, now=in_window(label))
        assert refused.value.status == 403
    # Withdrawn, it no longer blocks a new one.
    applicant.withdraw_application(session, team.applicant, first, reason="Opened too early.")
    assert renewal.report_change(session, team.applicant, label, what="factory", description="New site.").kind is (
        ApplicationKind.CHANGE
    )


def test_a_change_report_says_what_changed(session, team, label):
    with pytest.raises(ServiceError) as refused:
        renewal.report_change(session, team.applicant, label, what="colour", description="Blue now.")
    assert refused.value.field == "what"
    with pytest.raises(ServiceError) as refused:
        renewal.report_change(session, team.applicant, label, what="product", description="  ")
    assert refused.value.field == "description"
    application = renewal.report_change(
        session, team.applicant, label, what=ChangeKind.FOOTPRINT, description="Switched to green electricity."
    )
    assert (application.kind, application.change_kind, application.change_description) == (
        ApplicationKind.CHANGE,
        ChangeKind.FOOTPRINT,
        "Switched to green electricity.",
    )


def test_a_granted_renewal_supersedes_the_old_label_which_points_to_its_successor(session, team, label, tmp_path):
    application = renewal.open_renewal(session, team.applicant, label, now=in_window(label))
    with_documents(session, team, application, tmp_path)
    drive_to(session, team, application, S.GRANTED)
    new = session.scalar(select(Label).where(Label.application_id == application.id))
    assert new is not None and new.status is LabelStatus.VALID
    assert label.status is LabelStatus.SUPERSEDED and label.superseded_by_id == new.id
    assert new.application.previous_label_id == label.id
    row = lifecycle.history(session, label)[-1]
    assert (row.action, row.successor_id) == ("supersede", new.id)
    assert renewal.open_successor(session, label) is None


def test_a_refused_renewal_leaves_the_old_label_valid(session, team, label, tmp_path):
    application = renewal.open_renewal(session, team.applicant, label, now=in_window(label))
    with_documents(session, team, application, tmp_path)
    drive_to(session, team, application, S.REFUSED_FINAL)
    session.refresh(label)
    assert label.status is LabelStatus.VALID and label.superseded_by_id is None
    assert session.scalar(select(Label).where(Label.application_id == application.id)) is None
    # Finally refused, it is closed: the holder may try again.
    assert renewal.open_successor(session, label) is None


def test_a_granted_change_supersedes_the_label_too(session, team, label, tmp_path):
    application = renewal.report_change(
        session, team.applicant, label, what="factory", description="Production moved to the Hefei plant."
    )
    with_documents(session, team, application, tmp_path)
    drive_to(session, team, application, S.GRANTED)
    new = session.scalar(select(Label).where(Label.application_id == application.id))
    assert new is not None and label.status is LabelStatus.SUPERSEDED and label.superseded_by_id == new.id


def test_a_suspended_label_cannot_be_renewed_or_changed(session, team, label):
    lifecycle.change_status(
        session,
        label,
        lifecycle.A.SUSPEND,
        team.admin,
        reason_code="nonconformity",
        public_reason="Under investigation.",
        resolve_by=lifecycle.china_today() + timedelta(days=30),
    )
    with pytest.raises(ServiceError) as refused:
        renewal.report_change(session, team.applicant, label, what="product", description="New cells.")
    assert refused.value.status == 409


def test_a_label_expires_once_the_moved_clock_passes_its_last_day(session, label):
    """Expiry under a moved clock: the day after the label's own last day (in China), not a fixed date."""
    last_day = china_noon(label.valid_until)
    assert label not in lifecycle.expire_due(session, Actor.system(), last_day)
    expired = lifecycle.expire_due(session, Actor.system(), last_day + timedelta(days=1))
    assert label in expired and label.status is LabelStatus.EXPIRED
    assert lifecycle.history(session, label)[-1].action == "expire"


def test_a_renewal_cannot_lift_a_suspension_nobody_resolved(session, team, label, tmp_path):
    """Granting a renewal supersedes the old label; were it suspended meanwhile (by the body, or by a regulator's
    order), the grant would lift the suspension. It waits until the suspension is resolved."""
    application = renewal.open_renewal(session, team.applicant, label, now=in_window(label))
    with_documents(session, team, application, tmp_path)
    drive_to(session, team, application, S.RECOMMENDED)
    lifecycle.change_status(
        session,
        label,
        lifecycle.A.SUSPEND,
        team.admin,
        reason_code="false_data",
        public_reason="Under investigation.",
        resolve_by=lifecycle.china_today() + timedelta(days=30),
    )
    with pytest.raises(ServiceError) as refused:
        decide_application(session, team.decider, application, outcome=Outcome.GRANT, reasons="Meets the scheme.")
    assert label.certificate_number in str(refused.value) and "suspended" in str(refused.value)
    assert application.status is S.RECOMMENDED and label.status is LabelStatus.SUSPENDED

    lifecycle.change_status(
        session, label, lifecycle.A.RESTORE, team.admin, reason_code="resolved", public_reason="Data corrected."
    )
    decide_application(session, team.decider, application, outcome=Outcome.GRANT, reasons="Meets the scheme.")
    assert application.status is S.GRANTED and label.status is LabelStatus.SUPERSEDED


def test_no_label_is_granted_to_an_applicant_listed_after_it_submitted(session, team, label, tmp_path):
    application = renewal.open_renewal(session, team.applicant, label, now=in_window(label))
    with_documents(session, team, application, tmp_path)
    drive_to(session, team, application, S.RECOMMENDED)
    regulator = session.scalar(select(User).where(User.email == "regulator@example.com"))
    assert regulator is not None
    supervision.list_enterprise(
        session,
        Actor(regulator),
        label.holder,
        reason="False footprint data in three labels.",
        decision_number="国市监信〔2026〕1号",
        listed_from=lifecycle.china_today(),
        listed_until=None,
    )
    with pytest.raises(ServiceError) as refused:
        decide_application(session, team.decider, application, outcome=Outcome.GRANT, reasons="Meets the scheme.")
    assert "国市监信〔2026〕1号" in str(refused.value)
    assert application.status is S.RECOMMENDED
