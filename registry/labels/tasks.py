"""The labels' periodic jobs, run by the task queue's worker (``registry/tasks.py``, ``flask tasks worker``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.audit.services import Actor
from registry.database import utcnow
from registry.labels import lifecycle
from registry.tasks import in_batches, periodic

# Labels expired and committed at a time: one short write transaction each, so the web server's writers never wait
# long behind the job on SQLite.
EXPIRY_BATCH = 200


@periodic(minute="5")
def expire_labels(session: Session, actor: Actor) -> int:
    """Expire every live label whose last day of validity has passed in China (lifecycle.expire_due). Hourly at
    five past: a label's last day ends at midnight in China, 16:00 UTC, so it is expired by 16:05 UTC, and a worker
    that was down catches up within the hour. Idempotent: a run with nothing due changes nothing."""
    now = utcnow()  # one clock for the whole run, so a run that spans midnight does not take a label early
    return in_batches(session, lambda size: len(lifecycle.expire_due(session, actor, now, limit=size)), EXPIRY_BATCH)
