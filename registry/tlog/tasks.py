"""The transparency log's periodic job, run by the task queue's worker (``registry/tasks.py``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.audit.services import Actor
from registry.tasks import periodic
from registry.tlog import services


@periodic(minute="*")
def checkpoint(session: Session, actor: Actor) -> int:
    """Sign a checkpoint of entries appended since the last one: a commit signs one itself only when the last is
    over a second old, so entries appended within that second wait at most a minute for theirs. Idempotent: a
    log no larger than its last checkpoint gets none."""
    made = services.checkpoint(session)
    return made.tree_size if made is not None else 0
