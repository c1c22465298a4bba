"""The application state machine: every (status, action) pair of the table, who may act, what each step
requires, the independence of decisions, the database's own guards, and the label a grant issues.

Each test drives a fresh application (the demo applicant's power-tool battery, to the demo body HTDEMO)
through the same services the browser uses (``registry.demo.applications``), inside the test's rolled-back
transaction.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from registry import PROJECT_ROOT
from registry.accounts.models import User
from registry.applications import workflow
from registry.applications.models import (
    Application,
    ApplicationStatus,
    Capacity,
    Decision,
    DocumentKind,
    Finding,
    Outcome,
    Participant,
    TransitionRecord,
)
from registry.applications.services import applicant as services, decisions, evaluation, review
from registry.applications.workflow import ALLOWED_PAIRS, TRANSITIONS, Action, transition
from registry.audit.models import AuditEvent
from registry.audit.services import Actor
from registry.database import utcnow
from registry.demo.applications import Team, complete_draft, data_period, drive_to, step
from registry.errors import ServiceError
from registry.labels.models import CertificateCounter, Label
from registry.labels.services import add_months, grade_for
from registry.notifications.models import Notification
from registry.organisations.models import BarredOrganisation, Organisation
from registry.products.models import Product
from registry.schemes.definition import Grade

S = ApplicationStatus

APPLICANT = "applicant@example.com"
OTHER_APPLICANT = "applicant.pv@example.com"
STEEL_APPLICANT = "applicant.steel@example.com"
BODY_ADMIN = "body.admin@example.com"
VERIFIER = "verifier@example.com"
DECIDER = "decision@example.com"
DECIDER2 = "decision2@example.com"
OTHER_BODY_ADMIN = "body2.admin@example.com"
REGULATOR = "regulator@example.com"
SITE_ADMIN = "admin@example.com"
PEOPLE = (
    APPLICANT,
    OTHER_APPLICANT,
    STEEL_APPLICANT,
    BODY_ADMIN,
    VERIFIER,
    DECIDER,
    DECIDER2,
    OTHER_BODY_ADMIN,
    REGULATOR,
    SITE_ADMIN,
)

# Who may take an action in each capacity, on a file driven along the demo path (where decision@ takes the
# first decision, so only decision2@ may decide an appeal).
RIGHT: dict[Capacity, set[str]] = {
    Capacity.APPLICANT: {APPLICANT},
    Capacity.BODY_ADMIN: {BODY_ADMIN},
    Capacity.VERIFIER: {VERIFIER},
    Capacity.DECIDER: {DECIDER, DECIDER2},
    Capacity.APPEAL_DECIDER: {DECIDER2},
}

# Who acts in each capacity in Team.demo.
ACTING: dict[Capacity, str] = {
    Capacity.APPLICANT: APPLICANT,
    Capacity.BODY_ADMIN: BODY_ADMIN,
    Capacity.VERIFIER: VERIFIER,
    Capacity.DECIDER: DECIDER,
    Capacity.APPEAL_DECIDER: DECIDER2,
}

# What must be done, once the file is in a source status, before the action's requirements are met; and
# the step (a name of demo.applications.step, or one of the few extra steps below) that takes the action.
PREPARE: dict[Action, tuple[str, ...]] = {
    Action.START: ("declare",),
    Action.ISSUE_FINDINGS: ("raise",),
    Action.ANSWER_FINDINGS: ("respond",),
    Action.RECOMMEND: ("evaluate",),
}
TAKE: dict[Action, str] = {
    Action.SUBMIT: "submit",
    Action.RETURN: "return",
    Action.REJECT: "reject",
    Action.ACCEPT: "accept",
    Action.PLAN: "plan",
    Action.START: "start",
    Action.ISSUE_FINDINGS: "issue",
    Action.ANSWER_FINDINGS: "answer",
    Action.RECOMMEND: "recommend",
    Action.GRANT: "grant",
    Action.REFUSE: "refuse",
    Action.APPEAL: "appeal",
    Action.GRANT_ON_APPEAL: "grant_on_appeal",
    Action.REFUSE_ON_APPEAL: "refuse_final",
    Action.WITHDRAW: "withdraw",
}

# Statuses in which the demo verifier is assigned to the file.
_ASSIGNED = {S.EVALUATION_PLANNED, S.UNDER_EVALUATION, S.FINDINGS_OPEN, S.RECOMMENDED}


def notified(action: Action, source: S) -> set[str]:
    """Who is told about an action, by the audiences the table names for it, as the demo people who make up
    each audience on a file driven along the demo path; the person acting is never told."""
    rule = TRANSITIONS[action]
    people: set[str] = set()
    for audience in rule.notify:
        if audience == workflow.APPLICANT:
            people.add(APPLICANT)
        elif audience == workflow.BODY_ADMINS:
            # Not for a withdrawn draft: a file never submitted is the applicant's own business.
            if not (source is S.DRAFT and action is Action.WITHDRAW):
                people.add(BODY_ADMIN)
        elif audience == workflow.VERIFIERS:
            people |= {VERIFIER} if source in _ASSIGNED or action is Action.PLAN else set()
        elif audience == workflow.DECISION_MAKERS:
            # Those with no part in the file: decision@ took the first decision on a refused or appealed file.
            people |= {DECIDER2} if source in (S.REFUSED, S.APPEALED) else {DECIDER, DECIDER2}
        else:
            raise AssertionError(f"unknown audience {audience!r}")
    return people - {ACTING[rule.who]}


# Fixtures and helpers


@pytest.fixture
def team(session: Session) -> Team:
    return Team.demo(session)


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(PEOPLE)))}
    assert set(users) == set(PEOPLE)
    return users


@pytest.fixture
def body(session: Session) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    assert found is not None
    return found


@pytest.fixture
def product(session: Session, people: dict[str, User]) -> Product:
    found = session.scalar(
        select(Product).where(
            Product.organisation_id == people[APPLICANT].organisation_id, Product.model == "LN-PT-18V4Ah"
        )
    )
    assert found is not None
    return found


@pytest.fixture
def new_application(
    session: Session, team: Team, product: Product, body: Organisation, upload_dir
) -> Callable[..., Application]:
    def make(**kwargs: Any) -> Application:
        return complete_draft(session, team, product, body, folder=upload_dir, **kwargs)

    return make


@pytest.fixture
def fresh(new_application: Callable[..., Application]) -> Application:
    """A complete draft of the demo applicant's, to HTDEMO."""
    return new_application()


