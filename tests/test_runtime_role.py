"""`flask db grant-runtime-role`: on PostgreSQL the application runs as a role that owns nothing, so the audit
trail's triggers are out of its reach. Each test works in a fresh database with a role of its own, both dropped at
the end (roles are shared by the whole cluster)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry import migrate
from registry.audit.models import APPEND_ONLY_TABLES, AuditEvent
from registry.audit.services import Actor
from registry.database import make_engine
from registry.demo.services import load_demo_data
from registry.schemes.services import sync_schemes
from tests.conftest import SCHEMES_DIR, _postgres_database, make_test_app

BASE_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL")


def postgresql_only(test):  # type: ignore[no-untyped-def]
    test = pytest.mark.skipif(not BASE_URL, reason="needs REGISTRY_TEST_DATABASE_URL (PostgreSQL roles)")(test)
    return pytest.mark.postgresql(test)


# What a runtime role that could disable the triggers would try, none of which it may do.
FORBIDDEN = [
    "UPDATE audit_events SET tag = 'test:rewritten'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "UPDATE application_transitions SET reason = 'rewritten'",
    "DELETE FROM application_transitions",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "ALTER TABLE application_transitions DISABLE TRIGGER application_transitions_append_only",
    "UPDATE label_transitions SET public_reason = 'rewritten'",
    "DELETE FROM label_transitions",
    "ALTER TABLE label_transitions DISABLE TRIGGER label_transitions_append_only",
    "DROP TRIGGER labels_guard_status ON labels",
    "ALTER TABLE applications DISABLE TRIGGER applications_guard_status",
    "DROP TRIGGER audit_events_append_only ON audit_events",
    "ALTER TABLE audit_events ADD COLUMN forged boolean",
    "ALTER TABLE audit_events RENAME TO audit_events_old",
    "DROP TABLE audit_events",
    "CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
    "DROP FUNCTION audit_events_refuse_change() CASCADE",
    "SET session_replication_role = replica",
    "CREATE TABLE audit_events_copy (id integer)",
]


@pytest.fixture
def owner_url() -> Iterator[str]:
    """A fresh migrated database, owned by the test run's role as production's by the role that migrates."""
    assert BASE_URL
    for url in _postgres_database(BASE_URL):
        migrate.upgrade(url)
        yield url


@pytest.fixture
def role(owner_url: str) -> Iterator[str]:
    name = f"registry_runtime_{uuid.uuid4().hex[:10]}"
    admin = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{name}" LOGIN'))
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :name"), {"name": name}
            )
            connection.execute(text(f'DROP OWNED BY "{name}"'))
            connection.execute(text(f'DROP ROLE "{name}"'))
        admin.dispose()


def grant(url: str, role: str):  # type: ignore[no-untyped-def]
    return make_test_app(url).test_cli_runner().invoke(args=["db", "grant-runtime-role", role])


def as_role(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


@postgresql_only
def test_the_runtime_role_runs_the_registry_but_cannot_change_the_audit_trail_or_its_triggers(
    owner_url, role, tmp_path: Path
):
    result = grant(owner_url, role)
    assert result.exit_code == 0, result.output
    assert ", ".join(sorted(APPEND_ONLY_TABLES)) + " (append-only)" in result.output
    runtime = make_engine(as_role(owner_url, role))
    try:
        # Everything the registry does to load its schemes and the demo data (organisations, accounts, keys,
        # applications through the whole workflow, labels, counters), with its audit events, it does as this role.
        with Session(runtime) as session:
            assert sync_schemes(session, Actor.system(), SCHEMES_DIR).ok
            assert load_demo_data(session, upload_dir=tmp_path) > 0
            session.commit()
        with runtime.connect() as connection:
            events = connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
            transitions = connection.execute(text("SELECT count(*) FROM application_transitions")).scalar_one()
            assert events > 0 and transitions > 0
            for statement in FORBIDDEN:
                with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
                    connection.execute(text(statement))
                connection.rollback()
            assert connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == events
            assert connection.execute(text("SELECT count(*) FROM application_transitions")).scalar_one() == transitions
    finally:
        runtime.dispose()


@postgresql_only
def test_granting_again_after_an_upgrade_takes_back_what_an_append_only_table_must_not_allow(owner_url, role):
    owner = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    try:
        assert grant(owner_url, role).exit_code == 0
        # As if a release had made a table append-only after the role was granted everything on it.
        with owner.connect() as connection:
            connection.execute(text(f'GRANT UPDATE, DELETE, TRUNCATE, TRIGGER ON audit_events TO "{role}"'))
        result = grant(owner_url, role)
        assert result.exit_code == 0, result.output
        with owner.connect() as connection:
            held = (
                connection.execute(
                    text(
                        "SELECT privilege_type FROM information_schema.role_table_grants "
                        "WHERE grantee = :role AND table_name = 'audit_events' ORDER BY privilege_type"
                    ),
                    {"role": role},
                )
                .scalars()
                .all()
            )
            assert held == ["INSERT", "SELECT"]
            assert connection.execute(
                text("SELECT has_table_privilege(:role, 'organisations', 'UPDATE')"), {"role": role}
            ).scalar_one()
    finally:
        owner.dispose()


@postgresql_only
def test_a_role_that_could_act_as_the_owner_is_refused(owner_url, role):
    owner_name = make_url(owner_url).username
    admin = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            is_super = connection.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar_one()
        result = grant(owner_url, owner_name)
        assert result.exit_code == 1
        assert ("is a superuser" if is_super else "owns, or can act as the owner of") in result.output
        with admin.connect() as connection:
            connection.execute(text("CREATE TABLE owned_by_runtime (id integer)"))
            connection.execute(text(f'ALTER TABLE owned_by_runtime OWNER TO "{role}"'))
        result = grant(owner_url, role)
        assert result.exit_code == 1 and "owns, or can act as the owner of, owned_by_runtime" in result.output
        with admin.connect() as connection:
            held = connection.execute(
                text(
                    "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = :role AND table_name <> "
                    "'owned_by_runtime'"
                ),
                {"role": role},
            ).scalar_one()
        assert held == 0  # refused before granting anything
    finally:
        admin.dispose()


@postgresql_only
def test_a_missing_role_is_named_with_how_to_create_it(owner_url):
    result = grant(owner_url, "no_such_registry_role")
    assert result.exit_code == 1
    assert "There is no role 'no_such_registry_role'" in result.output and "CREATE ROLE" in result.output


def test_sqlite_has_no_roles_and_says_what_protects_it_instead(tmp_path):
    result = grant("sqlite:///" + str(tmp_path / "registry.sqlite3"), "registry_app")
    assert result.exit_code == 1
    assert "SQLite has no roles" in result.output
