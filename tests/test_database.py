"""The migrations build the schema the models describe, on SQLite and on PostgreSQL; the database itself
enforces what must never happen."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from registry import migrate
from registry.database import make_engine
from registry.models import Base
from tests.conftest import _postgres_database


@pytest.fixture
def empty_database_url(tmp_path):
    base = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    if base:
        yield from _postgres_database(base)
    else:
        yield "sqlite:///" + str(tmp_path / "empty.sqlite3")


def test_empty_database_upgrades_to_head_and_matches_the_models(empty_database_url):
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": migrate.include_name})
            differences = compare_metadata(context, Base.metadata)
            assert differences == [], differences
            assert set(inspect(connection).get_table_names()) >= {"organisations", "users", "audit_events", "alembic_version"}
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(empty_database_url):
    from alembic import command

    migrate.upgrade(empty_database_url)
    command.downgrade(migrate.alembic_config(empty_database_url), "base")
    migrate.upgrade(empty_database_url)


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    engine = make_engine("sqlite:///" + str(tmp_path / "wal.sqlite3"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def private(path) -> bool:
    """Nobody but the file's owner may read, write or enter it."""
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_a_new_sqlite_database_and_its_wal_files_are_readable_by_the_registry_only(tmp_path):
    path = tmp_path / "registry.sqlite3"
    engine = make_engine("sqlite:///" + str(path))
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE secrets (value TEXT)")
            connection.exec_driver_sql("INSERT INTO secrets VALUES ('confidential')")
            connection.commit()
            # While a connection is open the write-ahead log and its index exist beside the database.
            files = [path, tmp_path / "registry.sqlite3-wal", tmp_path / "registry.sqlite3-shm"]
            assert all(file.exists() for file in files)
            assert {file.name: oct(stat.S_IMODE(file.stat().st_mode)) for file in files if not private(file)} == {}
    finally:
        engine.dispose()


def test_an_sqlite_database_left_readable_by_an_older_instance_is_tightened_when_opened(tmp_path):
    path = tmp_path / "registry.sqlite3"
    old = sqlite3.connect(path)  # stays open, so that its WAL files are still there
    try:
        old.execute("PRAGMA journal_mode = WAL")
        old.execute("CREATE TABLE secrets (value TEXT)")
        old.execute("INSERT INTO secrets VALUES ('confidential')")
        old.commit()
        files = [path, tmp_path / "registry.sqlite3-wal", tmp_path / "registry.sqlite3-shm"]
        for file in files:
            file.chmod(0o644)
        engine = make_engine("sqlite:///" + str(path))
        try:
            with engine.connect() as connection:
                assert connection.exec_driver_sql("SELECT value FROM secrets").scalar() == "confidential"
            assert {file.name: oct(stat.S_IMODE(file.stat().st_mode)) for file in files if not private(file)} == {}
        finally:
            engine.dispose()
    finally:
        old.close()


def test_audit_events_cannot_be_changed_or_deleted_in_the_database(connection):
    connection.execute(
        text("INSERT INTO audit_events (occurred_at, tag, payload) VALUES (:at, 'test:append', '{}')"),
        {"at": datetime.now(UTC).replace(tzinfo=None)},
    )
    for statement in ("UPDATE audit_events SET tag = 'test:rewritten'", "DELETE FROM audit_events"):
        savepoint = connection.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement))
        savepoint.rollback()


# For each append-only table, a column the statements below try to rewrite and the value they try.
REWRITES = {"audit_events": ("tag", "'test:rewritten'"), "application_transitions": ("reason", "'rewritten'")}


@pytest.mark.parametrize("table", sorted(REWRITES))
def test_an_append_only_row_cannot_be_overwritten_or_removed_in_the_database(connection, table):
    """Raw SQL, as a sqlite3 shell or psql user would write it: every way of putting new values into the first row,
    or removing it, is refused, and the row stays as it was."""
    first = connection.execute(text(f"SELECT * FROM {table} ORDER BY id LIMIT 1")).one()
    column, value = REWRITES[table]
    columns = ", ".join(first._fields)
    rewritten = f"SELECT {', '.join(f'{value} AS {name}' if name == column else name for name in first._fields)} " \
        f"FROM {table} WHERE id = :id"
    statements = [
        f"INSERT INTO {table} ({columns}) {rewritten} ON CONFLICT (id) DO UPDATE SET {column} = {value}",
        f"UPDATE {table} SET {column} = {value} WHERE id = :id",
        f"DELETE FROM {table} WHERE id = :id",
    ]
    if connection.dialect.name == "sqlite":
        # REPLACE deletes the row it conflicts with, and does not fire DELETE triggers while recursive_triggers is
        # off (it is, in a sqlite3 shell and in the registry).
        statements += [
            f"INSERT OR REPLACE INTO {table} ({columns}) {rewritten}",
            f"REPLACE INTO {table} ({columns}) {rewritten}",
            f"UPDATE OR REPLACE {table} SET {column} = {value} WHERE id = :id",
        ]
    for statement in statements:
        savepoint = connection.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement), {"id": first.id})
        savepoint.rollback()
    assert connection.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": first.id}).one() == first


