"""The label lifecycle as a Hypothesis state machine, at the service level.

Each example takes one of the demo's labels; rules try every action, by every kind of person (the issuing
body, a regulator, the holder, someone of another enterprise or body, a verifier, the site administrator, the
registry itself) with good or bad reasons, in any order. Every attempt runs in a savepoint: a refused one is rolled
back and must leave no trace. After every step: a final status stays final, the status-list bits equal the
status, every change has one history row and one audit event, and every change was taken by someone entitled to.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from registry.accounts.models import User
from registry.audit.models import AuditEvent
from registry.audit.services import Actor
from registry.errors import ServiceError
from registry.labels import lifecycle
from registry.labels.lifecycle import LIFECYCLE, REASONS, capacities_of, china_today
from registry.labels.models import Label, LabelAction, LabelCapacity, LabelReason, LabelStatus, LabelTransition
from registry.labels.status_lists import bitstring

PEOPLE = (
    "body.admin@example.com",
    "regulator@example.com",
    "applicant@example.com",
    "applicant.pv@example.com",
    "body2.admin@example.com",
    "verifier@example.com",
    "decision@example.com",
    "admin@example.com",
)
REVOKED = {LabelStatus.WITHDRAWN, LabelStatus.CANCELLED}


def test_label_lifecycle_state_machine(session_factory: sessionmaker[Session]) -> None:
    session = session_factory()
    labels = list(session.scalars(select(Label).where(Label.status == LabelStatus.VALID).order_by(Label.id)))
    people = {u.email: u for u in session.scalars(select(User).where(User.email.in_(PEOPLE)))}
    assert len(labels) >= 3 and set(people) == set(PEOPLE)

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.outer = session.begin_nested()
            self.label: Label | None = None
            self.final: LabelStatus | None = None

        @initialize(index=st.integers(0, len(labels) - 1))
        def pick(self, index: int) -> None:
            self.label = labels[index]
            session.refresh(self.label)

        def teardown(self) -> None:
            self.outer.rollback()
            session.expire_all()

        def trace(self) -> tuple[int, int]:
            assert self.label is not None
            return (
                session.scalar(select(func.count()).where(LabelTransition.label_id == self.label.id)),
                session.scalar(
                    select(func.count()).where(
                        AuditEvent.subject_type == "labels", AuditEvent.subject_id == str(self.label.id)
                    )
                ),
            )

        def attempt(self, action: LabelAction, actor: Actor, **kwargs: object) -> None:
            assert self.label is not None
            before, status = self.trace(), self.label.status
            savepoint = session.begin_nested()
            try:
                lifecycle.change_status(session, self.label, action, actor, **kwargs)  # type: ignore[arg-type]
            except ServiceError:
                savepoint.rollback()
                session.refresh(self.label)
                assert self.label.status is status and self.trace() == before
                return
            savepoint.commit()
            assert self.trace() == (before[0] + 1, before[1] + 1)
            assert (status, self.label.status) in LIFECYCLE.allowed_pairs
            if self.label.status in LIFECYCLE.final:
                self.final = self.label.status

        @rule(
            action=st.sampled_from(
                [LabelAction.SUSPEND, LabelAction.RESTORE, LabelAction.WITHDRAW, LabelAction.CANCEL]
            ),
            who=st.sampled_from(PEOPLE),
            good_reasons=st.booleans(),
            days=st.integers(-5, 200),
        )
        def by_a_person(self, action: LabelAction, who: str, good_reasons: bool, days: int) -> None:
            code = REASONS[action][0] if good_reasons else LabelReason.GRANTED
            self.attempt(
                action,
                Actor(people[who]),
                reason_code=code,
                public_reason="Checked by hypothesis.",
                resolve_by=china_today() + timedelta(days=days),
            )

        @rule(action=st.sampled_from(list(LabelAction)), past=st.booleans())
        def by_the_registry(self, action: LabelAction, past: bool) -> None:
            assert self.label is not None
            if action is LabelAction.SUPERSEDE:
                successor = next(other for other in labels if other.id != self.label.id)
                self.attempt(action, Actor.system(), successor=successor, as_registry=True)
            else:
                later = (
                    lifecycle.utcnow() + timedelta(days=(self.label.valid_until - china_today()).days + 2)
                    if past
                    else None
                )
                self.attempt(action, Actor.system(), as_registry=action is LabelAction.EXPIRE, now=later)

        @invariant()
        def a_final_status_stays_final(self) -> None:
            if self.label is not None and self.final is not None:
                assert self.label.status is self.final

        @invariant()
        def the_status_list_bits_equal_the_status(self) -> None:
            if self.label is None:
                return
            session.flush()
            label = self.label
            bit = {}
            for purpose in ("revocation", "suspension"):
                raw = bitstring(session, purpose, label.status_list, only=label.status_index)
                bit[purpose] = bool(raw[label.status_index // 8] & (0x80 >> (label.status_index % 8)))
            assert bit == {"revocation": label.status in REVOKED, "suspension": label.status is LabelStatus.SUSPENDED}

        @invariant()
        def the_status_is_the_last_history_row_and_each_row_was_anyones_to_take(self) -> None:
            if self.label is None:
                return
            rows = lifecycle.history(session, self.label)
            assert rows[0].action == "issue" and rows[-1].to_status is self.label.status
            for previous, row in pairwise(rows):
                assert row.from_status is previous.to_status
                rule_ = LIFECYCLE.rule(LabelAction(row.action))
                assert row.capacity in rule_.who
                if row.capacity is not LabelCapacity.SYSTEM:
                    assert row.capacity in capacities_of(session.get(User, row.actor_id), self.label)

    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=25,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
