"""The application workflow as a Hypothesis state machine, at the service level.

One complete draft per example; rules try every step a person can take, by the right person (the team of
the example) or by anyone else, in any order. Every attempt runs in a savepoint: a refused one is rolled
back and must leave the status as it was. Invariants hold after every step: nobody decides a file they
evaluated, a final status never changes, a label exists exactly for a granted file, and the status is the
last recorded transition's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from registry.accounts.models import Role, User
from registry.applications.models import (
    Application,
    ApplicationStatus as S,
    Assignment,
    Capacity,
    Decision,
    Declaration,
    Finding,
    Outcome,
    Participant,
    Statement,
    TransitionRecord,
)
from registry.applications.services import applicant as services, decisions, evaluation, review
from registry.applications.workflow import ALLOWED_PAIRS, TRANSITIONS, Action
from registry.audit.models import AuditEvent
from registry.audit.services import Actor
from registry.demo.applications import Team, complete_draft, step
from registry.errors import ServiceError
from registry.labels.models import Label
from registry.organisations.models import Organisation
from registry.products.models import Product

DEMO_STEPS = (
    "submit",
    "return",
    "reject",
    "accept",
    "plan",
    "declare",
    "start",
    "raise",
    "issue",
    "evaluate",
    "recommend",
    "grant",
    "refuse",
    "appeal",
    "refuse_final",
    "withdraw",
)
EXTRA_STEPS = ("answer findings", "close findings", "grant_on_appeal", "declare conflict")
STEPS = DEMO_STEPS + EXTRA_STEPS
# Withdrawing ends an example at once; the team tries it only late in one, so that most go further.
LATE = 15

PEOPLE = (
    "applicant@example.com",
    "applicant.pv@example.com",
    "body.admin@example.com",
    "verifier@example.com",
    "decision@example.com",
    "decision2@example.com",
    "body2.admin@example.com",
    "regulator@example.com",
    "admin@example.com",
)
# People with no business in a file of the battery maker at the demo body: nothing they try may leave a trace.
OUTSIDERS = frozenset(
    {"applicant.pv@example.com", "body2.admin@example.com", "regulator@example.com", "admin@example.com"}
)

# The people who verify, decide and decide an appeal, in each kind of example. When a decision maker
# verifies, the body has one decision maker left, so an appeal can never be decided.
TEAMS = {
    "demo": ("verifier@example.com", "decision@example.com", "decision2@example.com"),
    "decision maker verifies": ("decision@example.com", "decision2@example.com", "decision@example.com"),
    "deciders swapped": ("verifier@example.com", "decision2@example.com", "decision@example.com"),
}

# Where the right person may take the file from each status, besides moving it on (some listed twice to be
# taken more often).
BRANCHES: dict[S, tuple[str, ...]] = {
    S.SUBMITTED: ("accept", "accept", "accept", "accept", "return", "reject"),
    S.UNDER_EVALUATION: ("on", "on", "on", "raise"),
    S.RECOMMENDED: ("grant", "grant", "refuse"),
    S.APPEALED: ("refuse_final", "grant_on_appeal"),
}
FORWARD: dict[S, str] = {
    S.DRAFT: "submit",
    S.RETURNED: "submit",
    S.ACCEPTED: "plan",
    S.FINDINGS_OPEN: "answer findings",
    S.REFUSED: "appeal",
}


def next_step(session: Session, team: Team, application: Application, choice: str | None) -> str | None:
    """The step the right person would take next to move the file on, ``choice`` deciding at a fork."""
    status = application.status
    if status in FORWARD:
        return FORWARD[status]
    if status is S.EVALUATION_PLANNED:
        mine = next(
            (
                a
                for a in session.scalars(select(Assignment).where(Assignment.application_id == application.id))
                if a.verifier_id == team.verifier.user.id
            ),
            None,
        )
        return "declare" if mine is not None and mine.declaration is None else "start"
    if status is S.UNDER_EVALUATION and choice == "on":
        findings = evaluation.list_findings(session, application, include_unsent=True)
        if any(f.round > application.findings_round for f in findings):
            return "issue"
        if any(f.closed_at is None for f in findings if f.round <= application.findings_round):
            return "close findings"
        return "evaluate" if session.get(Statement, application.id) is None else "recommend"
    return choice


def perform(session: Session, team: Team, application: Application, name: str) -> None:
    """One step by the team's people: the demo's steps and a few more."""
    if name == "answer findings":
        for finding in evaluation.list_findings(session, application, include_unsent=False):
            if finding.closed_at is None and finding.response is None:
                services.respond_to_finding(
                    session, team.applicant, application, finding, response="Corrected with the 2024 grid factor."
                )
        services.answer_findings(session, team.applicant, application)
    elif name == "close findings":
        for finding in evaluation.list_findings(session, application, include_unsent=False):
            if finding.closed_at is None:
                evaluation.close_finding(session, team.verifier, application, finding, note="The answer is accepted.")
    elif name == "grant_on_appeal":
        decisions.decide_application(
            session,
            team.appeal_decider,
            application,
            outcome=Outcome.GRANT,
            reasons="The supplier data covers the period after all.",
            on_appeal=True,
        )
    elif name == "declare conflict":
        review.declare_interest(session, team.verifier, application, conflict=True, details="Former employee.")
    else:
        step(session, team, application, name)


@dataclass
class Audit:
    status: S
    transitions: int
    events: int


def test_workflow_state_machine(session_factory: sessionmaker[Session], upload_dir) -> None:
    session = session_factory()
    people = {email: session.scalar(select(User).where(User.email == email)) for email in PEOPLE}
    assert all(people.values())
    actors = {email: Actor(user) for email, user in people.items()}
    body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    applicant = people["applicant@example.com"]
    product = session.scalar(
        select(Product).where(Product.organisation_id == applicant.organisation_id, Product.model == "LN-PT-18V4Ah")
    )
    assert body is not None and product is not None
    everyone_as = {email: Team(actor, actor, actor, actor, actor) for email, actor in actors.items()}
    counts = {"attempts": 0, "refused": 0, "final": 0}

    class Workflow(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.example = session.begin_nested()
            self.application: Application | None = None
            self.team: Team | None = None
            self.final: S | None = None
            self.attempts = 0
            self.tried_everything = False

        @initialize(variant=st.sampled_from(sorted(TEAMS)))
        def draft(self, variant: str) -> None:
            verifier, decider, appeal_decider = TEAMS[variant]
            self.team = Team(
                applicant=actors["applicant@example.com"],
                admin=actors["body.admin@example.com"],
                verifier=actors[verifier],
                decider=actors[decider],
                appeal_decider=actors[appeal_decider],
            )
            self.application = complete_draft(session, self.team, product, body, folder=upload_dir)
            assert self.application.status is S.DRAFT

        def teardown(self) -> None:
            if self.example.is_active:
                self.example.rollback()
            session.expire_all()
            counts["final"] += bool(self.final)

        # Attempts.

        def snapshot(self) -> Audit:
            assert self.application is not None
            app_id = self.application.id
            return Audit(
                status=session.scalar(select(Application.status).where(Application.id == app_id)),
                transitions=session.scalar(
                    select(func.count()).select_from(TransitionRecord).where(TransitionRecord.application_id == app_id)
                ),
                events=session.scalar(select(func.count()).select_from(AuditEvent)),
            )

        def attempt(self, action: Callable[[], None], *, changes_nothing: bool = False) -> bool:
            before = self.snapshot()
            counts["attempts"] += 1
            self.attempts += 1
            savepoint = session.begin_nested()
            try:
                action()
            except ServiceError as error:
                savepoint.rollback()
                session.expire_all()
                counts["refused"] += 1
                after = self.snapshot()
                assert error.status in (400, 403, 404, 409), error.status
                assert after.status is before.status is self.application.status
                assert after.transitions == before.transitions
                assert after.events == before.events
                return False
            except BaseException:
                if savepoint.is_active:
                    savepoint.rollback()
                raise
            savepoint.commit()
            if changes_nothing:
                after = self.snapshot()
                assert (after.status, after.transitions, after.events) == (
                    before.status,
                    before.transitions,
                    before.events,
                ), "an outsider changed the file, or a final one changed"
            return True

        @rule(data=st.data(), count=st.integers(1, 6))
        def advance(self, data: st.DataObject, count: int) -> None:
            """The right people move the file on by up to ``count`` steps."""
            for _ in range(count):
                status = self.application.status
                if status.is_final:
                    return
                choice = data.draw(st.sampled_from(BRANCHES[status]), label="fork") if status in BRANCHES else None
                name = next_step(session, self.team, self.application, choice)
                assert name is not None
                if not self.attempt(partial(perform, session, self.team, self.application, name)):
                    return

        @rule(name=st.sampled_from(STEPS))
        def by_the_team(self, name: str) -> None:
            if name == "withdraw" and self.attempts < LATE and not self.application.status.is_final:
                return
            self.attempt(lambda: perform(session, self.team, self.application, name))

        @precondition(lambda self: self.application.status.is_final and not self.tried_everything)
        @rule()
        def everything_in_a_final_state(self) -> None:
            """Once final, every step by the team and by everyone else changes nothing."""
            self.tried_everything = True
            for name in STEPS:
                for team in (self.team, *everyone_as.values()):
                    self.attempt(partial(perform, session, team, self.application, name), changes_nothing=True)

        @rule(name=st.sampled_from(STEPS), who=st.sampled_from(PEOPLE))
        def by_anyone(self, name: str, who: str) -> None:
            """Anyone taking any step in every capacity at once: applicant, administrator, verifier, decider."""
            self.attempt(
                lambda: perform(session, everyone_as[who], self.application, name), changes_nothing=who in OUTSIDERS
            )

        @rule(data=st.data(), who=st.sampled_from(PEOPLE))
        def impostor(self, data: st.DataObject, who: str) -> None:
            """Someone takes the step that is due now, in every capacity at once: only who they are stands in the
            way (and for the team's own people, in another capacity, it may be their step after all)."""
            status = self.application.status
            if status.is_final:
                return
            choice = data.draw(st.sampled_from(BRANCHES[status]), label="fork") if status in BRANCHES else None
            name = next_step(session, self.team, self.application, choice)
            assert name is not None
            for outsider in sorted(OUTSIDERS):
                self.attempt(
                    partial(perform, session, everyone_as[outsider], self.application, name), changes_nothing=True
                )
            self.attempt(
                lambda: perform(session, everyone_as[who], self.application, name), changes_nothing=who in OUTSIDERS
            )

        @rule(who=st.sampled_from(PEOPLE), admin=st.sampled_from(("body.admin@example.com", "body2.admin@example.com")))
        def assign_another_verifier(self, who: str, admin: str) -> None:
            self.attempt(
                lambda: review.assign_verifiers(session, actors[admin], self.application, [people[who].id]),
                changes_nothing=admin in OUTSIDERS or who in OUTSIDERS,
            )

        @rule(who=st.sampled_from(PEOPLE), conflict=st.booleans())
        def declare(self, who: str, conflict: bool) -> None:
            self.attempt(
                lambda: review.declare_interest(
                    session,
                    actors[who],
                    self.application,
                    conflict=conflict,
                    details="Shares in the applicant." if conflict else None,
                ),
                changes_nothing=who in OUTSIDERS,
            )

        # Invariants.

        @invariant()
        def nobody_decides_a_file_they_evaluated(self) -> None:
            app_id = self.application.id
            verifiers = set(session.scalars(select(Assignment.verifier_id).where(Assignment.application_id == app_id)))
            made = list(session.scalars(select(Decision).where(Decision.application_id == app_id)))
            for decision in made:
                assert decision.decided_by_id not in verifiers, "a verifier of the file decided it"
                capacity = session.scalar(
                    select(Participant.capacity).where(
                        Participant.application_id == app_id, Participant.user_id == decision.decided_by_id
                    )
                )
                assert capacity is decision.capacity
            by_capacity = {d.capacity: d.decided_by_id for d in made}
            assert len(by_capacity) == len(made)
            if Capacity.DECIDER in by_capacity and Capacity.APPEAL_DECIDER in by_capacity:
                assert by_capacity[Capacity.DECIDER] != by_capacity[Capacity.APPEAL_DECIDER], (
                    "the first decider decided the appeal"
                )

        @invariant()
        def a_final_status_never_changes(self) -> None:
            status = session.scalar(select(Application.status).where(Application.id == self.application.id))
            if self.final is not None:
                assert status is self.final, f"left the final status {self.final} for {status}"
            elif status.is_final:
                self.final = status
                counts[status.value] = counts.get(status.value, 0) + 1

        @invariant()
        def a_label_exists_exactly_for_a_granted_file(self) -> None:
            app_id = self.application.id
            status = session.scalar(select(Application.status).where(Application.id == app_id))
            labels = list(session.scalars(select(Label).where(Label.application_id == app_id)))
            assert len(labels) == (1 if status is S.GRANTED else 0), (status, labels)

        @invariant()
        def the_status_is_the_last_recorded_transition(self) -> None:
            app_id = self.application.id
            status = session.scalar(select(Application.status).where(Application.id == app_id))
            assert status is self.application.status
            records = list(
                session.scalars(
                    select(TransitionRecord)
                    .where(TransitionRecord.application_id == app_id)
                    .order_by(TransitionRecord.id)
                )
            )
            assert status is (records[-1].to_status if records else S.DRAFT)
            previous = S.DRAFT
            for record in records:
                assert record.from_status is previous and (record.from_status, record.to_status) in ALLOWED_PAIRS
                assert TRANSITIONS[Action(record.action)].target is record.to_status
                previous = record.to_status

        @invariant()
        def every_transition_was_taken_by_someone_entitled_to(self) -> None:
            application = self.application
            assignments = {
                a.verifier_id: a
                for a in session.scalars(select(Assignment).where(Assignment.application_id == application.id))
            }
            deciders: dict[Capacity, int] = {}
            for record in session.scalars(
                select(TransitionRecord)
                .where(TransitionRecord.application_id == application.id)
                .order_by(TransitionRecord.id)
            ):
                actor = record.actor
                assert actor is not None
                who = TRANSITIONS[Action(record.action)].who
                if who is Capacity.APPLICANT:
                    assert actor.role is Role.APPLICANT and actor.organisation_id == application.applicant_id
                elif who is Capacity.BODY_ADMIN:
                    assert actor.role is Role.BODY_ADMIN and actor.organisation_id == application.body_id
                elif who is Capacity.VERIFIER:
                    assignment = assignments.get(actor.id)
                    assert assignment is not None and assignment.declaration is Declaration.NO_CONFLICT, actor.email
                else:
                    assert actor.role is Role.DECISION_MAKER and actor.organisation_id == application.body_id
                    assert actor.id not in assignments, f"{actor.email} evaluated and decided"
                    deciders[who] = actor.id
            if Capacity.DECIDER in deciders and Capacity.APPEAL_DECIDER in deciders:
                assert deciders[Capacity.DECIDER] != deciders[Capacity.APPEAL_DECIDER]

        @invariant()
        def unsent_findings_are_not_answered(self) -> None:
            application = self.application
            for finding in session.scalars(select(Finding).where(Finding.application_id == application.id)):
                if finding.round > application.findings_round:
                    assert finding.response is None and finding.closed_at is None

    try:
        run_state_machine_as_test(
            Workflow,
            settings=settings(
                max_examples=30,
                stateful_step_count=25,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            ),
        )
    finally:
        session.close()
    # The machine reached the interesting places, not only refusals.
    assert counts["attempts"] > counts["refused"] > 0
    assert counts["final"] > 0, counts


@pytest.mark.parametrize("variant", sorted(TEAMS))
def test_each_team_can_take_a_file_to_a_decision(session, upload_dir, variant):
    """The teams the machine uses are able to reach a decision (so its invariants are not vacuous)."""
    verifier, decider, appeal_decider = TEAMS[variant]
    team = Team.demo(session)
    actor = {a.user.email: a for a in (team.applicant, team.admin, team.verifier, team.decider, team.appeal_decider)}
    team = Team(team.applicant, team.admin, actor[verifier], actor[decider], actor[appeal_decider])
    body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    product = session.scalar(select(Product).where(Product.model == "LN-PT-18V4Ah"))
    application = complete_draft(session, team, product, body, folder=upload_dir)
    for name in (
        "submit",
        "accept",
        "plan",
        "declare",
        "start",
        "raise",
        "issue",
        "answer findings",
        "close findings",
        "evaluate",
        "recommend",
        "refuse",
        "appeal",
    ):
        perform(session, team, application, name)
    assert application.status is S.APPEALED
    if variant == "decision maker verifies":
        # Both decision makers are now in the file: nobody may decide the appeal.
        for name in ("refuse_final", "grant_on_appeal"):
            with pytest.raises(ServiceError) as refused:
                perform(session, team, application, name)
            assert refused.value.status == 403
        assert application.status is S.APPEALED
    else:
        perform(session, team, application, "grant_on_appeal")
        assert application.status is S.GRANTED
        assert (
            session.scalar(select(func.count()).select_from(Label).where(Label.application_id == application.id)) == 1
        )
