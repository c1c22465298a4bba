"""The label lifecycle: one table of what may move a label, who may, and the one function that moves it.

``LIFECYCLE`` is a ``registry.statemachine.Machine`` like the application workflow's, and the database holds the
same table as a trigger (migration 0008). ``change_status`` is the only way a label's status changes: it checks
the table, the person's capacity and the reasons before anything is written, then in the caller's transaction
sets the status (the status lists are read from it, so their bits change in the same commit), writes the label's
history row and the audit event, and tells the holder and the body. The public page, badge, JSON, PACT status and
the verifier's verdict all read the status, and the page cache starts a new generation when the commit lands
(registry.disclosure.cache), so every reader sees the change within its minute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.errors import ServiceError
from registry.labels.models import Label, LabelAction, LabelCapacity, LabelReason, LabelStatus, LabelTransition
from registry.notifications.services import notify
from registry.schemes.models import SchemeVersion
from registry.statemachine import Machine, Rule
from registry.supervision.demands import meet_demands
from registry.text import refuse_bidi_controls
from registry.tlog import services as tlog

S, A, C = LabelStatus, LabelAction, LabelCapacity
_LIVE = frozenset({S.VALID, S.SUSPENDED})

LIFECYCLE: Machine[LabelStatus, LabelAction, LabelCapacity] = Machine(
    name="labels",
    table="labels",
    column="status",
    initial=S.VALID,
    refusal="label status change not allowed by the lifecycle",
    start_refusal="labels start as valid",
    rules=(
        Rule(A.SUSPEND, frozenset({S.VALID}), S.SUSPENDED, frozenset({C.BODY, C.REGULATOR}), needs_reason=True),
        Rule(A.RESTORE, frozenset({S.SUSPENDED}), S.VALID, frozenset({C.BODY, C.REGULATOR}), needs_reason=True),
        Rule(A.WITHDRAW, _LIVE, S.WITHDRAWN, frozenset({C.BODY, C.REGULATOR}), needs_reason=True),
        Rule(A.CANCEL, _LIVE, S.CANCELLED, frozenset({C.HOLDER, C.BODY}), needs_reason=True),
        Rule(A.EXPIRE, _LIVE, S.EXPIRED, frozenset({C.SYSTEM})),
        Rule(A.SUPERSEDE, _LIVE, S.SUPERSEDED, frozenset({C.SYSTEM})),
    ),
)

# The reason codes each action takes; the first is what the registry's own steps record.
REASONS: dict[LabelAction, tuple[LabelReason, ...]] = {
    A.SUSPEND: (
        LabelReason.NONCONFORMITY,
        LabelReason.FALSE_DATA,
        LabelReason.SURVEILLANCE_FAILED,
        LabelReason.SPOT_CHECK_FAILED,
        LabelReason.MISUSE,
        LabelReason.DISHONEST_LISTING,
        LabelReason.KEY_REVOKED,
        LabelReason.OTHER,
    ),
    A.RESTORE: (LabelReason.RESOLVED, LabelReason.OTHER),
    A.WITHDRAW: (
        LabelReason.FALSE_DATA,
        LabelReason.NONCONFORMITY,
        LabelReason.SURVEILLANCE_FAILED,
        LabelReason.SPOT_CHECK_FAILED,
        LabelReason.MISUSE,
        LabelReason.DISHONEST_LISTING,
        LabelReason.OTHER,
    ),
    A.CANCEL: (LabelReason.HOLDER_REQUEST, LabelReason.PRODUCT_DISCONTINUED, LabelReason.OTHER),
    A.EXPIRE: (LabelReason.VALIDITY_ENDED,),
    A.SUPERSEDE: (LabelReason.SUPERSEDED,),
}

# A suspension is resolved (restored or withdrawn) within this many days at most.
MAX_SUSPENSION_DAYS = 180
# Labels are dated in China Standard Time: a label is valid to the end of its last day there (labels.tokens).
CHINA = timezone(timedelta(hours=8))


def china_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(CHINA).date()


def capacities_of(user: User | None, label: Label) -> frozenset[LabelCapacity]:
    """The capacities in which ``user`` may act on ``label`` (the machine's own steps are not a person's)."""
    if user is None or not user.is_active_account:
        return frozenset()
    held = set()
    if user.role is Role.BODY_ADMIN and user.organisation_id == label.body_id:
        held.add(C.BODY)
    if user.role is Role.REGULATOR:
        held.add(C.REGULATOR)
    if user.role is Role.APPLICANT and user.organisation_id == label.holder_id:
        held.add(C.HOLDER)
    return frozenset(held)


def available_actions(user: User | None, label: Label) -> list[LabelAction]:
    """What this person could do to the label now: what its page offers."""
    return LIFECYCLE.actions_from(label.status, capacities_of(user, label))


def history(session: Session, label: Label) -> list[LabelTransition]:
    return list(
        session.scalars(
            select(LabelTransition).where(LabelTransition.label_id == label.id).order_by(LabelTransition.id)
        )
    )


def last_suspension(session: Session, label: Label) -> LabelTransition | None:
    return session.scalar(
        select(LabelTransition)
        .where(LabelTransition.label_id == label.id, LabelTransition.action == A.SUSPEND.value)
        .order_by(LabelTransition.id.desc())
        .limit(1)
    )


def record_issue(session: Session, actor: Actor, label: Label) -> LabelTransition:
    """The first row of a label's history, written by issuance."""
    user = actor.user
    row = LabelTransition(
        label_id=label.id,
        action="issue",
        from_status=None,
        to_status=S.VALID,
        at=label.issued_at,
        actor_id=user.id if user else None,
        actor_role=str(user.role) if user else None,
        capacity=C.BODY,
        reason_code=LabelReason.GRANTED,
        public_reason=label.certificate_number,
        evidence=[],
    )
    session.add(row)
    tlog.append_label(session, label, "issue", label.issued_at, None, S.VALID, LabelReason.GRANTED)
    return row


