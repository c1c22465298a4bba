"""Surveillance of labels (registry.surveillance.services): due dates from the scheme's interval, the due and
overdue lists, the overdue flag (once), assignment with its conflict-of-interest rules, and evaluations whose
outcome maintains the label (next date follows) or moves it through the lifecycle."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.applications.models import DeclaredRelation, Relation
from registry.audit.models import AuditEvent
from registry.audit.services import Actor
from registry.dates import add_months
from registry.errors import ServiceError
from registry.labels import lifecycle
from registry.labels.lifecycle import china_today
from registry.labels.models import Label, LabelCapacity, LabelReason, LabelStatus
from registry.notifications.models import Notification
from registry.surveillance import services
from registry.surveillance.models import Surveillance, SurveillanceEvaluation, SurveillanceOutcome

FINDINGS = "Checked the 2026 meter readings and the supplier declarations against the declared footprint."
PUBLIC = "The surveillance found the declared footprint no longer matches production."


def actor(session: Session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return Actor(user)


@pytest.fixture
def label(session: Session) -> Label:
    found = session.scalars(select(Label).order_by(Label.id)).first()
    assert found is not None and found.status is LabelStatus.VALID
    return found


@pytest.fixture
def admin(session):
    return actor(session, "body.admin@example.com")


@pytest.fixture
def verifier(session):
    return actor(session, "verifier@example.com")


def china_noon(day: date) -> datetime:
    """Noon in China on ``day``, as the UTC time services take."""
    return datetime.combine(day, time(4, 0), tzinfo=UTC)


def start_on(session: Session, label: Label, valid_from: date) -> None:
    """Move the label's first day of validity (its due dates follow), keeping its last day."""
    session.execute(text("UPDATE labels SET valid_from = :f WHERE id = :id"), {"f": valid_from, "id": label.id})
    session.refresh(label)


def evaluate(session, who, surveillance, outcome, now, **kwargs):
    return services.record_evaluation(
        session,
        who,
        surveillance,
        outcome=outcome,
        findings=FINDINGS,
        no_conflict=True,
        public_reason=kwargs.pop("public_reason", PUBLIC),
        now=now,
        **kwargs,
    )


