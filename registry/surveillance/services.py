"""Surveillance of valid labels: the due dates a scheme's interval gives, the due and overdue lists, the body's
assignment of a verifier, the verifier's evaluation (maintain, suspend or withdraw) and the overdue flag.

A label is surveilled every ``certification.surveillance_interval_months`` after its first day of validity, until
its last (``due_dates``); the next due date is the first without a completed evaluation, so an evaluation that
maintains the label schedules the next one by itself. A ``Surveillance`` row is made for a due date when the body
assigns a verifier or the registry flags it overdue; its ``SurveillanceEvaluation`` completes it and never
changes. A suspension or withdrawal goes through the label lifecycle (``change_status``) in the body's capacity
with the reason code ``surveillance_failed``, in the same transaction as the evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.applications.models import DeclaredRelation
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.dates import add_months
from registry.errors import ServiceError
from registry.labels.lifecycle import change_status, china_today
from registry.labels.models import Label, LabelAction, LabelReason, LabelStatus
from registry.notifications.services import notify
from registry.surveillance.models import Surveillance, SurveillanceEvaluation, SurveillanceOutcome
from registry.surveillance.permissions import (
    EVALUATOR_ROLES,
    can_assign_surveillance,
    can_evaluate_surveillance,
)
from registry.text import refuse_bidi_controls

# The body's list shows what falls due within this many days, beside what is overdue.
DUE_SOON_DAYS = 30


def due_dates(label: Label) -> list[date]:
    """Every surveillance date of the label: each interval after its first day, before its last."""
    interval = label.scheme_version.spec.certification.surveillance_interval_months
    dates = []
    step = 1
    while interval > 0:
        due = add_months(label.valid_from, step * interval)
        if due >= label.valid_until:
            break
        dates.append(due)
        step += 1
    return dates


def _completed(session: Session, label_ids: Sequence[int]) -> dict[int, set[date]]:
    done: dict[int, set[date]] = {}
    if not label_ids:
        return done
    rows = session.execute(
        select(Surveillance.label_id, Surveillance.due_on)
        .join(SurveillanceEvaluation, SurveillanceEvaluation.id == Surveillance.id)
        .where(Surveillance.label_id.in_(label_ids))
    )
    for label_id, due_on in rows:
        done.setdefault(label_id, set()).add(due_on)
    return done


def _next(label: Label, completed: set[date]) -> date | None:
    return next((due for due in due_dates(label) if due not in completed), None)


def next_due(session: Session, label: Label) -> date | None:
    """The label's next surveillance date (the earliest not yet evaluated), or None when none is left before its
    validity ends."""
    return _next(label, _completed(session, [label.id]).get(label.id, set()))


@dataclass
class DueItem:
    """One label's next surveillance, as the lists show it."""

    label: Label
    due_on: date
    surveillance: Surveillance | None
    today: date

    @property
    def overdue(self) -> bool:
        return self.due_on < self.today

    @property
    def days(self) -> int:
        """Days until it is due (negative: days overdue)."""
        return (self.due_on - self.today).days


def due_list(
    session: Session, user: User, now: datetime | None = None, *, within_days: int = DUE_SOON_DAYS
) -> list[DueItem]:
    """The valid labels whose next surveillance is overdue or due within ``within_days``, overdue first (the most
    overdue first), then by due date: a body's administrator and staff see their body's, a regulator every body's."""
    today = china_today(now)
    query = select(Label).where(Label.status == LabelStatus.VALID).order_by(Label.id)
    if user.role in (Role.BODY_ADMIN, *EVALUATOR_ROLES):
        query = query.where(Label.body_id == user.organisation_id)
    elif user.role is not Role.REGULATOR:
        return []
    labels = list(session.scalars(query))
    completed = _completed(session, [label.id for label in labels])
    horizon = today + timedelta(days=within_days)
    items = []
    for label in labels:
        due = _next(label, completed.get(label.id, set()))
        if due is not None and due <= horizon:
            items.append(DueItem(label, due, None, today))
    rows = {
        (row.label_id, row.due_on): row
        for row in session.scalars(
            select(Surveillance).where(Surveillance.label_id.in_([item.label.id for item in items]))
        )
    }
    for item in items:
        item.surveillance = rows.get((item.label.id, item.due_on))
    items.sort(key=lambda item: (item.due_on, item.label.id))
    return items


def assigned_to(session: Session, user: User) -> list[Surveillance]:
    """The surveillances assigned to this verifier and not yet evaluated, by due date."""
    return list(
        session.scalars(
            select(Surveillance)
            .outerjoin(SurveillanceEvaluation, SurveillanceEvaluation.id == Surveillance.id)
            .where(Surveillance.verifier_id == user.id, SurveillanceEvaluation.id.is_(None))
            .order_by(Surveillance.due_on, Surveillance.id)
        ).unique()
    )