def change_status(
    session: Session,
    label: Label,
    action: LabelAction,
    actor: Actor,
    *,
    reason_code: LabelReason | str | None = None,
    public_reason: str | None = None,
    resolve_by: date | None = None,
    evidence: Sequence[str] = (),
    successor: Label | None = None,
    as_registry: bool = False,
    for_body: bool = False,
    now: datetime | None = None,
) -> LabelTransition:
    """Move ``label`` by ``action``, in the caller's transaction. ``as_registry`` is for the registry's own steps
    (expiry, supersession), which no person takes; ``actor`` is still recorded as who set them going. ``for_body``
    is for a step the issuing body takes through one of its staff other than an administrator (a surveillance
    evaluation's outcome, registry.surveillance): the person must be the body's, the capacity recorded is the body's.

    Refuses with ServiceError before writing: 409 when the label is no longer in a status the action starts from,
    403 when the person may not take it, 400 (with the field) for a reason, date or evidence that is missing or
    wrong."""
    rule = LIFECYCLE.rule(action)
    _lock(session, label)
    current = label.status
    if current not in rule.sources:
        raise ServiceError(
            _l(
                "This label is now “%(status)s”, so “%(action)s” is no longer possible. Reload the page to see its current state.",
                status=current.label,
                action=action.label,
            ),
            status=409,
        )
    capacity = _capacity(actor, label, rule, as_registry, for_body)
    if action is A.RESTORE and capacity is C.BODY:
        suspension = last_suspension(session, label)
        if suspension is not None and suspension.capacity is C.REGULATOR:
            raise ServiceError(_l("A regulator suspended this label, so only a regulator can restore it."), status=403)

    allowed = REASONS[action]
    if reason_code is None and capacity is C.SYSTEM:
        reason_code = allowed[0]
    try:
        code = LabelReason(reason_code) if reason_code is not None else None
    except ValueError:
        code = None
    if code is None or code not in allowed:
        raise ServiceError(
            _l(
                "Choose a reason code for “%(action)s”: one of %(codes)s.",
                action=action.label,
                codes=", ".join(str(r) for r in allowed),
            ),
            field="reason_code",
        )
    refuse_bidi_controls(public_reason=public_reason)
    words = (public_reason or "").strip() or None
    if rule.needs_reason and capacity is not C.SYSTEM and words is None:
        raise ServiceError(
            _l("Give the reason in words: it is shown to the public with the label's new status."),
            field="public_reason",
        )
    if words is not None and len(words) > 2000:
        raise ServiceError(_l("Keep the reason under 2,000 characters."), field="public_reason")

    now = now or utcnow()
    today = china_today(now)
    if action is A.SUSPEND:
        if resolve_by is None:
            raise ServiceError(_l("Give the date by which the suspension is to be resolved."), field="resolve_by")
        if not today < resolve_by <= today + timedelta(days=MAX_SUSPENSION_DAYS):
            raise ServiceError(
                _l(
                    "The resolve-by date must be after today and at most %(days)d days ahead.", days=MAX_SUSPENSION_DAYS
                ),
                field="resolve_by",
            )
    elif resolve_by is not None:
        resolve_by = None
    if action is A.EXPIRE and label.valid_until >= today:
        raise ServiceError(
            _l("This label is valid until %(date)s; it cannot expire before then.", date=label.valid_until.isoformat())
        )
    if (action is A.SUPERSEDE) != (successor is not None):
        raise ValueError("a supersession, and only a supersession, names the label that takes its place")
    hashes = _evidence_hashes(evidence)

    label.status = rule.target
    label.status_changed_at = now
    if successor is not None:
        label.superseded_by_id = successor.id
    user = actor.user
    row = LabelTransition(
        label_id=label.id,
        action=action.value,
        from_status=current,
        to_status=rule.target,
        at=now,
        actor_id=user.id if user else None,
        actor_role=str(user.role) if user else None,
        capacity=capacity,
        reason_code=code,
        public_reason=words,
        resolve_by=resolve_by,
        evidence=hashes,
        successor_id=successor.id if successor is not None else None,
    )
    session.add(row)
    session.flush()
    tlog.append_label(session, label, action.value, now, current, rule.target, code, successor)
    payload: dict[str, object] = {
        "certificate_number": label.certificate_number,
        "from": current.value,
        "to": rule.target.value,
        "capacity": capacity.value,
        "reason_code": code.value,
    }
    if successor is not None:
        payload["successor"] = successor.certificate_number
    if rule.target in LIFECYCLE.final:
        # A label off the market meets the withdrawal demands a dishonest listing set its body (registry.supervision).
        met = meet_demands(session, label, row, now)
        if met:
            payload["withdrawal_demands_met"] = [demand.id for demand in met]
    record_event(session, actor, f"label:{action.value}", subject=label, organisation_id=label.body_id, payload=payload)
    notify(
        session,
        _told(session, label, exclude=user),
        f"label:{action.value}",
        application_id=label.application_id,
        params={"reference": label.certificate_number},
    )
    return row


