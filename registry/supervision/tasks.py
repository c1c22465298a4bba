"""The supervision's periodic job, run by the task queue's worker (``registry/tasks.py``, ``flask tasks worker``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.audit.services import Actor
from registry.database import utcnow
from registry.supervision.services import flag_overdue_withdrawals
from registry.tasks import periodic


@periodic(minute="10", hour="16")
def flag_overdue_demands(session: Session, actor: Actor) -> int:
    """Flag the withdrawal demands whose due day has passed (flag_overdue_withdrawals). Daily at 00:10 in China
    (16:10 UTC), just after a due day ends; the worker's run at start catches up after downtime. Idempotent: a
    demand is flagged once."""
    return len(flag_overdue_withdrawals(session, actor, utcnow()))