def bring(session: Session, team: Team, application: Application, status: S) -> Application:
    return drive_to(session, team, application, status)


def actor_for(team: Team, who: Capacity) -> Actor:
    return {
        Capacity.APPLICANT: team.applicant,
        Capacity.BODY_ADMIN: team.admin,
        Capacity.VERIFIER: team.verifier,
        Capacity.DECIDER: team.decider,
        Capacity.APPEAL_DECIDER: team.appeal_decider,
    }[who]


def do(session: Session, team: Team, application: Application, name: str) -> None:
    """A step of demo.applications.step, or one it does not have."""
    if name == "respond":
        for finding in session.scalars(
            select(Finding).where(Finding.application_id == application.id, Finding.round == application.findings_round)
        ):
            services.respond_to_finding(
                session, team.applicant, application, finding, response="Updated to the 2024 factor."
            )
    elif name == "answer":
        services.answer_findings(session, team.applicant, application)
    elif name == "grant_on_appeal":
        decisions.decide_application(
            session,
            team.appeal_decider,
            application,
            outcome=Outcome.GRANT,
            reasons="The supplier data covers the period.",
            on_appeal=True,
        )
    else:
        step(session, team, application, name)


def prepare(session: Session, team: Team, application: Application, action: Action) -> None:
    for name in PREPARE.get(action, ()):
        do(session, team, application, name)


def trail(session: Session, application: Application) -> tuple[int, int, int, int]:
    """How much the file's history holds: transitions, audit events, notifications, participants."""
    return (
        session.scalar(select(func.count()).where(TransitionRecord.application_id == application.id)),
        session.scalar(
            select(func.count()).where(
                AuditEvent.subject_type == "applications", AuditEvent.subject_id == str(application.id)
            )
        ),
        session.scalar(select(func.count()).where(Notification.application_id == application.id)),
        session.scalar(select(func.count()).where(Participant.application_id == application.id)),
    )


def status_in_database(session: Session, application: Application) -> S:
    return S(
        session.execute(text("SELECT status FROM applications WHERE id = :id"), {"id": application.id}).scalar_one()
    )


def last_id(session: Session, model: type) -> int:
    return session.scalar(select(func.coalesce(func.max(model.id), 0)))


def refusal(session: Session, call: Callable[..., Any], *args: Any, **kwargs: Any) -> ServiceError:
    """The ServiceError a service raises, in a savepoint rolled back afterwards (the app rolls back the
    whole request: services may have flushed rows before the guard refused)."""
    savepoint = session.begin_nested()
    try:
        call(*args, **kwargs)
    except ServiceError as error:
        savepoint.rollback()
        return error
    savepoint.rollback()
    pytest.fail(f"{getattr(call, '__name__', call)} was not refused")


def emails(session: Session, user_ids: list[int]) -> list[str]:
    return sorted(session.get(User, uid).email for uid in user_ids)


# 1. Every (status, action) pair of the table


def test_every_action_of_the_table_has_a_step_and_its_notified_people():
    assert set(TAKE) == set(TRANSITIONS) == set(Action)
    for action, rule in TRANSITIONS.items():
        for source in rule.sources:
            notified(action, source)  # raises for an action this file does not know yet
    # Every status but draft is some action's target, and the final ones are nobody's source.
    assert {t.target for t in TRANSITIONS.values()} == set(S) - {S.DRAFT}
    assert not any(t.sources & {S.REJECTED, S.GRANTED, S.REFUSED_FINAL, S.WITHDRAWN} for t in TRANSITIONS.values())


PAIRS = [(status, action) for action in TRANSITIONS for status in ApplicationStatus]


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_each_action_moves_the_file_only_from_its_sources(session, team, fresh, people, status, action):
    rule = TRANSITIONS[action]
    actor = actor_for(team, rule.who)
    bring(session, team, fresh, status)

    if status not in rule.sources:
        before = trail(session, fresh)
        with pytest.raises(ServiceError) as refused:
            transition(session, fresh, action, actor, reason="Reasons given.")
        assert refused.value.status == 409
        assert str(status.label) in str(refused.value)
        session.expire_all()
        assert fresh.status is status and status_in_database(session, fresh) is status
        assert trail(session, fresh) == before
        return

    prepare(session, team, fresh, action)
    since = {model: last_id(session, model) for model in (TransitionRecord, AuditEvent, Notification)}
    do(session, team, fresh, TAKE[action])
    session.expire_all()
    assert fresh.status is rule.target and status_in_database(session, fresh) is rule.target

    records = list(
        session.scalars(
            select(TransitionRecord).where(
                TransitionRecord.application_id == fresh.id, TransitionRecord.id > since[TransitionRecord]
            )
        )
    )
    assert [(r.action, r.from_status, r.to_status, r.actor_id) for r in records] == [
        (action.value, status, rule.target, actor.user.id)
    ]
    assert records[0].actor_role == str(actor.user.role)
    assert (records[0].reason is not None) if rule.needs_reason else True

    events = list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.tag == f"application:{action.value}", AuditEvent.id > since[AuditEvent])
        )
    )
    assert [(e.subject_type, e.subject_id, e.actor_id, e.organisation_id) for e in events] == [
        ("applications", str(fresh.id), actor.user.id, fresh.body_id)
    ]
    assert (events[0].payload["from"], events[0].payload["to"]) == (status.value, rule.target.value)

    told = list(
        session.scalars(
            select(Notification.user_id).where(
                Notification.application_id == fresh.id,
                Notification.event == f"application:{action.value}",
                Notification.id > since[Notification],
            )
        )
    )
    # Each person once, the one acting never.
    assert emails(session, told) == sorted(notified(action, status))