def history(session: Session, label: Label) -> list[Surveillance]:
    return list(
        session.scalars(select(Surveillance).where(Surveillance.label_id == label.id).order_by(Surveillance.due_on))
    )


def _related(session: Session, user_id: int, organisation_id: int) -> bool:
    return (
        session.scalar(
            select(DeclaredRelation.id)
            .where(DeclaredRelation.user_id == user_id, DeclaredRelation.organisation_id == organisation_id)
            .limit(1)
        )
        is not None
    )


def eligible_verifiers(session: Session, label: Label) -> list[User]:
    """The body's active verifiers (and verifying decision makers) with no declared relation with the holder."""
    related = set(
        session.scalars(select(DeclaredRelation.user_id).where(DeclaredRelation.organisation_id == label.holder_id))
    )
    staff = session.scalars(
        select(User)
        .where(
            User.organisation_id == label.body_id,
            User.role.in_(EVALUATOR_ROLES),
            User.is_active_account.is_(True),
        )
        .order_by(User.role.desc(), User.name)
    )
    return [user for user in staff if user.id not in related]


def _surveillance_for(session: Session, label: Label, due_on: date) -> Surveillance:
    row = session.scalar(select(Surveillance).where(Surveillance.label_id == label.id, Surveillance.due_on == due_on))
    if row is None:
        row = Surveillance(label_id=label.id, due_on=due_on)
        session.add(row)
        session.flush()
        session.refresh(row)
    return row


def _require_valid(label: Label) -> None:
    if label.status is not LabelStatus.VALID:
        raise ServiceError(
            _l("Only a valid label is under surveillance; this one is “%(status)s”.", status=label.status.label),
            status=409,
        )


def assign_verifier(
    session: Session, actor: Actor, label: Label, verifier_id: int | None, *, now: datetime | None = None
) -> Surveillance:
    """The body's administrator assigns one of its verifiers, not related to the holder, to the label's next
    surveillance (re-assigning is allowed until it is evaluated)."""
    user = actor.user
    if user is None or not can_assign_surveillance(user, label):
        raise ServiceError(_l("You cannot take this action on this label."), status=403)
    _require_valid(label)
    due_on = next_due(session, label)
    if due_on is None:
        raise ServiceError(_l("This label has no surveillance left before its validity ends."), status=409)
    person = session.get(User, verifier_id) if verifier_id is not None else None
    if person is None or person.organisation_id != label.body_id or person.role not in EVALUATOR_ROLES:
        raise ServiceError(_l("Choose verifiers of your own body."), field="verifier_id")
    if person.id not in {u.id for u in eligible_verifiers(session, label)}:
        raise ServiceError(
            _l("%(name)s cannot be assigned: they have declared a relation with the holder.", name=person.name),
            field="verifier_id",
        )
    surveillance = _surveillance_for(session, label, due_on)
    surveillance.verifier_id = person.id
    surveillance.assigned_by_id = user.id
    surveillance.assigned_at = now or utcnow()
    session.flush()
    record_event(
        session,
        actor,
        "surveillance:assign",
        subject=surveillance,
        organisation_id=label.body_id,
        payload={"label": label.certificate_number, "due_on": due_on.isoformat(), "verifier": person.id},
    )
    notify(
        session,
        [person],
        "surveillance:assigned",
        application_id=None,
        params={"reference": label.certificate_number, "due_on": due_on.isoformat()},
    )
    return surveillance


def _hashes(evidence: Sequence[str]) -> list[str]:
    hashes = []
    for item in evidence:
        value = item.strip().lower()
        if len(value) != 64 or any(ch not in "0123456789abcdef" for ch in value):
            raise ServiceError(
                _l("Evidence is given by its SHA-256 hash: 64 hexadecimal characters."), field="evidence"
            )
        hashes.append(value)
    return hashes


def _lock(session: Session, surveillance: Surveillance) -> None:
    """Hold the surveillance's row until the commit on PostgreSQL (SQLite's writers hold the database), so two
    evaluations sent at once cannot both pass the check that none exists."""
    session.refresh(surveillance, ["verifier_id"], with_for_update=session.get_bind().dialect.name == "postgresql")


