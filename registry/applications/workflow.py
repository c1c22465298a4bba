"""The application state machine: one table of allowed transitions and one guard.

Every status change goes through ``transition()``. It checks, in this order, that the action is allowed from
the current status, that the person may take it, that its reason is given and that what it requires is
there; then it changes the status with a conditional UPDATE (``WHERE status = <the status it checked>``), so
of two people acting at once exactly one succeeds and the other is told the file already moved on. It
records the transition, writes the audit event and notifies the people concerned, all in the caller's
transaction. The database backs the table with a trigger that refuses any other status change (see the
migration) and with CHECK constraints on what each status must hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.applications import checks
from registry.applications.models import (
    Application,
    ApplicationStatus as S,
    Assignment,
    Capacity,
    Participant,
    TransitionRecord,
)
from registry.applications.permissions import is_cleared_verifier, is_holder
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.enums import LabelledEnum, labels_for
from registry.errors import ServiceError
from registry.notifications.services import notify
from registry.statemachine import Machine, Rule
from registry.text import refuse_bidi_controls


class Action(LabelledEnum):
    SUBMIT = "submit"
    RETURN = "return"
    REJECT = "reject"
    ACCEPT = "accept"
    PLAN = "plan"
    START = "start"
    ISSUE_FINDINGS = "issue_findings"
    ANSWER_FINDINGS = "answer_findings"
    RECOMMEND = "recommend"
    GRANT = "grant"
    REFUSE = "refuse"
    APPEAL = "appeal"
    GRANT_ON_APPEAL = "grant_on_appeal"
    REFUSE_ON_APPEAL = "refuse_on_appeal"
    WITHDRAW = "withdraw"


ACTION_LABELS = labels_for(
    Action,
    {
        Action.SUBMIT: _l("Submit"),
        Action.RETURN: _l("Return to applicant"),
        Action.REJECT: _l("Reject"),
        Action.ACCEPT: _l("Accept"),
        Action.PLAN: _l("Assign verifiers"),
        Action.START: _l("Start evaluation"),
        Action.ISSUE_FINDINGS: _l("Send findings to the applicant"),
        Action.ANSWER_FINDINGS: _l("Send answers to the verifier"),
        Action.RECOMMEND: _l("Recommend"),
        Action.GRANT: _l("Grant"),
        Action.REFUSE: _l("Refuse"),
        Action.APPEAL: _l("Appeal"),
        Action.GRANT_ON_APPEAL: _l("Grant on appeal"),
        Action.REFUSE_ON_APPEAL: _l("Confirm refusal on appeal"),
        Action.WITHDRAW: _l("Withdraw"),
    },
)


# Who is told about each action.
APPLICANT, BODY_ADMINS, VERIFIERS, DECISION_MAKERS = "applicant", "body_admins", "verifiers", "decision_makers"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[S]
    target: S
    who: Capacity
    needs_reason: bool = False
    requires: Callable[[Session, Application], list[Any]] | None = None
    notify: tuple[str, ...] = field(default_factory=tuple)


_BEFORE_DECISION = frozenset(
    {
        S.DRAFT,
        S.SUBMITTED,
        S.RETURNED,
        S.ACCEPTED,
        S.EVALUATION_PLANNED,
        S.UNDER_EVALUATION,
        S.FINDINGS_OPEN,
        S.RECOMMENDED,
    }
)

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(
            Action.SUBMIT,
            frozenset({S.DRAFT, S.RETURNED}),
            S.SUBMITTED,
            Capacity.APPLICANT,
            requires=checks.ready_to_submit,
            notify=(BODY_ADMINS,),
        ),
        Transition(
            Action.RETURN,
            frozenset({S.SUBMITTED}),
            S.RETURNED,
            Capacity.BODY_ADMIN,
            needs_reason=True,
            notify=(APPLICANT,),
        ),
        Transition(
            Action.REJECT,
            frozenset({S.SUBMITTED}),
            S.REJECTED,
            Capacity.BODY_ADMIN,
            needs_reason=True,
            notify=(APPLICANT,),
        ),
        Transition(
            Action.ACCEPT,
            frozenset({S.SUBMITTED}),
            S.ACCEPTED,
            Capacity.BODY_ADMIN,
            requires=checks.ready_to_accept,
            notify=(APPLICANT,),
        ),
        Transition(
            Action.PLAN,
            frozenset({S.ACCEPTED}),
            S.EVALUATION_PLANNED,
            Capacity.BODY_ADMIN,
            requires=checks.verifiers_assigned,
            notify=(APPLICANT,),
        ),  # verifiers get "assigned"
        Transition(
            Action.START,
            frozenset({S.EVALUATION_PLANNED}),
            S.UNDER_EVALUATION,
            Capacity.VERIFIER,
            requires=checks.declarations_signed,
            notify=(APPLICANT,),
        ),
        Transition(
            Action.ISSUE_FINDINGS,
            frozenset({S.UNDER_EVALUATION}),
            S.FINDINGS_OPEN,
            Capacity.VERIFIER,
            requires=checks.findings_to_issue,
            notify=(APPLICANT,),
        ),
        Transition(
            Action.ANSWER_FINDINGS,
            frozenset({S.FINDINGS_OPEN}),
            S.UNDER_EVALUATION,
            Capacity.APPLICANT,
            requires=checks.findings_answered,
            notify=(VERIFIERS,),
        ),
        Transition(
            Action.RECOMMEND,
            frozenset({S.UNDER_EVALUATION}),
            S.RECOMMENDED,
            Capacity.VERIFIER,
            needs_reason=True,
            requires=checks.ready_to_recommend,
            notify=(DECISION_MAKERS,),
        ),
        Transition(
            Action.GRANT,
            frozenset({S.RECOMMENDED}),
            S.GRANTED,
            Capacity.DECIDER,
            needs_reason=True,
            requires=checks.grantable,
            notify=(APPLICANT, BODY_ADMINS, VERIFIERS),
        ),
        Transition(
            Action.REFUSE,
            frozenset({S.RECOMMENDED}),
            S.REFUSED,
            Capacity.DECIDER,
            needs_reason=True,
            notify=(APPLICANT, BODY_ADMINS, VERIFIERS),
        ),
        Transition(
            Action.APPEAL,
            frozenset({S.REFUSED}),
            S.APPEALED,
            Capacity.APPLICANT,
            needs_reason=True,
            notify=(BODY_ADMINS, DECISION_MAKERS),
        ),
        Transition(
            Action.GRANT_ON_APPEAL,
            frozenset({S.APPEALED}),
            S.GRANTED,
            Capacity.APPEAL_DECIDER,
            needs_reason=True,
            requires=checks.grantable,
            notify=(APPLICANT, BODY_ADMINS),
        ),
        Transition(
            Action.REFUSE_ON_APPEAL,
            frozenset({S.APPEALED}),
            S.REFUSED_FINAL,
            Capacity.APPEAL_DECIDER,
            needs_reason=True,
            notify=(APPLICANT, BODY_ADMINS),
        ),
        Transition(Action.WITHDRAW, _BEFORE_DECISION, S.WITHDRAWN, Capacity.APPLICANT, notify=(BODY_ADMINS, VERIFIERS)),
    )
}

# The table as a registry.statemachine.Machine: the database's guard is generated from it (migration 0008).
WORKFLOW: Machine[S, Action, Capacity] = Machine(
    name="applications",
    table="applications",
    column="status",
    initial=S.DRAFT,
    refusal="application status change not allowed by the workflow",
    start_refusal="applications start as drafts",
    rules=tuple(
        Rule(t.action, t.sources, t.target, frozenset({t.who}), t.needs_reason, t.requires, t.notify)
        for t in TRANSITIONS.values()
    ),
)
# Every (from, to) pair the table allows; the database's trigger holds the same list.
ALLOWED_PAIRS = WORKFLOW.allowed_pairs


# The capacities each role can hold in a file (a decision maker may also be assigned to verify one).
ROLE_CAPACITIES: dict[Role, frozenset[Capacity]] = {
    Role.APPLICANT: frozenset({Capacity.APPLICANT}),
    Role.BODY_ADMIN: frozenset({Capacity.BODY_ADMIN}),
    Role.VERIFIER: frozenset({Capacity.VERIFIER}),
    Role.DECISION_MAKER: frozenset({Capacity.VERIFIER, Capacity.DECIDER, Capacity.APPEAL_DECIDER}),
}


def statuses_to_act(role: Role) -> tuple[S, ...]:
    """The statuses in which someone of this role might have something to do, read off the table."""
    capacities = ROLE_CAPACITIES.get(role, frozenset())
    return tuple(sorted({s for t in TRANSITIONS.values() if t.who in capacities for s in t.sources}))


def assignments_of(session: Session, application: Application) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(Assignment.application_id == application.id)))


def participant_ids(session: Session, application: Application) -> set[int]:
    return set(session.scalars(select(Participant.user_id).where(Participant.application_id == application.id)))


def may_act(session: Session, user: User | None, application: Application, who: Capacity) -> bool:
    """Whether ``user`` can act in the capacity ``who`` on this file (not whether the status allows it)."""
    if user is None or not user.is_active_account:
        return False
    if who is Capacity.APPLICANT:
        return is_holder(user, application)
    if user.organisation_id != application.body_id:
        return False
    if who is Capacity.BODY_ADMIN:
        return user.role is Role.BODY_ADMIN
    if who is Capacity.VERIFIER:
        return is_cleared_verifier(user, application, assignments_of(session, application))
    # Deciders: a decision maker with no part in the file so far (ISO/IEC 17065 7.6.2).
    return user.role is Role.DECISION_MAKER and user.id not in participant_ids(session, application)


def available_actions(session: Session, user: User | None, application: Application) -> list[Action]:
    """The actions this person could take now (requirements aside): what the page offers."""
    return [
        t.action
        for t in TRANSITIONS.values()
        if application.status in t.sources and may_act(session, user, application, t.who)
    ]


def transition(
    session: Session,
    application: Application,
    action: Action,
    actor: Actor,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> TransitionRecord:
    """The one guard. Raises ServiceError (409 when the file has moved on, 403 for the wrong person, 400 for
    what is missing) before anything is written. ``changes`` are further columns set in the same UPDATE."""
    rule = TRANSITIONS[action]
    current = application.status
    if current not in rule.sources:
        raise ServiceError(
            _l(
                "This application is now “%(status)s”, so “%(action)s” is no longer possible. Reload the page to see its current state.",
                status=current.label,
                action=action.label,
            ),
            status=409,
        )
    if not may_act(session, actor.user, application, rule.who):
        raise ServiceError(_l("You cannot take this action on this application."), status=403)
    refuse_bidi_controls(reason=reason)
    reason = (reason or "").strip() or None
    if rule.needs_reason and reason is None:
        raise ServiceError(
            _l("Give the reasons: they are recorded with the decision and shown to the applicant."), field="reason"
        )
    problems = rule.requires(session, application) if rule.requires else []
    if problems:
        raise ServiceError(problems[0], also=problems[1:])

    now = utcnow()
    # An UPDATE's result is a CursorResult, which has the row count; Session.execute is typed for any statement.
    moved = cast(
        "CursorResult[Any]",
        session.execute(
            update(Application)
            .where(Application.id == application.id, Application.status == current)
            .values(status=rule.target, status_changed_at=now, **(changes or {}))
            .execution_options(synchronize_session=False)
        ),
    )
    if moved.rowcount != 1:
        raise ServiceError(
            _l(
                "Someone else acted on this application at the same time, and it has already moved on. Reload the page to see its current state."
            ),
            status=409,
        )
    session.refresh(application, ["status", "status_changed_at", *(changes or {})])
    user = actor.user
    record = TransitionRecord(
        application_id=application.id,
        action=action.value,
        from_status=current,
        to_status=rule.target,
        actor_id=user.id if user else None,
        actor_role=str(user.role) if user else None,
        reason=reason,
        details=details or {},
    )
    session.add(record)
    record_event(
        session,
        actor,
        f"application:{action.value}",
        subject=application,
        organisation_id=application.body_id,
        payload={"from": current.value, "to": rule.target.value, **(details or {})},
    )
    notify(
        session,
        recipients(session, application, rule.notify, exclude=user),
        f"application:{action.value}",
        application_id=application.id,
        params={"reference": application.reference},
    )
    return record


def recipients(
    session: Session, application: Application, audiences: Iterable[str], *, exclude: User | None
) -> list[User]:
    people: list[User] = []
    if application.submitted_at is None:
        # A file never submitted (a draft, withdrawn as a draft) is the applicant's own business.
        audiences = [a for a in audiences if a == APPLICANT]
    for audience in audiences:
        if audience == APPLICANT:
            people += session.scalars(
                select(User).where(User.organisation_id == application.applicant_id, User.role == Role.APPLICANT)
            )
        elif audience == BODY_ADMINS:
            people += session.scalars(
                select(User).where(User.organisation_id == application.body_id, User.role == Role.BODY_ADMIN)
            )
        elif audience == VERIFIERS:
            people += [a.verifier for a in assignments_of(session, application)]
        elif audience == DECISION_MAKERS:
            involved = participant_ids(session, application)
            people += [
                u
                for u in session.scalars(
                    select(User).where(User.organisation_id == application.body_id, User.role == Role.DECISION_MAKER)
                )
                if u.id not in involved
            ]
    return [p for p in people if exclude is None or p.id != exclude.id]