DECISIONS_ON_THE_FILE = (
    Action.RETURN,
    Action.REJECT,
    Action.ACCEPT,
    Action.GRANT,
    Action.REFUSE,
    Action.GRANT_ON_APPEAL,
    Action.REFUSE_ON_APPEAL,
)


def test_the_table_tells_the_applicant_of_every_decision_on_the_file():
    for action in DECISIONS_ON_THE_FILE:
        assert workflow.APPLICANT in TRANSITIONS[action].notify, action
    assert workflow.DECISION_MAKERS in TRANSITIONS[Action.RECOMMEND].notify
    assert workflow.BODY_ADMINS in TRANSITIONS[Action.SUBMIT].notify


def test_assigned_verifiers_are_told(session, team, fresh):
    bring(session, team, fresh, S.EVALUATION_PLANNED)
    told = session.scalars(
        select(Notification.event).where(
            Notification.application_id == fresh.id, Notification.user_id == team.verifier.user.id
        )
    )
    assert "application:assigned" in set(told)


# 2. Only the right person may act


MATRIX = [
    (action, source) for action, rule in TRANSITIONS.items() for source in ApplicationStatus if source in rule.sources
]


@pytest.mark.parametrize(("action", "source"), MATRIX, ids=[f"{a.value}-from-{s.value}" for a, s in MATRIX])
def test_everyone_but_the_right_person_is_refused(session, team, fresh, people, action, source):
    rule = TRANSITIONS[action]
    bring(session, team, fresh, source)
    prepare(session, team, fresh, action)
    before = trail(session, fresh)
    wrong = sorted(set(PEOPLE) - RIGHT[rule.who])
    assert wrong
    outcomes = {}
    for email in wrong:
        try:
            transition(session, fresh, action, Actor(people[email]), reason="Reasons given.")
        except ServiceError as error:
            outcomes[email] = error.status
        else:
            outcomes[email] = "allowed"
            break
    assert outcomes == dict.fromkeys(wrong, 403)
    session.expire_all()
    assert fresh.status is source and status_in_database(session, fresh) is source
    assert trail(session, fresh) == before
    # The right people may, so the refusals are about the person and not the file.
    for email in RIGHT[rule.who]:
        assert workflow.may_act(session, people[email], fresh, rule.who), email
        assert action in workflow.available_actions(session, people[email], fresh)
    for email in wrong:
        assert action not in workflow.available_actions(session, people[email], fresh), email


def test_a_verifier_who_has_not_declared_cannot_start(session, team, fresh, people):
    bring(session, team, fresh, S.EVALUATION_PLANNED)
    before = trail(session, fresh)
    assert refusal(session, evaluation.start_evaluation, session, team.verifier, fresh).status == 403
    assert fresh.status is S.EVALUATION_PLANNED and trail(session, fresh) == before
    step(session, team, fresh, "declare")
    evaluation.start_evaluation(session, team.verifier, fresh)
    assert fresh.status is S.UNDER_EVALUATION


def test_a_verifier_who_declared_a_conflict_cannot_act(session, team, fresh):
    bring(session, team, fresh, S.EVALUATION_PLANNED)
    review.declare_interest(session, team.verifier, fresh, conflict=True, details="I did the footprint study for them.")
    error = refusal(session, transition, session, fresh, Action.START, team.verifier)
    assert error.status == 403
    assert fresh.status is S.EVALUATION_PLANNED


def test_a_verifier_not_assigned_to_the_file_cannot_act(session, team, fresh, people):
    # decision2@ is the file's verifier; verifier@ is not assigned.
    other_team = Team(team.applicant, team.admin, Actor(people[DECIDER2]), team.decider, team.decider)
    bring(session, other_team, fresh, S.EVALUATION_PLANNED)
    assert refusal(session, transition, session, fresh, Action.START, team.verifier).status == 403
    step(session, other_team, fresh, "declare")
    assert refusal(session, transition, session, fresh, Action.START, team.verifier).status == 403
    step(session, other_team, fresh, "start")
    step(session, other_team, fresh, "evaluate")
    before = trail(session, fresh)
    for action in (Action.ISSUE_FINDINGS, Action.RECOMMEND):
        assert refusal(session, transition, session, fresh, action, team.verifier, reason="r").status == 403
    assert (
        refusal(
            session, evaluation.raise_finding, session, team.verifier, fresh, severity="minor", description="x"
        ).status
        == 403
    )
    assert fresh.status is S.UNDER_EVALUATION and trail(session, fresh) == before


def test_an_inactive_account_cannot_act(session, team, fresh, people):
    people[APPLICANT].is_active_account = False
    session.flush()
    assert refusal(session, services.submit_application, session, team.applicant, fresh).status == 403
    assert status_in_database(session, fresh) is S.DRAFT


NEEDS_REASON = [action for action, rule in TRANSITIONS.items() if rule.needs_reason]