@pytest.mark.parametrize(
    ("role", "organisation_kind"),
    [("applicant", "certification_body"), ("verifier", "enterprise"), ("regulator", "enterprise"), ("site_admin", "regulator")],
)
def test_a_role_cannot_belong_to_the_wrong_kind_of_organisation(connection, role, organisation_kind):
    organisation_id = connection.execute(
        text("SELECT id FROM organisations WHERE kind = :kind"), {"kind": organisation_kind}
    ).scalar()
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError):
        connection.execute(
            text(
                "INSERT INTO users (email, name, password_hash, role, organisation_id, organisation_kind, session_token,"
                " is_active_account, is_demo, created_at) VALUES ('x@example.org', 'x', 'x', :role, :org, :kind, 't',"
                " true, false, CURRENT_TIMESTAMP)"
            ),
            {"role": role, "org": organisation_id, "kind": organisation_kind},
        )
    savepoint.rollback()


def test_a_user_cannot_claim_a_kind_their_organisation_does_not_have(connection):
    enterprise_id = connection.execute(text("SELECT id FROM organisations WHERE kind = 'enterprise'")).scalar()
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError):
        # Says "certification body" but points at an enterprise: the composite foreign key refuses it.
        connection.execute(
            text(
                "INSERT INTO users (email, name, password_hash, role, organisation_id, organisation_kind, session_token,"
                " is_active_account, is_demo, created_at) VALUES ('y@example.org', 'y', 'y', 'verifier', :org,"
                " 'certification_body', 't', true, false, CURRENT_TIMESTAMP)"
            ),
            {"org": enterprise_id},
        )
    savepoint.rollback()


def test_an_enterprise_needs_its_credit_code(connection):
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError):
        connection.execute(
            text("INSERT INTO organisations (kind, name_zh, is_demo, created_at) VALUES ('enterprise', 'x', false, CURRENT_TIMESTAMP)")
        )
    savepoint.rollback()


def test_migration_0005_backfills_and_indexes_the_search_text_of_labels_issued_before_it(empty_database_url, tmp_path, monkeypatch):
    """A registry with labels upgrades to full-text search: their search text is written and the index finds them."""
    from alembic import command
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from registry.audit.services import Actor
    from registry.demo.services import load_demo_data
    from registry.disclosure import search as search_module
    from registry.disclosure.search import Filters, search
    from registry.labels.models import Label
    from registry.schemes.services import sync_schemes
    from tests.conftest import SCHEMES_DIR

    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with Session(engine) as session:
            sync_schemes(session, Actor.system(), SCHEMES_DIR)
            load_demo_data(session, upload_dir=tmp_path)
            session.commit()
            expected = dict(session.execute(select(Label.id, Label.search_text)).all())
        assert len(expected) >= 3 and all(expected.values())
        command.downgrade(migrate.alembic_config(empty_database_url), "0004_catalogue_index")
        migrate.upgrade(empty_database_url)
        monkeypatch.setattr(search_module, "TEXT_WINDOW", 1)  # on SQLite, ask the FTS5 index itself
        with Session(engine) as session:
            assert dict(session.execute(select(Label.id, Label.search_text)).all()) == expected
            for label in session.scalars(select(Label)):
                first_word = label.product.name_zh[:2]
                assert label.public_id in [found.public_id for found in search(session, Filters(q=first_word), limit=100)[0]]
    finally:
        engine.dispose()


# SQLite: who takes the write lock when their transaction begins.


@pytest.fixture
def sqlite_app(tmp_path):
    """An app of its own on a small SQLite file (sessions on their own connections, not the test's transaction)."""
    from tests.conftest import make_test_app

    url = "sqlite:///" + str(tmp_path / "writers.sqlite3")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (body TEXT)")
    engine.dispose()
    app = make_test_app(url, SQLITE_BUSY_TIMEOUT=7)
    yield app, tmp_path / "writers.sqlite3"
    with app.app_context():
        from registry.database import db

        db.engine.dispose()


def another_writer_can_start(path) -> bool:
    """Whether someone else could begin writing right now (without waiting): false while a writer holds the lock."""
    import sqlite3

    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("SELECT count(*) FROM notes").fetchone()  # reading is never blocked (WAL)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        other.close()


@pytest.mark.parametrize(("method", "writer"), [("GET", False), ("HEAD", False), ("POST", True), ("DELETE", True)])
def test_on_sqlite_a_writing_request_holds_the_write_lock_from_its_first_read_and_a_reading_one_never(sqlite_app, method, writer):
    from registry.database import db

    app, path = sqlite_app
    with app.test_request_context("/", method=method):
        db.session.execute(text("SELECT count(*) FROM notes"))
        assert another_writer_can_start(path) is not writer
        db.session.rollback()
        assert another_writer_can_start(path)


def test_on_sqlite_a_cli_command_holds_the_write_lock_from_its_first_read(sqlite_app):
    """A command that read and then writes after a request committed in between would fail at once with
    "database is locked" (SQLite cannot upgrade that reader); holding the lock from the start, it makes the
    request wait instead."""
    from registry.database import db

    app, path = sqlite_app
    seen: list[bool] = []

    @app.cli.command("read-then-write")
    def read_then_write() -> None:
        db.session.execute(text("SELECT count(*) FROM notes"))
        seen.append(another_writer_can_start(path))
        db.session.execute(text("INSERT INTO notes VALUES ('from a command')"))
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["read-then-write"])
    assert result.exit_code == 0, result.output
    assert seen == [False]
    assert another_writer_can_start(path)


def test_flask_shell_does_not_hold_the_write_lock_while_it_waits_for_its_user(sqlite_app):
    import click

    from registry.database import begins_as_writer

    app, _path = sqlite_app
    with app.app_context(), click.Context(click.Command("shell"), info_name="shell"):
        assert not begins_as_writer()


def test_the_sqlite_busy_timeout_is_the_configured_one(sqlite_app):
    from registry.database import db

    app, _path = sqlite_app
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
