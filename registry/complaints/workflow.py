"""A complaint's statuses as a table (``registry.statemachine``, like the label lifecycle): received → under review
→ closed, or closed straight from received; closed is final. The services check it, and migration 0009 installs
the database guard generated from it, so no UPDATE reopens a closed complaint and none is inserted but received.
Handing a complaint between the body and the regulator changes who may act, not the status."""

from __future__ import annotations

from registry.complaints.models import ComplaintAction, ComplaintHandler, ComplaintStatus
from registry.statemachine import Machine, Rule

S, A, C = ComplaintStatus, ComplaintAction, ComplaintHandler
_BOTH = frozenset({C.BODY, C.REGULATOR})

COMPLAINTS: Machine[ComplaintStatus, ComplaintAction, ComplaintHandler] = Machine(
    name="complaints",
    table="complaints",
    column="status",
    initial=S.RECEIVED,
    refusal="complaint status change not allowed",
    start_refusal="complaints start as received",
    rules=(
        Rule(A.REVIEW, frozenset({S.RECEIVED}), S.UNDER_REVIEW, _BOTH),
        Rule(A.CLOSE, frozenset({S.RECEIVED, S.UNDER_REVIEW}), S.CLOSED, _BOTH, needs_reason=True),
    ),
)