@pytest.mark.parametrize("action", NEEDS_REASON, ids=[a.value for a in NEEDS_REASON])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_actions_that_need_reasons_are_refused_without(session, team, fresh, action, reason):
    rule = TRANSITIONS[action]
    source = next(s for s in ApplicationStatus if s in rule.sources)
    bring(session, team, fresh, source)
    prepare(session, team, fresh, action)
    before = trail(session, fresh)
    error = refusal(session, transition, session, fresh, action, actor_for(team, rule.who), reason=reason)
    assert (error.status, error.field) == (400, "reason")
    assert status_in_database(session, fresh) is source and trail(session, fresh) == before


# 3. What each step requires


def set_footprint(
    session: Session,
    team: Team,
    application: Application,
    total: str,
    split: dict[int, str],
    *,
    period: tuple[date, date] | None = None,
    share: str = "60",
) -> None:
    """Replace the draft's total, stage split (by position among the required stages), period and share."""
    stages = application.definition["boundary"]["required_stages"]
    start, end = period or data_period(utcnow().date())
    services.update_footprint(
        session,
        team.applicant,
        application,
        services.FootprintData(total, {stages[i]: value for i, value in split.items()}, start, end, share),
    )


def submit_refusal(session: Session, team: Team, application: Application) -> str:
    session.expire_all()  # as a later request would see the file
    error = refusal(session, services.submit_application, session, team.applicant, application)
    assert error.status == 400
    assert status_in_database(session, application) is S.DRAFT
    assert not session.scalar(select(func.count()).where(TransitionRecord.application_id == application.id))
    return str(error)


def test_a_complete_draft_can_be_submitted(session, team, fresh):
    services.submit_application(session, team.applicant, fresh)
    assert fresh.status is S.SUBMITTED and fresh.submitted_at is not None


def test_submit_needs_every_required_stage(session, team, fresh):
    set_footprint(session, team, fresh, "40.1", {0: "40.1"})
    assert submit_refusal(session, team, fresh) == "Give a value for every stage the scheme requires: Production."


def test_submit_needs_the_split_to_add_up(session, team, fresh):
    set_footprint(session, team, fresh, "62.4", {0: "40.1", 1: "20"})
    assert submit_refusal(session, team, fresh) == (
        "The stage values add up to 60.1, not the declared 62.4. Correct the split or the total."
    )


@pytest.mark.parametrize(("second", "accepted"), [("22.36", True), ("22.24", True), ("22.37", False), ("22.23", False)])
def test_the_split_may_differ_by_the_rounding_tolerance_only(session, team, fresh, second, accepted):
    # 0.1 % of 62.4 is 0.0624 (more than the absolute 0.01): 62.46 and 62.34 pass, 62.47 and 62.33 do not.
    set_footprint(session, team, fresh, "62.4", {0: "40.1", 1: second})
    if accepted:
        services.submit_application(session, team.applicant, fresh)
        assert fresh.status is S.SUBMITTED
    else:
        assert "The stage values add up to" in submit_refusal(session, team, fresh)


def test_submit_needs_the_study_report(session, team, fresh):
    report = next(d for d in fresh.documents if d.kind is DocumentKind.STUDY_REPORT)
    session.delete(report)
    session.flush()
    assert submit_refusal(session, team, fresh) == "Upload the footprint study report."


def test_submit_needs_the_inventory(session, team, fresh):
    session.delete(next(d for d in fresh.documents if d.kind is DocumentKind.INVENTORY))
    session.flush()
    assert submit_refusal(session, team, fresh) == "Upload the inventory workbook."


def test_submit_needs_the_schemes_primary_share(session, team, fresh):
    # The li-battery scheme asks for 0.4, i.e. 40 %.
    set_footprint(session, team, fresh, "62.4", {0: "40.1", 1: "22.3"}, share="39.999999")
    assert submit_refusal(session, team, fresh).startswith("The scheme requires at least")
    set_footprint(session, team, fresh, "62.4", {0: "40.1", 1: "22.3"}, share="40")
    services.submit_application(session, team.applicant, fresh)
    assert fresh.status is S.SUBMITTED


def test_the_primary_share_message_states_the_minimum_as_a_number(session, team, fresh):
    set_footprint(session, team, fresh, "62.4", {0: "40.1", 1: "22.3"}, share="39")
    assert submit_refusal(session, team, fresh) == "The scheme requires at least 40 % primary data."


def test_submit_needs_a_long_enough_and_recent_period(session, team, fresh):
    start, end = data_period(utcnow().date())
    set_footprint(session, team, fresh, "62.4", {0: "40.1", 1: "22.3"}, period=(add_months(start, 6), end))
    assert submit_refusal(session, team, fresh) == "The data period must cover at least 12 months."
    old = (add_months(start, -24), add_months(end + timedelta(days=1), -24) - timedelta(days=1))
    set_footprint(session, team, fresh, "62.4", {0: "40.1", 1: "22.3"}, period=old)
    assert (
        submit_refusal(session, team, fresh) == "The data period ended more than 18 months ago; use more recent data."
    )


def test_a_period_one_day_short_of_twelve_months_is_refused(session, team, fresh):
    start, end = data_period(utcnow().date())
    set_footprint(session, team, fresh, "62.4", {0: "40.1", 1: "22.3"}, period=(start + timedelta(days=1), end))
    assert submit_refusal(session, team, fresh) == "The data period must cover at least 12 months."


def bar(session: Session, organisation_id: int, *, days_from: int, days_until: int | None) -> BarredOrganisation:
    now = utcnow()
    row = BarredOrganisation(
        organisation_id=organisation_id,
        reason="Listed as a dishonest entity.",
        source="Credit China",
        barred_from=now + timedelta(days=days_from),
        barred_until=None if days_until is None else now + timedelta(days=days_until),
    )
    session.add(row)
    session.flush()
    return row


BARRED_SUBMIT = "Your organisation is barred from certification at present, so applications cannot be submitted."
BARRED_ACCEPT = "The applicant is barred from certification at present; the application cannot be accepted."


