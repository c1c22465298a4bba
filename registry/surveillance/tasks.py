"""The surveillance's periodic job, run by the task queue's worker (``registry/tasks.py``, ``flask tasks worker``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.audit.services import Actor
from registry.database import utcnow
from registry.surveillance import services
from registry.tasks import periodic


@periodic(minute="20", hour="16")
def flag_overdue_surveillance(session: Session, actor: Actor) -> int:
    """Flag the surveillances whose due date has passed and tell their bodies (flag_overdue_surveillance). Daily
    at 00:20 in China (16:20 UTC); the worker's run at start catches up after downtime. Idempotent: a surveillance
    is flagged once."""
    return len(services.flag_overdue_surveillance(session, actor, utcnow()))
