"""Decisions by someone who did not evaluate the file, and decisions on appeals by someone not involved at all.

The service refuses a decider who takes part in the file (``workflow.may_act``); the database refuses it too,
because a decision must name a participant in the deciding capacity and a person holds one capacity per file.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.applications.models import Application, Capacity, Decision, Outcome, Participant
from registry.applications.workflow import Action, transition
from registry.audit.services import Actor
from registry.labels.models import Label
from registry.labels.services import issue_label

_ACTIONS = {
    (Capacity.DECIDER, Outcome.GRANT): Action.GRANT,
    (Capacity.DECIDER, Outcome.REFUSE): Action.REFUSE,
    (Capacity.APPEAL_DECIDER, Outcome.GRANT): Action.GRANT_ON_APPEAL,
    (Capacity.APPEAL_DECIDER, Outcome.REFUSE): Action.REFUSE_ON_APPEAL,
}


def decide_application(
    session: Session, actor: Actor, application: Application, *, outcome: Outcome, reasons: str, on_appeal: bool = False
) -> Label | None:
    """Grant (issuing the label in the same transaction) or refuse, with reasons. Of two deciders acting at
    once, the guard's conditional update lets one through and tells the other the file was already decided."""
    capacity = Capacity.APPEAL_DECIDER if on_appeal else Capacity.DECIDER
    transition(session, application, _ACTIONS[(capacity, outcome)], actor, reason=reasons)
    assert actor.user is not None
    session.add(Participant(application_id=application.id, user_id=actor.user.id, capacity=capacity))
    session.flush()
    session.add(
        Decision(
            application_id=application.id,
            capacity=capacity,
            decided_by_id=actor.user.id,
            outcome=outcome,
            reasons=reasons.strip(),
        )
    )
    session.flush()
    return issue_label(session, actor, application) if outcome is Outcome.GRANT else None