@pytest.mark.parametrize("until", [None, 30])
def test_a_barred_applicant_cannot_submit_nor_be_accepted(session, team, fresh, new_application, until):
    row = bar(session, fresh.applicant_id, days_from=-1, days_until=until)
    assert submit_refusal(session, team, fresh) == BARRED_SUBMIT

    # Another file, submitted before the bar began; then the body reviews it.
    session.delete(row)
    session.flush()
    submitted = bring(session, team, new_application(), S.SUBMITTED)
    bar(session, fresh.applicant_id, days_from=-1, days_until=until)
    error = refusal(
        session, review.accept_application, session, team.admin, submitted, complete=True, competent=True, notes=None
    )
    assert (error.status, str(error)) == (400, BARRED_ACCEPT)
    assert status_in_database(session, submitted) is S.SUBMITTED


@pytest.mark.parametrize(("days_from", "days_until"), [(-30, -1), (5, None)], ids=["ended", "not-yet-begun"])
def test_a_bar_that_ended_or_has_not_begun_does_not_stop_anything(session, team, fresh, people, days_from, days_until):
    bar(session, fresh.applicant_id, days_from=days_from, days_until=days_until)
    # Another enterprise's active bar is not this applicant's either.
    bar(session, people[OTHER_APPLICANT].organisation_id, days_from=-1, days_until=None)
    bring(session, team, fresh, S.ACCEPTED)
    record = session.scalar(
        select(TransitionRecord).where(TransitionRecord.application_id == fresh.id, TransitionRecord.action == "accept")
    )
    assert record.details["barred"] is False


def evaluate_all_but(session: Session, team: Team, application: Application, *, skip: str | None = None) -> None:
    for item in evaluation.checklist(session, application):
        if item.mode != skip:
            evaluation.complete_checklist_item(
                session,
                team.verifier,
                application,
                item.mode,
                notes="Checked.",
                site_date=utcnow().date() - timedelta(days=3),
                site_place="Plant 3",
            )


def sign(session: Session, team: Team, application: Application, opinion: str = "unmodified") -> None:
    evaluation.sign_statement(
        session,
        team.verifier,
        application,
        assurance="reasonable",
        opinion=opinion,
        materiality_percent="5",
        summary="Fairly stated.",
    )


def recommend_refusal(session: Session, team: Team, application: Application) -> str:
    before = trail(session, application)
    error = refusal(
        session, evaluation.recommend, session, team.verifier, application, outcome="grant", reasons="Fine."
    )
    assert error.status == 400
    assert status_in_database(session, application) is S.UNDER_EVALUATION and trail(session, application) == before
    return str(error)


def test_recommend_needs_every_major_finding_closed(session, team, fresh):
    bring(session, team, fresh, S.UNDER_EVALUATION)
    finding = evaluation.raise_finding(session, team.verifier, fresh, severity="major", description="No supplier data.")
    evaluation.issue_findings(session, team.verifier, fresh)
    services.respond_to_finding(session, team.applicant, fresh, finding, response="Supplier data attached.")
    services.answer_findings(session, team.applicant, fresh)
    evaluate_all_but(session, team, fresh)
    sign(session, team, fresh)
    assert recommend_refusal(session, team, fresh) == "Close every major and minor finding."
    evaluation.close_finding(session, team.verifier, fresh, finding, note="Supplier data checked.")
    step(session, team, fresh, "recommend")
    assert fresh.status is S.RECOMMENDED


def test_recommend_needs_unsent_findings_sent_and_an_open_observation_does_not_block(session, team, fresh):
    bring(session, team, fresh, S.UNDER_EVALUATION)
    evaluate_all_but(session, team, fresh)
    sign(session, team, fresh)
    observation = evaluation.raise_finding(
        session, team.verifier, fresh, severity="observation", description="Label font."
    )
    assert recommend_refusal(session, team, fresh) == "Send or delete the findings not yet sent to the applicant."
    evaluation.issue_findings(session, team.verifier, fresh)
    services.answer_findings(session, team.applicant, fresh)  # an observation needs no answer
    assert session.get(Finding, observation.id).closed_at is None
    step(session, team, fresh, "recommend")
    assert fresh.status is S.RECOMMENDED


def test_recommend_needs_the_whole_checklist(session, team, fresh):
    bring(session, team, fresh, S.UNDER_EVALUATION)
    evaluate_all_but(session, team, fresh, skip="site_inspection")
    sign(session, team, fresh)
    assert recommend_refusal(session, team, fresh) == "Complete every item of the evaluation checklist."
    evaluation.complete_checklist_item(
        session,
        team.verifier,
        fresh,
        "site_inspection",
        notes="Visited.",
        site_date=utcnow().date(),
        site_place="Plant 3",
    )
    step(session, team, fresh, "recommend")
    assert fresh.status is S.RECOMMENDED


def test_recommend_needs_a_signed_statement(session, team, fresh):
    bring(session, team, fresh, S.UNDER_EVALUATION)
    evaluate_all_but(session, team, fresh)
    assert recommend_refusal(session, team, fresh) == "Sign the verification statement."
    sign(session, team, fresh)
    step(session, team, fresh, "recommend")
    assert fresh.status is S.RECOMMENDED


def test_recommend_lists_every_problem_at_once(session, team, fresh):
    bring(session, team, fresh, S.UNDER_EVALUATION)
    message = recommend_refusal(session, team, fresh)
    # One sentence per problem, never glued with a semicolon after a full stop ("…所有事项。；请签署核查声明。").
    assert "Complete every item of the evaluation checklist. " in message
    assert message.endswith("Sign the verification statement.")
    assert ";" not in message