def record_evaluation(
    session: Session,
    actor: Actor,
    surveillance: Surveillance,
    *,
    outcome: SurveillanceOutcome | str | None,
    findings: str | None,
    no_conflict: bool,
    public_reason: str | None = None,
    resolve_by: date | None = None,
    evidence: Sequence[str] = (),
    now: datetime | None = None,
) -> SurveillanceEvaluation:
    """The assigned verifier's evaluation. Maintain records it (the next due date follows); suspend and withdraw
    also move the label, in the body's capacity with the reason ``surveillance_failed``. Every rule is checked
    (here and by the lifecycle) before anything is written."""
    user = actor.user
    if user is None or not can_evaluate_surveillance(user, surveillance):
        raise ServiceError(_l("You are not assigned to this surveillance."), status=403)
    _lock(session, surveillance)
    if session.get(SurveillanceEvaluation, surveillance.id) is not None:
        raise ServiceError(_l("This surveillance is already evaluated."), status=409)
    label = surveillance.label
    _require_valid(label)
    if not no_conflict:
        raise ServiceError(
            _l("Declare that you have no conflict of interest with the holder, or ask to be replaced."),
            field="no_conflict",
        )
    if _related(session, user.id, label.holder_id):
        raise ServiceError(
            _l("You have declared a relation with the holder: ask the administrator to assign someone else."),
            status=403,
        )
    try:
        chosen = SurveillanceOutcome(outcome) if outcome is not None else None
    except ValueError:
        chosen = None
    if chosen is None:
        raise ServiceError(_l("Choose the outcome: maintain, suspend or withdraw."), field="outcome")
    refuse_bidi_controls(findings=findings, public_reason=public_reason)
    text = (findings or "").strip()
    if not text:
        raise ServiceError(_l("Write the findings of the surveillance."), field="findings")
    if len(text) > 20000:
        raise ServiceError(_l("Keep the findings under 20,000 characters."), field="findings")
    hashes = _hashes(evidence)
    now = now or utcnow()
    words = (public_reason or "").strip() or None
    if chosen is SurveillanceOutcome.MAINTAIN:
        words, resolve_by = None, None
    else:
        action = LabelAction.SUSPEND if chosen is SurveillanceOutcome.SUSPEND else LabelAction.WITHDRAW
        change_status(
            session,
            label,
            action,
            actor,
            reason_code=LabelReason.SURVEILLANCE_FAILED,
            public_reason=words,
            resolve_by=resolve_by if action is LabelAction.SUSPEND else None,
            evidence=hashes,
            for_body=True,
            now=now,
        )
        if action is not LabelAction.SUSPEND:
            resolve_by = None
    evaluation = SurveillanceEvaluation(
        id=surveillance.id,
        verifier_id=user.id,
        outcome=chosen,
        findings=text,
        public_reason=words,
        resolve_by=resolve_by,
        evidence=hashes,
        no_conflict_declared=True,
        completed_at=now,
    )
    session.add(evaluation)
    session.flush()
    session.refresh(surveillance, ["evaluation"])
    record_event(
        session,
        actor,
        "surveillance:evaluate",
        subject=surveillance,
        organisation_id=label.body_id,
        payload={
            "label": label.certificate_number,
            "due_on": surveillance.due_on.isoformat(),
            "outcome": chosen.value,
            "evidence": hashes,
        },
    )
    if chosen is SurveillanceOutcome.MAINTAIN:
        following = next_due(session, label)
        notify(
            session,
            _body_admins(session, label.body_id) + _holders(session, label.holder_id),
            "surveillance:maintain",
            application_id=None,
            params={
                "reference": label.certificate_number,
                "next": following.isoformat() if following else "—",
            },
        )
    return evaluation


def _body_admins(session: Session, body_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.organisation_id == body_id, User.role == Role.BODY_ADMIN)))


def _holders(session: Session, holder_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.organisation_id == holder_id, User.role == Role.APPLICANT)))


def flag_overdue_surveillance(session: Session, actor: Actor, now: datetime | None = None) -> list[Surveillance]:
    """The scheduled job: every valid label whose next surveillance date has passed in China gets its surveillance
    row flagged, its body's administrators notified and an audit event, once per surveillance; running it again
    changes nothing. Returns the surveillances flagged by this run."""
    now = now or utcnow()
    today = china_today(now)
    labels = list(session.scalars(select(Label).where(Label.status == LabelStatus.VALID).order_by(Label.id)))
    completed = _completed(session, [label.id for label in labels])
    flagged = []
    for label in labels:
        due = _next(label, completed.get(label.id, set()))
        if due is None or due >= today:
            continue
        surveillance = _surveillance_for(session, label, due)
        if surveillance.overdue_notified_at is not None:
            continue
        surveillance.overdue_notified_at = now
        session.flush()
        record_event(
            session,
            actor,
            "surveillance:overdue",
            subject=surveillance,
            organisation_id=label.body_id,
            payload={"label": label.certificate_number, "due_on": due.isoformat()},
        )
        notify(
            session,
            _body_admins(session, label.body_id),
            "surveillance:overdue",
            application_id=None,
            params={"reference": label.certificate_number, "due_on": due.isoformat()},
        )
        flagged.append(surveillance)
    return flagged