def expire_due(session: Session, actor: Actor, now: datetime | None = None, *, limit: int | None = None) -> list[Label]:
    """Expire every live label whose last day of validity has passed in China: the scheduled job."""
    now = now or utcnow()
    today = china_today(now)
    query = select(Label).where(Label.status.in_(_LIVE), Label.valid_until < today).order_by(Label.id)
    if limit is not None:
        query = query.limit(limit)
    labels = list(session.scalars(query))
    for label in labels:
        change_status(session, label, A.EXPIRE, actor, as_registry=True, now=now)
    return labels


def supersede_earlier(session: Session, actor: Actor, label: Label) -> list[Label]:
    """Called by issuance: the product's other live labels under the same scheme step aside for ``label``."""
    scheme_id = label.scheme_version.scheme_id
    earlier = list(
        session.scalars(
            select(Label)
            .join(SchemeVersion, SchemeVersion.id == Label.scheme_version_id)
            .where(Label.product_id == label.product_id, Label.status.in_(_LIVE), Label.id != label.id)
            .where(SchemeVersion.scheme_id == scheme_id)
            .order_by(Label.id)
        )
    )
    for old in earlier:
        change_status(session, old, A.SUPERSEDE, actor, successor=label, as_registry=True)
    return earlier


def _lock(session: Session, label: Label) -> None:
    """Read the label's status afresh, holding its row until the commit on PostgreSQL (SQLite's writers already
    hold the database from BEGIN IMMEDIATE), so two people acting at once cannot both move it."""
    if label.id is not None and label in session:
        session.refresh(label, ["status"], with_for_update=session.get_bind().dialect.name == "postgresql")


def _capacity(
    actor: Actor,
    label: Label,
    rule: Rule[LabelStatus, LabelAction, LabelCapacity],
    as_registry: bool,
    for_body: bool = False,
) -> LabelCapacity:
    if as_registry:
        if C.SYSTEM not in rule.who:
            raise ValueError(f"{rule.action} is a person's action, not the registry's")
        return C.SYSTEM
    if actor.user is None:
        if C.SYSTEM in rule.who:
            return C.SYSTEM
        raise ServiceError(_l("Name the person taking this action (--actor EMAIL)."), status=403)
    if for_body:
        user = actor.user
        if C.BODY in rule.who and user.is_active_account and user.organisation_id == label.body_id:
            return C.BODY
        raise ServiceError(_l("You cannot take this action on this label."), status=403)
    held = capacities_of(actor.user, label) & rule.who
    if not held:
        raise ServiceError(_l("You cannot take this action on this label."), status=403)
    # A person has one role, so at most one capacity applies; the order only makes the choice explicit.
    return next(c for c in (C.REGULATOR, C.BODY, C.HOLDER) if c in held)


def _evidence_hashes(evidence: Iterable[str]) -> list[str]:
    hashes = []
    for item in evidence:
        value = item.strip().lower()
        if len(value) != 64 or any(ch not in "0123456789abcdef" for ch in value):
            raise ServiceError(
                _l("Evidence is given by its SHA-256 hash: 64 hexadecimal characters."), field="evidence"
            )
        hashes.append(value)
    return hashes


def _told(session: Session, label: Label, *, exclude: User | None) -> list[User]:
    people = session.scalars(
        select(User).where(
            ((User.organisation_id == label.holder_id) & (User.role == Role.APPLICANT))
            | ((User.organisation_id == label.body_id) & (User.role == Role.BODY_ADMIN))
        )
    )
    return [p for p in people if exclude is None or p.id != exclude.id]