def test_no_grant_on_an_adverse_opinion(session, team, fresh):
    bring(session, team, fresh, S.UNDER_EVALUATION)
    evaluate_all_but(session, team, fresh)
    sign(session, team, fresh, opinion="adverse")
    error = refusal(session, evaluation.recommend, session, team.verifier, fresh, outcome="grant", reasons="Fine.")
    assert str(error) == "An adverse opinion cannot lead to a recommendation to grant."
    evaluation.recommend(session, team.verifier, fresh, outcome="refuse", reasons="Adverse opinion.")
    assert fresh.status is S.RECOMMENDED

    before = trail(session, fresh)
    error = refusal(
        session, decisions.decide_application, session, team.decider, fresh, outcome=Outcome.GRANT, reasons="Grant."
    )
    assert (error.status, str(error)) == (400, "A label cannot be granted on an adverse verification opinion.")
    assert status_in_database(session, fresh) is S.RECOMMENDED and trail(session, fresh) == before
    assert session.scalar(select(Label).where(Label.application_id == fresh.id)) is None

    # Refusing is possible; on appeal, a grant is refused for the same reason.
    step(session, team, fresh, "refuse")
    step(session, team, fresh, "appeal")
    error = refusal(
        session,
        decisions.decide_application,
        session,
        team.appeal_decider,
        fresh,
        outcome=Outcome.GRANT,
        reasons="Grant.",
        on_appeal=True,
    )
    assert str(error) == "A label cannot be granted on an adverse verification opinion."
    assert status_in_database(session, fresh) is S.APPEALED


# 4. Independence of decisions


def test_a_decision_maker_who_verified_the_file_cannot_decide_it(session, team, fresh, people):
    verifying = Team(team.applicant, team.admin, Actor(people[DECIDER2]), team.decider, team.decider)
    assert people[DECIDER2].id in {
        u.id for u in review.eligible_verifiers(session, bring(session, team, fresh, S.ACCEPTED))
    }
    bring_path = ("plan", "declare", "start", "evaluate", "recommend")
    for name in bring_path:
        step(session, verifying, fresh, name)
    assert fresh.status is S.RECOMMENDED

    before = trail(session, fresh)
    for outcome in Outcome:
        error = refusal(
            session,
            decisions.decide_application,
            session,
            Actor(people[DECIDER2]),
            fresh,
            outcome=outcome,
            reasons="I checked it myself.",
        )
        assert error.status == 403
    assert status_in_database(session, fresh) is S.RECOMMENDED and trail(session, fresh) == before
    # The recommendation was announced to decision@ only, the decision maker with no part in the file.
    recommend_told = session.scalars(
        select(Notification.user_id).where(
            Notification.application_id == fresh.id, Notification.event == "application:recommend"
        )
    )
    assert emails(session, list(recommend_told)) == [DECIDER]

    decisions.decide_application(session, team.decider, fresh, outcome=Outcome.REFUSE, reasons="Not confirmed.")
    step(session, team, fresh, "appeal")
    # Neither decision maker may decide the appeal: one verified the file, the other decided it.
    for email in (DECIDER, DECIDER2):
        error = refusal(
            session,
            decisions.decide_application,
            session,
            Actor(people[email]),
            fresh,
            outcome=Outcome.GRANT,
            reasons="On appeal.",
            on_appeal=True,
        )
        assert error.status == 403, email
    assert status_in_database(session, fresh) is S.APPEALED


def test_the_appeal_goes_to_a_decision_maker_who_took_no_part(session, team, fresh, people):
    bring(session, team, fresh, S.APPEALED)
    before = trail(session, fresh)
    for outcome in Outcome:
        error = refusal(
            session,
            decisions.decide_application,
            session,
            team.decider,
            fresh,
            outcome=outcome,
            reasons="My own decision stands.",
            on_appeal=True,
        )
        assert error.status == 403
    assert status_in_database(session, fresh) is S.APPEALED and trail(session, fresh) == before

    label = decisions.decide_application(
        session,
        Actor(people[DECIDER2]),
        fresh,
        outcome=Outcome.GRANT,
        reasons="The supplier data covers the period.",
        on_appeal=True,
    )
    assert fresh.status is S.GRANTED and label is not None
    deciders = session.execute(
        select(Decision.capacity, Decision.decided_by_id, Decision.outcome)
        .where(Decision.application_id == fresh.id)
        .order_by(Decision.id)
    ).all()
    assert deciders == [
        (Capacity.DECIDER, people[DECIDER].id, Outcome.REFUSE),
        (Capacity.APPEAL_DECIDER, people[DECIDER2].id, Outcome.GRANT),
    ]


def test_the_database_keeps_one_capacity_per_person_and_file(session, team, fresh, people):
    bring(session, team, fresh, S.RECOMMENDED)
    for capacity in (Capacity.DECIDER, Capacity.APPEAL_DECIDER):
        savepoint = session.begin_nested()
        session.add(Participant(application_id=fresh.id, user_id=people[VERIFIER].id, capacity=capacity))
        with pytest.raises(IntegrityError):
            session.flush()
        savepoint.rollback()
    # Someone not in the file may join it as its decider.
    with session.begin_nested():
        session.add(Participant(application_id=fresh.id, user_id=people[DECIDER].id, capacity=Capacity.DECIDER))
    assert session.scalar(select(func.count()).where(Participant.application_id == fresh.id)) == 2