def test_due_dates_are_every_interval_after_issue_until_the_end_of_validity(session, label):
    interval = label.scheme_version.spec.certification.surveillance_interval_months
    validity = label.scheme_version.spec.certification.validity_months
    expected = [add_months(label.valid_from, k * interval) for k in range(1, validity // interval + 1)]
    expected = [due for due in expected if due < label.valid_until]
    assert services.due_dates(label) == expected and len(expected) == (validity - 1) // interval
    assert services.next_due(session, label) == expected[0]


def test_the_body_sees_what_is_due_within_30_days_and_what_is_overdue_first(session, label):
    body_admin = actor(session, "body.admin@example.com").user
    regulator = actor(session, "regulator@example.com").user
    first = services.due_dates(label)[0]
    assert label not in [
        i.label for i in services.due_list(session, body_admin, china_noon(first - timedelta(days=31)))
    ]
    soon = services.due_list(session, body_admin, china_noon(first - timedelta(days=10)))
    item = next(i for i in soon if i.label.id == label.id)
    assert (item.due_on, item.overdue, item.days) == (first, False, 10)
    late = next(
        i
        for i in services.due_list(session, body_admin, china_noon(first + timedelta(days=2)))
        if i.label.id == label.id
    )
    assert late.overdue and late.days == -2

    # Two labels at once: one overdue, one due in about ten days; overdue comes first for the body and the regulator.
    other = session.scalars(
        select(Label).where(Label.id != label.id, Label.status == LabelStatus.VALID).order_by(Label.id)
    ).first()
    assert other is not None
    today = china_today()
    start_on(session, label, add_months(today, -12) - timedelta(days=5))
    start_on(session, other, add_months(today, -12) + timedelta(days=10))
    for person in (regulator, *([body_admin] if other.body_id == body_admin.organisation_id else [])):
        listed = [i for i in services.due_list(session, person) if i.label.id in (label.id, other.id)]
        assert [i.label.id for i in listed] == [label.id, other.id]
        assert [i.overdue for i in listed] == [True, False]
    # Someone else's body, and an enterprise, see none of it.
    applicant = actor(session, "applicant@example.com").user
    assert services.due_list(session, applicant) == []


def test_overdue_surveillance_is_flagged_once_to_the_bodys_administrators(session, label):
    first = services.due_dates(label)[0]
    now = china_noon(first + timedelta(days=1))
    admins = session.scalars(
        select(User).where(
            User.organisation_id == label.body_id, User.role == "body_admin", User.is_active_account.is_(True)
        )
    ).all()
    assert admins

    def counts():
        told = session.scalar(select(func.count()).where(Notification.event == "surveillance:overdue"))
        audited = session.scalar(
            select(func.count()).where(
                AuditEvent.tag == "surveillance:overdue",
                AuditEvent.payload["label"].as_string() == label.certificate_number,
            )
        )
        return told, audited

    before = counts()
    on_the_day = services.flag_overdue_surveillance(session, Actor.system(), china_noon(first))
    assert label.id not in [s.label_id for s in on_the_day]  # on its due day it is not yet overdue
    flagged = services.flag_overdue_surveillance(session, Actor.system(), now)
    mine = [s for s in flagged if s.label_id == label.id]
    assert len(mine) == 1 and mine[0].due_on == first and mine[0].overdue_notified_at == now
    told, audited = counts()
    assert audited == before[1] + 1
    assert told - before[0] >= len(admins)
    assert services.flag_overdue_surveillance(session, Actor.system(), now + timedelta(days=3)) == []
    assert counts() == (told, audited)


def test_an_evaluation_that_suspends_moves_the_label_with_history_and_audit(session, label, admin, verifier):
    first = services.due_dates(label)[0]
    now = china_noon(first - timedelta(days=3))
    surveillance = services.assign_verifier(session, admin, label, verifier.user.id, now=now)
    assert (surveillance.due_on, surveillance.verifier_id) == (first, verifier.user.id)
    resolve_by = china_today(now) + timedelta(days=60)
    evaluation = evaluate(session, verifier, surveillance, "suspend", now, resolve_by=resolve_by, evidence=["a" * 64])
    assert label.status is LabelStatus.SUSPENDED
    row = lifecycle.history(session, label)[-1]
    assert (row.action, row.capacity, row.reason_code, row.actor_id, row.resolve_by, row.public_reason) == (
        "suspend",
        LabelCapacity.BODY,
        LabelReason.SURVEILLANCE_FAILED,
        verifier.user.id,
        resolve_by,
        PUBLIC,
    )
    assert (evaluation.outcome, evaluation.resolve_by, evaluation.evidence) == (
        SurveillanceOutcome.SUSPEND,
        resolve_by,
        ["a" * 64],
    )
    tags = session.scalars(
        select(AuditEvent.tag)
        .where(AuditEvent.tag.in_(("label:suspend", "surveillance:evaluate")))
        .order_by(AuditEvent.id)
    ).all()
    assert tags[-2:] == ["label:suspend", "surveillance:evaluate"]
    # Done once: a second evaluation is refused, and the completed one cannot be changed in the database.
    with pytest.raises(ServiceError) as refused:
        evaluate(session, verifier, surveillance, "maintain", now)
    assert refused.value.status == 409
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError):
        session.execute(
            text("UPDATE surveillance_evaluations SET outcome = 'maintain' WHERE id = :id"), {"id": evaluation.id}
        )
    savepoint.rollback()


def test_a_suspension_needs_a_resolve_by_date_and_a_refusal_writes_nothing(session, label, admin, verifier):
    first = services.due_dates(label)[0]
    now = china_noon(first)
    surveillance = services.assign_verifier(session, admin, label, verifier.user.id, now=now)
    savepoint = session.begin_nested()
    with pytest.raises(ServiceError) as refused:
        evaluate(session, verifier, surveillance, "suspend", now)
    savepoint.rollback()
    assert refused.value.field == "resolve_by"
    assert label.status is LabelStatus.VALID
    assert session.get(SurveillanceEvaluation, surveillance.id) is None


def test_an_evaluation_that_withdraws_ends_the_label(session, label, admin, verifier):
    now = china_noon(services.due_dates(label)[0])
    surveillance = services.assign_verifier(session, admin, label, verifier.user.id, now=now)
    evaluate(session, verifier, surveillance, SurveillanceOutcome.WITHDRAW, now)
    assert label.status is LabelStatus.WITHDRAWN
    assert lifecycle.history(session, label)[-1].reason_code is LabelReason.SURVEILLANCE_FAILED


def test_maintain_records_the_evaluation_and_schedules_the_next_date(session, label, admin, verifier):
    first, second = services.due_dates(label)[:2]
    now = china_noon(first + timedelta(days=4))  # a late evaluation still completes that date
    body_admin = admin.user
    surveillance = services.assign_verifier(session, admin, label, verifier.user.id, now=now)
    evaluation = evaluate(session, verifier, surveillance, "maintain", now, public_reason=None)
    assert label.status is LabelStatus.VALID and evaluation.public_reason is None
    assert services.next_due(session, label) == second
    assert label.id not in [i.label.id for i in services.due_list(session, body_admin, now)]
    told = session.scalars(select(Notification).where(Notification.event == "surveillance:maintain")).all()
    assert any(n.params["next"] == second.isoformat() for n in told)
    assert label.id not in [s.label_id for s in services.flag_overdue_surveillance(session, Actor.system(), now)]


def test_only_the_bodys_administrator_assigns_and_only_someone_unrelated(session, label, admin, verifier):
    for email in ("regulator@example.com", "verifier@example.com", "applicant@example.com"):
        with pytest.raises(ServiceError) as refused:
            services.assign_verifier(session, actor(session, email), label, verifier.user.id)
        assert refused.value.status == 403
    with pytest.raises(ServiceError) as refused:
        services.assign_verifier(session, admin, label, admin.user.id)
    assert refused.value.field == "verifier_id"
    session.add(
        DeclaredRelation(user_id=verifier.user.id, organisation_id=label.holder_id, relation=Relation.CONSULTANCY)
    )
    session.flush()
    assert verifier.user.id not in [u.id for u in services.eligible_verifiers(session, label)]
    with pytest.raises(ServiceError) as refused:
        services.assign_verifier(session, admin, label, verifier.user.id)
    assert refused.value.field == "verifier_id" and "relation" in str(refused.value)


def test_only_the_assigned_verifier_evaluates_and_declares_no_conflict_first(session, label, admin, verifier):
    now = china_noon(services.due_dates(label)[0])
    surveillance = services.assign_verifier(session, admin, label, verifier.user.id, now=now)
    for email in ("body.admin@example.com", "decision@example.com", "regulator@example.com"):
        with pytest.raises(ServiceError) as refused:
            evaluate(session, actor(session, email), surveillance, "maintain", now)
        assert refused.value.status == 403
    with pytest.raises(ServiceError) as refused:
        services.record_evaluation(
            session, verifier, surveillance, outcome="maintain", findings=FINDINGS, no_conflict=False, now=now
        )
    assert refused.value.field == "no_conflict"
    with pytest.raises(ServiceError) as refused:
        evaluate(session, verifier, surveillance, "keep", now)
    assert refused.value.field == "outcome"
    # A relation declared after the assignment still stops the evaluation.
    session.add(DeclaredRelation(user_id=verifier.user.id, organisation_id=label.holder_id, relation=Relation.FAMILY))
    session.flush()
    with pytest.raises(ServiceError) as refused:
        evaluate(session, verifier, surveillance, "maintain", now)
    assert refused.value.status == 403
    assert session.scalar(select(func.count()).select_from(SurveillanceEvaluation)) == 0
    assert session.scalar(select(func.count()).select_from(Surveillance).where(Surveillance.label_id == label.id)) == 1
