"""Work that waits for a transaction's outcome (registry.after_commit): run after the outermost commit, in order;
dropped, or undone, by a rollback of the transaction or of the savepoint it was queued in; wired by the app
factory, never by importing a module."""

from __future__ import annotations

import logging
import subprocess
import sys

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry import PROJECT_ROOT
from registry.after_commit import after_commit, on_rollback, pending


def test_work_runs_in_order_after_the_outermost_commit_only(session):
    ran: list[str] = []
    after_commit(session, lambda: ran.append("first"))
    savepoint = session.begin_nested()
    after_commit(session, lambda: ran.append("second"))
    savepoint.commit()  # releasing a savepoint is no commit of the transaction
    assert ran == []
    session.commit()
    assert ran == ["first", "second"]
    assert pending(session) == []
    session.commit()
    assert ran == ["first", "second"]  # once


def test_a_rollback_drops_the_work_of_what_it_undid(session):
    ran: list[str] = []
    after_commit(session, lambda: ran.append("kept"))
    savepoint = session.begin_nested()
    after_commit(session, lambda: ran.append("undone"))
    savepoint.rollback()
    session.commit()
    assert ran == ["kept"]
    after_commit(session, lambda: ran.append("rolled back"))
    session.rollback()
    session.commit()
    assert ran == ["kept"]


def test_undo_work_runs_on_a_rollback_last_first_and_is_forgotten_by_a_commit(session):
    undone: list[str] = []
    on_rollback(session, lambda: undone.append("before"))
    savepoint = session.begin_nested()
    on_rollback(session, lambda: undone.append("inside"))
    savepoint.rollback()
    assert undone == ["inside"]
    on_rollback(session, lambda: undone.append("after"))
    session.rollback()
    assert undone == ["inside", "after", "before"]
    on_rollback(session, lambda: undone.append("committed"))
    session.commit()
    session.rollback()
    assert undone == ["inside", "after", "before"]


def test_a_session_closed_without_committing_undoes_its_work(engine):
    undone: list[str] = []
    ran: list[str] = []
    with Session(engine) as own:
        own.execute(text("SELECT 1"))
        on_rollback(own, lambda: undone.append("file"))
        after_commit(own, lambda: ran.append("mail"))
    assert undone == ["file"] and ran == []


def test_once_queues_one_callback_however_often_it_is_asked_for(session):
    ran: list[str] = []

    def renew() -> None:
        ran.append("renewed")

    for _ in range(3):
        after_commit(session, renew, once=True)
    session.commit()
    assert ran == ["renewed"]


def test_a_failing_callback_is_logged_and_the_others_still_run(session, caplog):
    ran: list[str] = []

    def fail() -> None:
        raise RuntimeError("the mail server is down")

    after_commit(session, fail)
    after_commit(session, lambda: ran.append("after"))
    with caplog.at_level(logging.ERROR, logger="registry.after_commit"):
        session.commit()
    assert ran == ["after"]
    assert any("the mail server is down" in record.exc_text for record in caplog.records if record.exc_text)
    assert session.execute(text("SELECT 1")).scalar_one() == 1  # the session goes on normally


def test_a_cli_command_s_commit_sends_the_mail_it_queued(app, runner, caplog):
    from registry.database import db
    from registry.notifications.mail import Mail
    from registry.notifications.services import queue_mail

    @app.cli.command("queue-mail")
    def queue_mail_command() -> None:
        queue_mail(db.session, Mail(to="someone@example.org", subject="From the CLI", body="Hello"))
        db.session.commit()

    with caplog.at_level(logging.INFO, logger="registry.mail"):
        result = runner.invoke(args=["queue-mail"])
    assert result.exit_code == 0, result.output
    assert [r.getMessage() for r in caplog.records if r.name == "registry.mail"] == [
        "mail not sent (log backend): to=s***@example.org subject=From the CLI"
    ]


NO_IMPORT_WIRING = """
import pkgutil, importlib
from sqlalchemy.orm import Session
import registry

EVENTS = ("after_commit", "after_soft_rollback", "after_transaction_end", "before_flush")

def listeners():
    session = Session()
    return {name: len(getattr(session.dispatch, name)) for name in EVENTS}

for module in pkgutil.walk_packages(registry.__path__, "registry."):
    if not module.name.startswith("registry.migrations"):  # Alembic's env runs a migration when imported
        importlib.import_module(module.name)
assert listeners() == dict.fromkeys(EVENTS, 0), listeners()
from registry import create_app
for _ in range(2):
    create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": "sqlite://", "CACHE_TYPE": "SimpleCache"})
assert listeners() == dict.fromkeys(EVENTS, 1), listeners()
"""


def test_importing_the_registry_wires_nothing_and_the_app_factory_wires_once():
    """Session listeners come from create_app (registry.database and the page cache's init_app), once however many
    apps are made; importing any module of the registry adds none. (The audit trail's guards are mapper events
    on AuditEvent, part of the model, and stay.)"""
    result = subprocess.run(
        [sys.executable, "-c", NO_IMPORT_WIRING],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