@pytest.mark.parametrize("who", [DECIDER, VERIFIER, BODY_ADMIN])
def test_the_database_refuses_a_decision_by_anyone_not_in_the_deciding_capacity(session, team, fresh, people, who):
    bring(session, team, fresh, S.RECOMMENDED)
    savepoint = session.begin_nested()
    session.add(
        Decision(
            application_id=fresh.id,
            capacity=Capacity.DECIDER,
            decided_by_id=people[who].id,
            outcome=Outcome.GRANT,
            reasons="Granted.",
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()
    # With decision@ a participant as decider, the same row is accepted.
    with session.begin_nested():
        session.add(Participant(application_id=fresh.id, user_id=people[DECIDER].id, capacity=Capacity.DECIDER))
        session.flush()
        session.add(
            Decision(
                application_id=fresh.id,
                capacity=Capacity.DECIDER,
                decided_by_id=people[DECIDER].id,
                outcome=Outcome.GRANT,
                reasons="Granted.",
            )
        )
    assert session.scalar(select(func.count()).where(Decision.application_id == fresh.id)) == 1


# 5. The database's status trigger


def raw_update(session: Session, application: Application, status: str) -> None:
    session.execute(
        text(
            "UPDATE applications SET status = :status, submitted_at = COALESCE(submitted_at, CURRENT_TIMESTAMP) WHERE id = :id"
        ),
        {"status": status, "id": application.id},
    )


def test_the_database_refuses_to_reopen_a_granted_application(session, team, fresh):
    bring(session, team, fresh, S.GRANTED)
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="not allowed by the workflow"):
        session.execute(text("UPDATE applications SET status = 'draft' WHERE id = :id"), {"id": fresh.id})
    savepoint.rollback()
    assert status_in_database(session, fresh) is S.GRANTED
    # The transaction is still usable, and writing the same status again is no change at all.
    session.execute(text("UPDATE applications SET status = 'granted' WHERE id = :id"), {"id": fresh.id})
    assert status_in_database(session, fresh) is S.GRANTED


@pytest.mark.parametrize("source", list(ApplicationStatus), ids=[s.value for s in ApplicationStatus])
def test_the_trigger_allows_exactly_the_tables_pairs(session, team, fresh, source):
    bring(session, team, fresh, source)
    refused, allowed = [], []
    for target in ApplicationStatus:
        if target is source:
            continue
        savepoint = session.begin_nested()
        try:
            raw_update(session, fresh, target.value)
        except DBAPIError as error:
            assert "not allowed by the workflow" in str(error.orig), error
            refused.append(target)
        else:
            assert status_in_database(session, fresh) is target
            allowed.append(target)
        savepoint.rollback()
    assert set(allowed) == {t for s, t in ALLOWED_PAIRS if s is source}
    assert status_in_database(session, fresh) is source


def test_the_allowed_raw_update_from_draft_to_submitted_goes_through(session, fresh):
    session.flush()
    result = session.execute(
        text(
            "UPDATE applications SET status = 'submitted', submitted_at = CURRENT_TIMESTAMP WHERE id = :id AND status = 'draft'"
        ),
        {"id": fresh.id},
    )
    assert result.rowcount == 1
    assert status_in_database(session, fresh) is S.SUBMITTED


INSERT_COPY = (
    "INSERT INTO applications (applicant_id, applicant_kind, body_id, body_kind, product_id, scheme_version_id, status,"
    " status_changed_at, declared_footprint, period_start, period_end, primary_share_percent, findings_round,"
    " created_by_id, created_at, submitted_at)"
    " SELECT applicant_id, applicant_kind, body_id, body_kind, product_id, scheme_version_id, :status, status_changed_at,"
    " declared_footprint, period_start, period_end, primary_share_percent, findings_round, created_by_id, created_at,"
    " submitted_at FROM applications WHERE id = :id"
)


@pytest.mark.parametrize("status", ["granted", "submitted", "recommended"])
def test_an_application_cannot_be_inserted_past_draft(session, team, fresh, status):
    # A copy of a granted file: complete, so only the trigger stands in the way.
    bring(session, team, fresh, S.GRANTED)
    count = session.scalar(select(func.count()).select_from(Application))
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="start as drafts"):
        session.execute(text(INSERT_COPY), {"status": status, "id": fresh.id})
    savepoint.rollback()
    assert session.scalar(select(func.count()).select_from(Application)) == count
    session.execute(text(INSERT_COPY), {"status": "draft", "id": fresh.id})
    assert session.scalar(select(func.count()).select_from(Application)) == count + 1


# 6. The migration's trigger holds the table's pairs


