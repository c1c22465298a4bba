"""People acting at the same moment, each in a request, session and connection of their own, on committed data.

These tests cannot use the rolled-back ``session`` fixture (other connections would not see its rows): a
module-scoped fixture builds a database of their own, with the schemes, the demo data and a stock of
recommended applications, all committed, and an app on it whose POST requests the deciders act in.

They run on both engines. On PostgreSQL deciders load the file together and race on the guard's conditional
UPDATE and the counter's row lock; on SQLite a writing request takes the database's write lock at BEGIN, so the
deciders queue there (for the busy timeout) and each one reads the file as the one before left it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from registry import migrate
from registry.accounts.models import User
from registry.applications.models import (
    Application,
    ApplicationStatus,
    Decision,
    Outcome,
    Participant,
    TransitionRecord,
)
from registry.applications.services import decisions
from registry.audit.services import Actor
from registry.database import db, make_engine, utcnow
from registry.demo.applications import Team, complete_draft, drive_to
from registry.demo.services import load_demo_data
from registry.errors import ServiceError
from registry.labels.models import CertificateCounter, Label
from registry.organisations.models import Organisation
from registry.products.models import Product
from registry.schemes.services import sync_schemes
from tests.conftest import SCHEMES_DIR, _postgres_database, make_test_app

BASE_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL")

RACE_ROUNDS = 3
GRANTERS = 8
TIMEOUT = 30


@dataclass
class Stock:
    """Committed recommended applications, handed out once each."""

    url: str
    engine: Engine
    app: Flask
    upload_dir: Path
    body_id: int
    recommended: list[int] = field(default_factory=list)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def take(self, count: int) -> list[int]:
        assert len(self.recommended) >= count, "the fixture prepared too few recommended applications"
        taken, self.recommended = self.recommended[:count], self.recommended[count:]
        return taken


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stock]:
    databases = _postgres_database(BASE_URL) if BASE_URL else None
    if databases is not None:
        url = next(databases)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("concurrency-db") / "registry.sqlite3")
    upload_dir = tmp_path_factory.mktemp("concurrency-uploads")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            report = sync_schemes(session, Actor.system(), SCHEMES_DIR)
            assert report.ok, report
            load_demo_data(session, upload_dir=upload_dir)
            session.commit()
            team = Team.demo(session)
            body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
            assert body is not None and team.applicant.user is not None
            product = session.scalar(
                select(Product).where(
                    Product.organisation_id == team.applicant.user.organisation_id, Product.model == "LN-PT-18V4Ah"
                )
            )
            assert product is not None
            ids = []
            for _ in range(RACE_ROUNDS + GRANTERS + 6):
                application = complete_draft(session, team, product, body, folder=upload_dir)
                drive_to(session, team, application, ApplicationStatus.RECOMMENDED)
                ids.append(application.id)
            session.commit()
            body_id = body.id
        yield Stock(url, engine, make_test_app(url, upload_dir), upload_dir, body_id, ids)
    finally:
        engine.dispose()
        if databases is not None:
            databases.close()  # drops the database


# Running people in threads.


@dataclass
class Attempt:
    who: str
    application_id: int
    label_number: str | None = None
    label_sequence: int | None = None
    error: BaseException | None = None
    finished_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int | None:
        return self.error.status if isinstance(self.error, ServiceError) else None


def decide_in_thread(
    stock: Stock,
    email: str,
    application_id: int,
    *,
    outcome: Outcome = Outcome.GRANT,
    before: Callable[[], None] | None = None,
    after: Callable[[], bool] | None = None,
) -> tuple[threading.Thread, Attempt]:
    """A decider in a POST request of their own (its session begins as the decide view's does): load the file,
    decide, then commit, or roll back if ``after`` says so. They wait at ``before`` where a request can wait:
    after loading on PostgreSQL, before beginning on SQLite (a writing request there holds the write lock from
    its first statement, so a decider waiting with it would keep the others out)."""
    result = Attempt(email, application_id)

    def run() -> None:
        with stock.app.test_request_context(f"/applications/{application_id}/decide", method="POST"):
            session = db.session
            try:
                if before is not None and stock.is_sqlite:
                    before()
                user = session.scalar(select(User).where(User.email == email))
                application = session.get(Application, application_id)
                assert user is not None and application is not None
                if before is not None and not stock.is_sqlite:
                    before()
                label = decisions.decide_application(
                    session, Actor(user), application, outcome=outcome, reasons=f"Decided by {email}."
                )
                if after is not None and not after():
                    session.rollback()
                    result.error = RuntimeError("rolled back on purpose")
                else:
                    session.commit()
                    if label is not None:
                        result.label_number, result.label_sequence = label.certificate_number, label.sequence
            except BaseException as error:  # reported to the test, never swallowed
                session.rollback()
                result.error = error
            finally:
                result.finished_at = time.monotonic()

    thread = threading.Thread(target=run, name=f"{email}:{application_id}", daemon=True)
    thread.start()
    return thread, result


def join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), f"{thread.name} did not finish within {TIMEOUT} s"


def facts(engine: Engine, application_id: int) -> dict[str, Any]:
    with Session(engine) as session:
        return {
            "status": session.scalar(select(Application.status).where(Application.id == application_id)),
            "labels": list(session.scalars(select(Label).where(Label.application_id == application_id))),
            "decisions": list(session.scalars(select(Decision).where(Decision.application_id == application_id))),
            "deciders": list(
                session.scalars(
                    select(Participant.user_id).where(
                        Participant.application_id == application_id, Participant.capacity != "verifier"
                    )
                )
            ),
            "transitions": list(
                session.scalars(
                    select(TransitionRecord.to_status)
                    .where(TransitionRecord.application_id == application_id)
                    .order_by(TransitionRecord.id)
                )
            ),
        }


def counter(engine: Engine, body_id: int, year: int) -> int:
    with Session(engine) as session:
        value = session.scalar(
            select(CertificateCounter.last_sequence).where(
                CertificateCounter.body_id == body_id, CertificateCounter.year == year
            )
        )
        return int(value or 0)


def label_sequences(engine: Engine, body_id: int, year: int) -> list[int]:
    with Session(engine) as session:
        return sorted(
            session.scalars(
                select(Label.sequence).where(Label.body_id == body_id, Label.certificate_number.like(f"CFP-%-{year}-%"))
            )
        )


@pytest.fixture
def issuance_year(monkeypatch: pytest.MonkeyPatch) -> int:
    """The year these grants number their certificates in: issuance's clock stays at the test's start, so a new
    year beginning while the threads run cannot split the numbers over two counters."""
    from registry.labels import services as label_services

    now = utcnow()
    monkeypatch.setattr(label_services, "utcnow", lambda: now)
    return now.year


# Two deciders, one file.


@pytest.mark.parametrize("round_", range(RACE_ROUNDS))
def test_two_deciders_at_the_same_moment_one_wins_and_the_other_is_told_409(stock: Stock, round_: int):
    (application_id,) = stock.take(1)
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    runs = [
        decide_in_thread(stock, email, application_id, before=barrier.wait)
        for email in ("decision@example.com", "decision2@example.com")
    ]
    join([thread for thread, _ in runs])
    results = [result for _, result in runs]

    winners = [r for r in results if r.ok]
    losers = [r for r in results if not r.ok]
    assert len(winners) == 1, [(r.who, repr(r.error)) for r in results]
    (loser,) = losers
    assert isinstance(loser.error, ServiceError), (
        f"the losing decider got {loser.error!r} from the database, not a ServiceError"
    )
    assert loser.status == 409, repr(loser.error)

    state = facts(stock.engine, application_id)
    assert state["status"] is ApplicationStatus.GRANTED
    assert len(state["labels"]) == 1 and state["labels"][0].certificate_number == winners[0].label_number
    assert len(state["decisions"]) == 1
    assert state["decisions"][0].decided_by.email == winners[0].who
    assert len(state["deciders"]) == 1
    assert state["transitions"].count(ApplicationStatus.GRANTED) == 1


# Many grants, one body: the certificate numbers.


def test_concurrent_grants_get_unique_gap_free_certificate_numbers(stock: Stock, issuance_year: int):
    application_ids = stock.take(GRANTERS)
    year = issuance_year
    before = counter(stock.engine, stock.body_id, year)
    assert label_sequences(stock.engine, stock.body_id, year) == list(range(1, before + 1))
    barrier = threading.Barrier(GRANTERS, timeout=TIMEOUT)
    runs = [
        decide_in_thread(stock, "decision@example.com", application_id, before=barrier.wait)
        for application_id in application_ids
    ]
    join([thread for thread, _ in runs])
    results = [result for _, result in runs]
    granted = [r for r in results if r.ok]
    assert len(granted) == GRANTERS, [(r.who, repr(r.error)) for r in results if not r.ok]

    # Whatever was granted is numbered without duplicates or gaps, and the counter agrees.
    sequences = sorted(r.label_sequence for r in granted)
    assert sequences == list(range(before + 1, before + 1 + len(granted)))
    numbers = {r.label_number for r in granted}
    assert len(numbers) == len(granted)
    body_code = "HTDEMO"
    assert numbers == {f"CFP-{body_code}-{year}-{n:06d}" for n in sequences}
    assert counter(stock.engine, stock.body_id, year) == before + len(granted)
    assert label_sequences(stock.engine, stock.body_id, year) == list(range(1, before + len(granted) + 1))
    for r in results:
        state = facts(stock.engine, r.application_id)
        assert (state["status"] is ApplicationStatus.GRANTED) == r.ok == (len(state["labels"]) == 1)


# Deterministic interleavings: one decider holds its transaction open, the next one waits for it.


def wait_until_blocked(engine: Engine, count: int = 1) -> None:
    """Until ``count`` sessions of this PostgreSQL database wait for a lock."""
    deadline = time.monotonic() + TIMEOUT
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            connection.rollback()
            if waiting >= count:
                return
            time.sleep(0.02)
    raise AssertionError("no session ever waited for a lock")


@contextmanager
def queueing_at_begin(stock: Stock, thread_name: str) -> Iterator[threading.Event]:
    """Set once the named thread asks SQLite for the write lock (``BEGIN IMMEDIATE``): while another writer holds
    it, that thread waits there until the other commits or rolls back."""
    queued = threading.Event()

    def note(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement == "BEGIN IMMEDIATE" and threading.current_thread().name == thread_name:
            queued.set()

    with stock.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield queued
    finally:
        event.remove(engine, "before_cursor_execute", note)


def holder_and_follower(
    stock: Stock, first: tuple[str, int], second: tuple[str, int], *, first_commits: bool
) -> tuple[Attempt, Attempt]:
    """``first`` decides and holds its transaction open; ``second`` decides and must wait for it (PostgreSQL: on
    a row lock; SQLite: at BEGIN IMMEDIATE); then ``first`` commits or rolls back."""
    decided, release = threading.Event(), threading.Event()

    def hold() -> bool:
        decided.set()
        assert release.wait(TIMEOUT)
        return first_commits

    first_thread, first_result = decide_in_thread(stock, first[0], first[1], after=hold)
    assert decided.wait(TIMEOUT), repr(first_result.error)
    with queueing_at_begin(stock, f"{second[0]}:{second[1]}") as queued:
        second_thread, second_result = decide_in_thread(stock, second[0], second[1])
        if stock.is_sqlite:
            assert queued.wait(TIMEOUT), repr(second_result.error)
        else:
            wait_until_blocked(stock.engine)
        assert second_result.finished_at is None  # still waiting behind the first
        released_at = time.monotonic()
        release.set()
        join([first_thread, second_thread])
    assert second_result.finished_at is not None and second_result.finished_at >= released_at
    return first_result, second_result


def test_a_decider_waiting_behind_another_is_told_409_once_the_first_commits(stock: Stock):
    (application_id,) = stock.take(1)
    first, second = holder_and_follower(
        stock, ("decision@example.com", application_id), ("decision2@example.com", application_id), first_commits=True
    )
    assert first.ok, repr(first.error)
    assert second.status == 409, repr(second.error)
    state = facts(stock.engine, application_id)
    assert state["status"] is ApplicationStatus.GRANTED and len(state["labels"]) == 1 and len(state["decisions"]) == 1
    assert state["decisions"][0].decided_by.email == "decision@example.com"


def test_a_decider_waiting_behind_another_decides_once_the_first_rolls_back(stock: Stock):
    (application_id,) = stock.take(1)
    first, second = holder_and_follower(
        stock, ("decision@example.com", application_id), ("decision2@example.com", application_id), first_commits=False
    )
    assert not first.ok  # rolled back on purpose
    assert second.ok, repr(second.error)
    state = facts(stock.engine, application_id)
    assert state["status"] is ApplicationStatus.GRANTED and len(state["labels"]) == 1
    assert [d.decided_by.email for d in state["decisions"]] == ["decision2@example.com"]


def test_a_rolled_back_grant_gives_its_certificate_number_back(stock: Stock, issuance_year: int):
    one, other = stock.take(2)
    year = issuance_year
    before = counter(stock.engine, stock.body_id, year)
    first, second = holder_and_follower(
        stock, ("decision@example.com", one), ("decision@example.com", other), first_commits=False
    )
    assert not first.ok and second.ok, (repr(first.error), repr(second.error))
    # The second grant waited behind the first (its counter row, or SQLite's write lock) and took the number it gave back.
    assert second.label_sequence == before + 1
    assert counter(stock.engine, stock.body_id, year) == before + 1
    assert facts(stock.engine, one)["status"] is ApplicationStatus.RECOMMENDED
    assert facts(stock.engine, one)["labels"] == []
