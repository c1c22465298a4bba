"""Work that waits for a transaction's outcome: one queue per session, in ``session.info``.

- ``after_commit(session, callback)``: run ``callback()`` once the outermost transaction has committed; drop it if
  that transaction, or the savepoint it was queued in, rolls back. The mail a change sends
  (``notifications.services``) and the page cache's new generation (``disclosure.cache``) go through it.
- ``on_rollback(session, callback)``: undo a side effect made before the commit (an uploaded file written to disk,
  ``applications.documents``) if the transaction, or the savepoint it was queued in, rolls back; forget it once
  the outermost transaction has committed.

Whoever commits (``edge.commit()`` in a request, a CLI command, a script, a test's session) does nothing more:
``register_listeners()`` puts three listeners on every ``Session``, and they run the queue. ``Database.init_app``
registers them for the app (requests and CLI commands), ``tests/conftest.py`` for the sessions tests make without
an app; registering again changes nothing. A session that commits before they are registered keeps its queue.

Callbacks take no arguments. After-commit ones run in the order they were queued, after the commit, when the session
cannot emit SQL; undo ones run last first. A session closed without committing counts as rolled back. A callback
that raises is logged and the others still run: the outcome is settled whatever happens after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

QUEUE = "registry.after_commit"

Callback = Callable[[], Any]


@dataclass(frozen=True)
class _Pending:
    callback: Callback
    on_commit: bool  # True: after the commit; False: on a rollback
    # What it was queued in: the savepoint open then, or the session's transaction.
    transaction: SessionTransaction
    tag: str | None


def after_commit(session: Session, callback: Callback, *, once: bool = False, tag: str | None = None) -> None:
    """Run ``callback()`` after the session's outermost transaction commits; never if it rolls back. With ``once``,
    a callback already waiting is not queued again (one cache renewal per commit, however many flushes asked);
    ``tag`` names a kind of work that ``discard`` can withdraw."""
    queue = _queue(session)
    if once and any(item.on_commit and item.callback == callback for item in queue):
        return
    queue.append(_Pending(callback, True, _current(session), tag))


def on_rollback(session: Session, callback: Callback) -> None:
    """Run ``callback()`` if what the session has done so far is rolled back (the whole transaction, or the
    savepoint open now); forget it once the outermost transaction commits."""
    _queue(session).append(_Pending(callback, False, _current(session), None))


def pending(session: Session, tag: str | None = None) -> list[Callback]:
    """The callbacks waiting for the commit (those with ``tag``, if given), in order."""
    return [
        item.callback for item in session.info.get(QUEUE, ()) if item.on_commit and (tag is None or item.tag == tag)
    ]


def discard(session: Session, tag: str) -> None:
    """Withdraw the after-commit work tagged ``tag`` queued so far (the demo data's mail, which nobody should get)."""
    queue = session.info.get(QUEUE)
    if queue:
        queue[:] = [item for item in queue if not (item.on_commit and item.tag == tag)]


def register_listeners() -> None:
    """Listen on every ``Session``; once, however often it is called."""
    for name, listener in (
        ("after_commit", _committed),
        ("after_soft_rollback", _savepoint_rolled_back),
        ("after_transaction_end", _transaction_ended),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _queue(session: Session) -> list[_Pending]:
    queue: list[_Pending] = session.info.setdefault(QUEUE, [])
    return queue


def _current(session: Session) -> SessionTransaction:
    if not session.in_transaction():
        # Work queued between transactions belongs to the next one (which a rollback must be able to drop): begin
        # it now, as the next statement would (no connection is taken before that statement).
        session.begin()
    transaction = session.get_nested_transaction() or session.get_transaction()
    assert transaction is not None
    return transaction


def _committed(session: Session) -> None:
    # Releasing a savepoint fires after_commit too: its work waits for the outermost commit.
    if session.in_nested_transaction():
        return
    for item in session.info.pop(QUEUE, ()):
        if item.on_commit:
            _run(item.callback)


def _savepoint_rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    # The outermost transaction's end is _transaction_ended's; a failed flush's internal subtransaction is
    # neither, and what it undid is rolled back with the transaction it belongs to.
    if rolled_back.nested:
        _undo(session, lambda item: _within(item.transaction, rolled_back))


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    # A committed outermost transaction has emptied the queue already; anything left belongs to one that was
    # rolled back or closed without a commit.
    if transaction.parent is None:
        _undo(session, lambda item: True)


def _undo(session: Session, rolled_back: Callable[[_Pending], bool]) -> None:
    queue = session.info.get(QUEUE)
    if not queue:
        return
    gone = [item for item in queue if rolled_back(item)]
    queue[:] = [item for item in queue if not rolled_back(item)]
    for item in reversed(gone):  # undone last first
        if not item.on_commit:
            _run(item.callback)


def _within(transaction: SessionTransaction, ancestor: SessionTransaction) -> bool:
    current: SessionTransaction | None = transaction
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


def _run(callback: Callback) -> None:
    try:
        callback()
    except Exception:
        log.exception("work after the transaction's end failed: %r", callback)