def test_the_migration_allows_exactly_the_workflows_pairs():
    path = PROJECT_ROOT / "registry" / "migrations" / "versions" / "0002_certification.py"
    spec = importlib.util.spec_from_file_location("migration_0002_certification", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pairs = module.ALLOWED_TRANSITIONS
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == {f"{a}>{b}" for a, b in workflow.ALLOWED_PAIRS}


# 7. Labels


def label_of(session: Session, application: Application) -> Label | None:
    return session.scalar(select(Label).where(Label.application_id == application.id))


def test_a_label_exists_exactly_for_granted_applications(session, team, new_application, people):
    granted, on_appeal, refused, recommended = (new_application() for _ in range(4))
    bring(session, team, granted, S.GRANTED)
    bring(session, team, on_appeal, S.APPEALED)
    do(session, team, on_appeal, "grant_on_appeal")
    bring(session, team, refused, S.REFUSED_FINAL)
    bring(session, team, recommended, S.RECOMMENDED)
    rows = session.execute(
        select(Application.id, Application.status, Label.id).outerjoin(Label, Label.application_id == Application.id)
    ).all()
    assert {status for _, status, _ in rows} >= {S.GRANTED, S.REFUSED_FINAL, S.RECOMMENDED}
    for application_id, status, label_id in rows:
        assert (label_id is not None) == (status is S.GRANTED), (application_id, status)
    assert label_of(session, granted) is not None and label_of(session, on_appeal) is not None


def test_the_database_refuses_a_label_for_an_application_not_granted(session, team, fresh, new_application):
    bring(session, team, fresh, S.GRANTED)
    label = label_of(session, fresh)
    other = bring(session, team, new_application(), S.RECOMMENDED)
    savepoint = session.begin_nested()
    now = utcnow()  # a label like any issued today: only its application's status is wrong
    session.add(
        Label(
            public_id="x" * 22,
            certificate_number=f"CFP-HTDEMO-{now.year}-999999",
            sequence=999999,
            application_id=other.id,
            application_status=S.GRANTED,
            product_id=other.product_id,
            holder_id=other.applicant_id,
            body_id=other.body_id,
            scheme_version_id=other.scheme_version_id,
            footprint=Decimal("1"),
            declared_unit="kWh",
            grade_code="1",
            valid_from=now.date(),
            valid_until=add_months(now.date(), 36),
            issued_at=now,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()
    assert label_of(session, fresh).id == label.id


def test_certificate_numbers_are_consecutive_and_public_ids_long(session, team, new_application):
    first, second = new_application(), new_application(footprint="55", split=("40", "15"))
    for application in (first, second):
        bring(session, team, application, S.RECOMMENDED)
    labels = []
    for application in (first, second):
        step(session, team, application, "grant")
        labels.append(label_of(session, application))
    today = utcnow().date()
    for label in labels:
        assert re.fullmatch(rf"CFP-HTDEMO-{today.year}-\d{{6}}", label.certificate_number), label.certificate_number
        assert label.certificate_number == f"CFP-HTDEMO-{today.year}-{label.sequence:06d}"
        assert len(label.public_id) >= 16 and re.fullmatch(r"[A-Za-z0-9_-]+", label.public_id)
        assert (label.valid_from, label.valid_until) == (today, add_months(today, 36))
    assert labels[1].sequence == labels[0].sequence + 1
    assert labels[0].public_id != labels[1].public_id
    counter = session.get(CertificateCounter, (first.body_id, today.year))
    assert counter.last_sequence == labels[1].sequence
    # The grade from the scheme's bands: 62.4 is in grade 2 (55 < x <= 70); 55 exactly is still grade 1.
    assert [label.grade_code for label in labels] == ["2", "1"]
    assert [label.footprint for label in labels] == [Decimal("62.4"), Decimal("55")]


def test_a_rolled_back_grant_gives_its_number_back(session, team, new_application):
    first, second = new_application(), new_application()
    for application in (first, second):
        bring(session, team, application, S.RECOMMENDED)
    savepoint = session.begin_nested()
    number = decisions.decide_application(
        session, team.decider, first, outcome=Outcome.GRANT, reasons="Confirmed."
    ).sequence
    savepoint.rollback()
    session.expire_all()
    assert first.status is S.RECOMMENDED and label_of(session, first) is None
    label = decisions.decide_application(session, team.decider, second, outcome=Outcome.GRANT, reasons="Confirmed.")
    assert label.sequence == number


@pytest.fixture
def grades(session: Session) -> tuple[Grade, ...]:
    version = services.current_scheme_version(session, "li-battery")
    return version.spec.grades


@pytest.mark.parametrize(
    ("footprint", "grade"),
    [
        ("0.000001", "1"),
        ("55", "1"),
        ("55.000001", "2"),
        ("70", "2"),
        ("70.000001", "3"),
        ("85", "3"),
        ("100", "4"),
        ("100.000001", "5"),
        ("99999", "5"),
    ],
)
def test_grade_follows_the_schemes_bands_with_the_bound_in_its_band(grades, footprint, grade):
    assert grade_for(grades, Decimal(footprint)) == grade


def test_grade_needs_an_unbounded_last_band():
    with pytest.raises(ValueError, match="unbounded"):
        grade_for([Grade(code="1", name_zh="一级", name_en="Grade 1", max_kg_co2e=Decimal(10))], Decimal("11"))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 1, 1), -12, date(2024, 1, 1)),
        (date(2025, 8, 31), 36, date(2028, 8, 31)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_months_last_day(start, months, expected):
    assert add_months(start, months) == expected


def test_a_verifier_cannot_declare_on_a_closed_file(session, team, fresh):
    # Found by the state machine on PostgreSQL: a withdrawn file still took a declaration and its audit event.
    bring(session, team, fresh, S.EVALUATION_PLANNED)
    transition(session, fresh, Action.WITHDRAW, team.applicant)
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    error = refusal(session, review.declare_interest, session, team.verifier, fresh, conflict=False, details=None)
    assert error.status == 409 and "closed" in str(error.message)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_a_second_open_draft_for_the_same_product_scheme_and_body_is_refused_naming_the_first(
    session, team, product, body, upload_dir
):
    demo_draft = session.scalar(
        select(Application).where(Application.product_id == product.id, Application.status == S.DRAFT)
    )
    error = refusal(session, services.start_application, session, team.applicant, product, body)
    assert isinstance(error, services.DuplicateDraft)
    assert error.existing.id == demo_draft.id
    assert error.status == 409 and error.field == "product_id"
    assert demo_draft.reference in str(error)
    # Once it is withdrawn a new draft starts; returned to the applicant, that one is still open and refuses a third.
    services.withdraw_application(session, team.applicant, demo_draft, reason=None)
    second = services.start_application(session, team.applicant, product, body)
    assert second.status is S.DRAFT
    services.withdraw_application(session, team.applicant, second, reason=None)
    returned = drive_to(session, team, complete_draft(session, team, product, body, folder=upload_dir), S.RETURNED)
    error = refusal(session, services.start_application, session, team.applicant, product, body)
    assert isinstance(error, services.DuplicateDraft) and error.existing.id == returned.id
    # Submitted again, it is no longer a draft: a new one may start beside it (a body sees each file it receives).
    step(session, team, returned, "submit")
    assert services.start_application(session, team.applicant, product, body).status is S.DRAFT
