"""The task queue (registry/tasks.py) and the labels' periodic expiry (registry/labels/tasks.py): the schedule the
docs give, the job run in-process, and the job run by a real worker (`flask tasks worker` in a subprocess) on the
default SQLite queue and on Redis, against a database of its own."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from registry import PROJECT_ROOT, migrate
from registry.accounts.models import User
from registry.audit.models import AuditEvent
from registry.audit.services import Actor
from registry.database import begins_as_writer, make_engine, utcnow
from registry.demo.services import load_demo_data
from registry.labels.lifecycle import china_today
from registry.labels.models import Label, LabelCapacity, LabelReason, LabelStatus, LabelTransition
from registry.schemes.services import sync_schemes
from registry.supervision import services as supervision
from registry.supervision.models import DemandStatus, WithdrawalDemand
from registry.tasks import PERIODIC, Periodic, queue_for, run_job
from tests.conftest import SCHEMES_DIR, TEST_KEK, _postgres_database, make_test_app

EXPIRE = "labels.expire_labels"


def _pause(seconds: float) -> None:
    """Sleep, also under libfaketime (CI's run with the clock ahead), where ``time.sleep`` fails with EINVAL."""
    threading.Event().wait(seconds)


def _wait(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """``process.wait(timeout)`` without ``time.sleep``; the exit status, or None if it is still running."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        _pause(0.05)
    return process.poll()


def _backdate(session: Session, label: Label, days_ago: int) -> None:
    """Make ``label``'s last day of validity ``days_ago`` days before today in China."""
    until = china_today() - timedelta(days=days_ago)
    session.execute(
        text("UPDATE labels SET valid_from = :f, valid_until = :u WHERE id = :id"),
        {"f": until - timedelta(days=365), "u": until, "id": label.id},
    )


def _valid_labels(session: Session) -> list[Label]:
    return list(session.scalars(select(Label).where(Label.status == LabelStatus.VALID).order_by(Label.id)))


# --- the schedule --------------------------------------------------------------------------------------------------


def test_expiry_runs_hourly_at_five_past_so_within_minutes_of_midnight_in_china(tmp_path):
    task = queue_for(make_test_app("sqlite://", TASK_QUEUE_FILE=str(tmp_path / "q.sqlite3"))).tasks[EXPIRE]
    instance = task.s()
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    runs = [
        hour + timedelta(minutes=m) for m in range(24 * 60) if instance.validate_datetime(hour + timedelta(minutes=m))
    ]
    # Once an hour, at five past (UTC, as the worker's clock is): 24 runs a day, an hour apart.
    assert len(runs) == 24 and all(run.minute == 5 for run in runs)
    assert all(later - earlier == timedelta(hours=1) for earlier, later in pairwise(runs))
    # Midnight in China is 16:00 UTC: the run that follows it is five minutes later.
    assert any(run.hour == 16 for run in runs)
    assert PERIODIC[EXPIRE].describe() == "minute=5 (UTC)"


def test_the_flask_tasks_list_shows_the_schedule(runner):
    result = runner.invoke(args=["tasks", "list"])
    assert result.exit_code == 0, result.output
    assert "labels.expire_labels  minute=5 (UTC)  Expire every live label" in result.output


def test_every_domains_job_is_on_the_schedule_the_docs_give(runner):
    result = runner.invoke(args=["tasks", "list"])
    assert result.exit_code == 0, result.output
    # The overdue flags run daily just after midnight in China (16:00 UTC), when a due day has ended.
    assert "supervision.flag_overdue_demands  minute=10 hour=16 (UTC)  Flag the withdrawal demands" in result.output
    assert "surveillance.flag_overdue_surveillance  minute=20 hour=16 (UTC)  Flag the surveillances" in result.output


# --- in-process (what `flask tasks run` does) ----------------------------------------------------------------------


def test_flask_tasks_run_expires_what_is_due_and_nothing_else(runner, session):
    due, kept = _valid_labels(session)[:2]
    _backdate(session, due, 1)
    _backdate(session, kept, 0)  # its last day is today in China: still valid
    session.flush()
    result = runner.invoke(args=["tasks", "run", EXPIRE])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{EXPIRE}: 1"
    session.expire_all()
    assert (due.status, kept.status) == (LabelStatus.EXPIRED, LabelStatus.VALID)
    again = runner.invoke(args=["tasks", "run", EXPIRE])  # idempotent: nothing left to do
    assert again.output.strip() == f"{EXPIRE}: 0"


def test_the_overdue_jobs_flag_what_is_past_due_once(runner, session):
    """The withdrawal demands of an enterprise listed weeks ago, and a label whose first surveillance date has
    passed, are flagged by their jobs; a second run flags nothing."""
    label = _valid_labels(session)[0]
    regulator = session.scalar(select(User).where(User.email == "regulator@example.com"))
    weeks_ago = utcnow() - timedelta(days=30)
    supervision.list_enterprise(
        session,
        Actor(regulator),
        label.holder,
        reason="False footprint data.",
        decision_number="国市监信〔2026〕7号",
        listed_from=china_today(weeks_ago),
        listed_until=None,
        now=weeks_ago,
    )
    demands = session.scalars(select(WithdrawalDemand).where(WithdrawalDemand.status == DemandStatus.OPEN)).all()
    assert demands
    # A label issued over a surveillance interval ago, valid for a year more: its first surveillance is overdue.
    other = next(candidate for candidate in _valid_labels(session) if candidate.holder_id != label.holder_id)
    session.execute(
        text("UPDATE labels SET valid_from = :f, valid_until = :u WHERE id = :id"),
        {"f": china_today() - timedelta(days=400), "u": china_today() + timedelta(days=365), "id": other.id},
    )
    session.flush()
    for name, expected in (
        ("supervision.flag_overdue_demands", len(demands)),
        ("surveillance.flag_overdue_surveillance", 1),
    ):
        result = runner.invoke(args=["tasks", "run", name])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"{name}: {expected}"
        again = runner.invoke(args=["tasks", "run", name])
        assert again.output.strip() == f"{name}: 0"
    session.expire_all()
    assert {demand.status for demand in demands} == {DemandStatus.OVERDUE}


def test_flask_tasks_run_refuses_an_unknown_job(runner):
    result = runner.invoke(args=["tasks", "run", "labels.nothing"])
    assert result.exit_code == 2 and "flask tasks list" in result.output


def test_the_job_commits_in_batches(runner, session, monkeypatch):
    from registry.labels import tasks as label_tasks

    due = _valid_labels(session)[:3]
    for label in due:
        _backdate(session, label, 2)
    session.flush()
    commits: list[int] = []
    real = label_tasks.lifecycle.expire_due

    def counting(*args, **kwargs):
        expired = real(*args, **kwargs)
        commits.append(len(expired))
        return expired

    monkeypatch.setattr(label_tasks, "EXPIRY_BATCH", 2)
    monkeypatch.setattr(label_tasks.lifecycle, "expire_due", counting)
    result = runner.invoke(args=["tasks", "run", EXPIRE])
    assert result.output.strip() == f"{EXPIRE}: 3"
    assert commits == [2, 1]  # a full batch, then the rest: two transactions
    session.expire_all()
    assert {label.status for label in due} == {LabelStatus.EXPIRED}


def test_a_job_writes_from_its_first_statement_like_a_command(app):
    """On SQLite a job's transaction takes the write lock at BEGIN (IMMEDIATE), like a CLI command's: one that read
    first could not write once the web server had committed meanwhile. The worker's threads have no command."""
    seen: list[tuple[bool, object]] = []
    probe = Periodic("tests.probe", lambda session, actor: seen.append((begins_as_writer(), actor.user)), {})
    thread = threading.Thread(target=run_job, args=(app, probe))
    thread.start()
    thread.join()
    assert seen == [(True, None)]  # as a writer, and as the system


# --- a real worker -------------------------------------------------------------------------------------------------


@pytest.fixture
def worker_database(database_url: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the worker's own, which it commits to: a fresh copy of the test database on SQLite (the demo data
    included), a fresh one with the demo data on PostgreSQL."""
    if make_url(database_url).get_backend_name() == "sqlite":
        copy = tmp_path_factory.mktemp("worker-db") / "registry.sqlite3"
        source, target = sqlite3.connect(make_url(database_url).database), sqlite3.connect(copy)
        with target:
            source.backup(target)
        source.close()
        target.close()
        yield f"sqlite:///{copy}"
        return
    databases = _postgres_database(os.environ["REGISTRY_TEST_DATABASE_URL"])
    url = next(databases)
    migrate.upgrade(url)
    built = make_engine(url)
    with Session(built) as session:
        assert sync_schemes(session, Actor.system(), SCHEMES_DIR).ok
        load_demo_data(session, upload_dir=tmp_path_factory.mktemp("worker-uploads"))
        session.commit()
    built.dispose()
    yield url
    next(databases, None)


@pytest.fixture
def worker_engine(worker_database: str) -> Iterator[Engine]:
    engine = make_engine(worker_database)
    yield engine
    engine.dispose()


def _settings(database: str, folder: Path, **more: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database,
        "TASK_QUEUE_FILE": str(folder / "tasks.sqlite3"),
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "SECRET_KEY": "test-secret-key",
        "MAIL_BACKEND": "log",
        "CACHE_DIR": str(folder / "cache"),
        "UPLOAD_DIR": str(folder / "uploads"),
        "ARTWORK_DIR": str(folder / "artwork"),
        **more,
    }


class Worker:
    """`flask tasks worker` in a subprocess, configured as an operator would: REGISTRY_* variables."""

    def __init__(self, settings: dict[str, str], log: Path, *options: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **{f"REGISTRY_{k}": v for k, v in settings.items()}}
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "registry", "tasks", "worker", "--workers", "1", *options],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # graceful: the running job finishes
            if _wait(self.process, 20) is None:
                self.process.kill()
                self.process.wait()

    def wait_for_catch_up(self, timeout: float = 60) -> None:
        """Wait until every periodic job's catch-up run at start has finished (each logs "name: result"), so the
        test's own writes do not meet the worker's (under libfaketime SQLite cannot wait for a lock: it fails)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(f"{name}: " in self.output() for name in PERIODIC):
                return
            if self.process.poll() is not None:
                pytest.fail(f"the worker stopped ({self.process.returncode}):\n{self.output()}")
            _pause(0.2)
        pytest.fail(f"the worker's catch-up did not finish in {timeout} s; it said:\n{self.output()}")

    def wait_for(self, engine: Engine, label_id: int, status: LabelStatus, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with Session(engine) as session:
                if session.get_one(Label, label_id).status is status:
                    return
            if self.process.poll() is not None:
                pytest.fail(f"the worker stopped ({self.process.returncode}):\n{self.output()}")
            _pause(0.2)
        pytest.fail(f"label {label_id} not {status} after {timeout} s; the worker said:\n{self.output()}")


def _arrange(engine: Engine) -> tuple[int, int]:
    """A label whose last day has passed and one whose last day is today, committed; their ids."""
    with Session(engine) as session:
        due, kept = _valid_labels(session)[:2]
        _backdate(session, due, 1)
        _backdate(session, kept, 0)
        session.commit()
        return due.id, kept.id


def _assert_expired_by_the_registry(engine: Engine, due: int, kept: int) -> None:
    with Session(engine) as session:
        assert session.get_one(Label, kept).status is LabelStatus.VALID
        label = session.get_one(Label, due)
        assert label.status is LabelStatus.EXPIRED
        row = session.scalars(
            select(LabelTransition).where(LabelTransition.label_id == due).order_by(LabelTransition.id.desc())
        ).first()
        assert row is not None
        assert (row.action, row.capacity, row.reason_code, row.actor_id) == (
            "expire",
            LabelCapacity.SYSTEM,
            LabelReason.VALIDITY_ENDED,
            None,
        )
        events = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.tag == "label:expire", AuditEvent.subject_id == str(due), AuditEvent.actor_id.is_(None))
        )
        assert events == 1


def test_the_worker_expires_due_labels_on_the_sqlite_queue(worker_engine, worker_database, tmp_path):
    """The embedded default: the queue in a SQLite file. The worker catches up when it starts, then runs what the
    queue hands it (as the scheduler does at five past each hour)."""
    due, kept = _arrange(worker_engine)
    settings = _settings(worker_database, tmp_path)
    worker = Worker(settings, tmp_path / "worker.log")
    try:
        worker.wait_for(worker_engine, due, LabelStatus.EXPIRED)
        worker.wait_for_catch_up()
        _assert_expired_by_the_registry(worker_engine, due, kept)
        # Enqueued by another process (the scheduler's way): a label that has come due since is expired too.
        with Session(worker_engine) as session:
            _backdate(session, session.get_one(Label, kept), 1)
            session.commit()
        queue_for(make_test_app(worker_database, **settings)).tasks[EXPIRE]()
        worker.wait_for(worker_engine, kept, LabelStatus.EXPIRED)
    finally:
        worker.stop()
    output = worker.output()
    assert f"Task queue in {tmp_path / 'tasks.sqlite3'}" in output
    assert "registry.labels.tasks.expire_labels" in output and "executed in" in output
    assert worker.process.returncode == 0, output
    assert (tmp_path / "tasks.sqlite3").stat().st_mode & 0o777 == 0o600


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed: run `make system-deps` (Debian package redis-server)"
        if os.environ.get("REGISTRY_STRICT_SYSTEM_DEPS"):  # CI installs it: never skip there
            pytest.fail(message)
        pytest.skip(message + "; the queue on Redis is untested")
    port = _free_port()
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Redis on the real clock: under libfaketime (CI's run with the clock ahead) it does not start, and the
        # queue needs no clock of Redis's (Huey's worker stamps its tasks itself).
        env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")},
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("redis-server did not start")
                _pause(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        if _wait(server, 10) is None:
            server.kill()
            server.wait()


def test_the_worker_expires_due_labels_on_a_redis_queue(worker_engine, worker_database, redis_url, tmp_path):
    import redis

    due, kept = _arrange(worker_engine)
    settings = _settings(worker_database, tmp_path, REDIS_URL=redis_url)
    queue = queue_for(make_test_app(worker_database, **settings))
    queue.tasks[EXPIRE]()  # into Redis, for the worker (as the scheduler does at five past each hour)
    waiting = redis.Redis.from_url(redis_url)
    assert waiting.llen("huey.redis.registry") == 1
    worker = Worker(settings, tmp_path / "worker.log", "--no-catch-up")
    try:
        worker.wait_for(worker_engine, due, LabelStatus.EXPIRED)
        _assert_expired_by_the_registry(worker_engine, due, kept)
    finally:
        worker.stop()
    output = worker.output()
    assert "Task queue in Redis" in output and "executed in" in output, output
    assert waiting.llen("huey.redis.registry") == 0  # the worker took it from Redis
    assert not (tmp_path / "tasks.sqlite3").exists()  # and nothing went through the SQLite queue
