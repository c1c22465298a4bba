"""Two people (or one person's two browser tabs) at the same moment, each in a POST request, session and connection
of its own, on committed data: two change reports for one label open one application, and two evaluations of one
surveillance record one. Both engines: on PostgreSQL they load together and queue on the row lock the services
take; on SQLite a writing request holds the write lock from BEGIN, so the second reads what the first left."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from registry import migrate
from registry.accounts.models import User
from registry.applications.models import Application
from registry.applications.services import renewal
from registry.audit.services import Actor
from registry.database import db, make_engine
from registry.demo.services import load_demo_data
from registry.errors import ServiceError
from registry.labels.models import Label
from registry.schemes.services import sync_schemes
from registry.surveillance import services
from registry.surveillance.models import Surveillance, SurveillanceEvaluation
from tests.conftest import SCHEMES_DIR, _postgres_database, make_test_app

BASE_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL")
TIMEOUT = 30


@dataclass
class World:
    engine: Engine
    app: Flask
    labels: list[int]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    databases = _postgres_database(BASE_URL) if BASE_URL else None
    url = next(databases) if databases is not None else "sqlite:///" + str(tmp_path_factory.mktemp("surv") / "r.db")
    upload_dir: Path = tmp_path_factory.mktemp("surveillance-uploads")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert sync_schemes(session, Actor.system(), SCHEMES_DIR).ok
            load_demo_data(session, upload_dir=upload_dir)
            session.commit()
            labels = list(session.scalars(select(Label.id).order_by(Label.id)))
        yield World(engine, make_test_app(url, upload_dir), labels)
    finally:
        engine.dispose()
        if databases is not None:
            databases.close()


def race(world: World, url: str, act: Callable[[Session], object], count: int = 2) -> list[BaseException | None]:
    """``count`` POST requests running ``act`` at once, each committing; what each one raised (None: it won)."""
    barrier = threading.Barrier(count, timeout=TIMEOUT)
    errors: list[BaseException | None] = [None] * count

    def run(index: int) -> None:
        with world.app.test_request_context(url, method="POST"):
            session = db.session
            try:
                if world.is_sqlite:
                    barrier.wait()  # before BEGIN: a writer there holds the lock from its first statement
                    act(session)
                else:
                    act(session, barrier)  # type: ignore[call-arg]
                session.commit()
            except BaseException as error:  # reported to the test, never swallowed
                session.rollback()
                errors[index] = error

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    return errors


def _user(session: Session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return Actor(user)


def test_two_change_reports_at_once_open_one_application(world: World):
    label_id = world.labels[0]

    def act(session: Session, barrier: threading.Barrier | None = None) -> object:
        label = session.get(Label, label_id)
        assert label is not None
        holder = session.scalar(
            select(User).where(User.organisation_id == label.holder_id, User.role == "applicant").order_by(User.id)
        )
        assert holder is not None
        if barrier is not None:
            barrier.wait()  # both have loaded the label: now both report
        return renewal.report_change(session, Actor(holder), label, what="factory", description="Moved to Hefei.")

    errors = race(world, f"/labels/{label_id}/report-change", act)
    assert sorted(e is None for e in errors) == [False, True], errors
    loser = next(e for e in errors if e is not None)
    assert isinstance(loser, ServiceError) and loser.status == 409
    with Session(world.engine) as session:
        assert session.scalar(select(func.count()).where(Application.previous_label_id == label_id)) == 1


def test_two_evaluations_of_one_surveillance_at_once_record_one(world: World):
    label_id = world.labels[1]
    with Session(world.engine) as session:
        label = session.get(Label, label_id)
        assert label is not None
        now = datetime.combine(services.due_dates(label)[0], time(4, 0), tzinfo=UTC)
        admin = session.scalar(
            select(User).where(User.organisation_id == label.body_id, User.role == "body_admin").order_by(User.id)
        )
        assert admin is not None
        surveillance = services.assign_verifier(
            session, Actor(admin), label, _user(session, "verifier@example.com").user.id, now=now
        )
        session.commit()
        surveillance_id = surveillance.id

    def act(session: Session, barrier: threading.Barrier | None = None) -> object:
        surveillance = session.get(Surveillance, surveillance_id)
        assert surveillance is not None
        verifier = _user(session, "verifier@example.com")
        if barrier is not None:
            barrier.wait()
        return services.record_evaluation(
            session, verifier, surveillance, outcome="maintain", findings="All conforming.", no_conflict=True, now=now
        )

    errors = race(world, f"/surveillance/{surveillance_id}/evaluate", act)
    assert sorted(e is None for e in errors) == [False, True], errors
    loser = next(e for e in errors if e is not None)
    assert isinstance(loser, ServiceError) and loser.status == 409
    with Session(world.engine) as session:
        assert session.scalar(select(func.count()).select_from(SurveillanceEvaluation)) == 1
