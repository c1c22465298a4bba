"""Fixtures: one migrated database per run (SQLite, or PostgreSQL via REGISTRY_TEST_DATABASE_URL) holding
the schemes and the demo data; each test runs inside a transaction that is rolled back afterwards."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from registry import PROJECT_ROOT, after_commit, create_app, migrate
from registry.audit.services import Actor
from registry.database import db, make_engine
from registry.demo.services import DEMO_PASSWORD, load_demo_data
from registry.keys.crypto import install_kek, new_kek
from registry.schemes.services import sync_schemes

SCHEMES_DIR = PROJECT_ROOT / "schemes"
# A fresh key-encryption key for each test run, never written down (the demo data's labels are signed while
# the database is built, before any app exists).
TEST_KEK = new_kek()
install_kek(TEST_KEK)
# Work after a commit or a rollback (uploaded files, mail) for the sessions tests make without an app too; an app
# registers the same listeners when it is made (registry.database.Database.init_app).
after_commit.register_listeners()


def _postgres_database(base_url: str) -> Iterator[str]:
    """A fresh database beside the one named in the URL, dropped at the end of the run."""
    url = make_url(base_url)
    name = f"registry_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    if base:
        yield from _postgres_database(base)
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "registry.sqlite3")


@pytest.fixture(scope="session")
def upload_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="session")
def engine(database_url: str, upload_dir: Path) -> Iterator[Engine]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        report = sync_schemes(session, Actor.system(), SCHEMES_DIR)
        assert report.ok, report
        load_demo_data(session, upload_dir=upload_dir)
        session.commit()
    yield engine
    engine.dispose()


def make_test_app(database_url: str, upload_dir: Path | None = None, **overrides: object) -> Flask:
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "SERVER_NAME": "registry.test",
        "SCHEMES_DIR": str(SCHEMES_DIR),
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        # Each test's app keeps its own pages: a page rendered from a rolled-back test must not reach another.
        "CACHE_TYPE": "SimpleCache",
    }
    if upload_dir is not None:
        config["UPLOAD_DIR"] = str(upload_dir)
    # Kept artwork goes beside the uploads, or into a folder of its own, never into the project's instance folder.
    config["ARTWORK_DIR"] = (
        f"{upload_dir}-artwork" if upload_dir is not None else tempfile.mkdtemp(prefix="registry-test-artwork-")
    )
    # The task queue's file (made only when a test uses the queue), never the project's instance/tasks.sqlite3.
    config["TASK_QUEUE_FILE"] = str(
        Path(tempfile.gettempdir()) / f"registry-test-tasks-{os.getpid()}" / "tasks.sqlite3"
    )
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One connection in an outer transaction that is rolled back after the test: nothing a test writes stays."""
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Commits inside the test release savepoints; the outer transaction still rolls everything back.
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def app(database_url: str, upload_dir: Path, session_factory: sessionmaker[Session], tmp_path: Path) -> Flask:
    """An app whose request sessions join the test's transaction (and keep their artwork for this test only)."""
    app = make_test_app(database_url, upload_dir, ARTWORK_DIR=str(tmp_path / "artwork"))
    db.bind_sessions(app, session_factory)
    return app


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session of the test's own on the same transaction, to arrange data and check what requests did.

    It is deliberately not the request's session and pushes no app context: a pushed context would be
    shared by the test client's requests and leak ``g`` (the signed-in user, the CSRF token) between them.
    """
    with session_factory() as session:
        yield session


def english(client: FlaskClient) -> FlaskClient:
    """Most assertions read English text; the i18n tests ask for Chinese themselves."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return english(app.test_client())


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    match = CSRF_INPUT.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1) or match.group(2)


def post_form(client: FlaskClient, url: str, data: dict[str, str], *, form_url: str | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    """Submit a form the way a browser does: open the page, take its CSRF token, post."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def sign_in(client: FlaskClient, email: str, password: str = DEMO_PASSWORD):  # type: ignore[no-untyped-def]
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, f"sign-in as {email} failed: {response.status_code}"
    return response


DEMO_ROLE_LOGINS = {
    "applicant": "applicant@example.com",
    "body_admin": "body.admin@example.com",
    "verifier": "verifier@example.com",
    "decision_maker": "decision@example.com",
    "regulator": "regulator@example.com",
    "site_admin": "admin@example.com",
}


@pytest.fixture(params=sorted(DEMO_ROLE_LOGINS))
def signed_in_client(request: pytest.FixtureRequest, client: FlaskClient) -> FlaskClient:
    sign_in(client, DEMO_ROLE_LOGINS[request.param])
    client.role = request.param  # type: ignore[attr-defined]
    return client


def login_as(client: FlaskClient, role: str) -> FlaskClient:
    sign_in(client, DEMO_ROLE_LOGINS[role])
    return client


def require_zbar():  # type: ignore[no-untyped-def]
    """pyzbar's ``decode``, or a skip that says how to install zbar (a failure in CI, which installs it)."""
    try:
        from pyzbar.pyzbar import decode
    except (ImportError, OSError) as error:
        if os.environ.get("REGISTRY_STRICT_SYSTEM_DEPS"):
            raise
        pytest.skip(f"zbar is not installed ({error}); run `make system-deps` (Debian package libzbar0)")
    return decode
