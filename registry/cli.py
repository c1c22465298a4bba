"""CLI commands: ``flask db``, ``flask schemes``, ``flask demo``, ``flask setup`` (what ``make run`` does) and the
domains' groups; ``flask tasks`` (the task queue's worker) is ``registry/tasks.py``'s."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import AppGroup

from registry import migrate
from registry.config import KEK_FILE, SECRET_KEY_FILE
from registry.private_files import PRIVATE_DIRECTORY, PRIVATE_FILE, make_private_directory, restrict, restrict_tree

db_group = AppGroup("db", help="Database migrations (Alembic).")


def _url() -> str:
    return str(current_app.config["DATABASE_URL"])


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    secure_instance(current_app._get_current_object())  # type: ignore[attr-defined]  # a proxy, typed as the app
    _ensure_sqlite_directory(_url())
    migrate.upgrade(_url(), revision)
    click.echo(f"Database is at {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    command.downgrade(migrate.alembic_config(_url()), revision)


@db_group.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    command.current(migrate.alembic_config(_url()), verbose=True)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration, compared against the models (review it before committing)."""
    command.revision(migrate.alembic_config(_url()), message=message, autogenerate=autogenerate)


@db_group.command("grant-runtime-role")
@click.argument("role")
def db_grant_runtime_role(role: str) -> None:
    """Let ROLE, which owns nothing, run the application (PostgreSQL; run as the owner after each upgrade)."""
    from registry.database import make_engine
    from registry.runtime_role import RuntimeRoleError, grant_runtime_role

    engine = make_engine(_url())
    try:
        with engine.begin() as connection:
            grants = grant_runtime_role(connection, role)
    except RuntimeRoleError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(
        f"{grants.role} may read, add, change and delete rows in {len(grants.read_write)} tables, only read and add rows "
        f"in {', '.join(grants.append_only)} (append-only), and number new rows from {grants.sequences} sequences. "
        "Run the application as it; keep the owner for `flask db upgrade`, then run this again."
    )


def _ensure_sqlite_directory(url: str) -> None:
    if url.startswith("sqlite:///"):
        folder = Path(url.removeprefix("sqlite:///")).parent
        if not folder.exists():
            make_private_directory(folder)


def secure_instance(app: Flask) -> None:
    """Tighten what an older instance left readable by others: the instance folder 0700, its secrets 0600, the
    upload folder's folders 0700 and files 0600. (The SQLite database and its WAL files are tightened when the
    engine opens them.)"""
    instance = Path(app.instance_path)
    restrict(instance, PRIVATE_DIRECTORY)
    for name in (SECRET_KEY_FILE, KEK_FILE, "config.py"):
        restrict(instance / name, PRIVATE_FILE)
    restrict_tree(Path(app.config["UPLOAD_DIR"]))


def _write_instance_secret(app: Flask, setting: str, filename: str, make: Callable[[], str]) -> bool:
    """Write ``instance/<filename>`` once (mode 0600, never overwritten) unless ``setting`` is configured, and
    use it; True when one was made."""
    if app.config.get(setting):
        return False
    path = Path(app.instance_path) / filename
    make_private_directory(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(make() + "\n")
    app.config[setting] = path.read_text(encoding="ascii").strip()
    return True


def ensure_secret_key(app: Flask) -> bool:
    """Generate instance/secret_key once; True when a key was made."""
    return _write_instance_secret(app, "SECRET_KEY", SECRET_KEY_FILE, lambda: secrets.token_hex(32))


def ensure_kek(app: Flask) -> bool:
    """Generate instance/key_encryption_key once and install it; True when one was made."""
    from registry.keys.crypto import install_kek, new_kek

    made = _write_instance_secret(app, "KEY_ENCRYPTION_KEY", KEK_FILE, new_kek)
    if made:
        install_kek(app.config["KEY_ENCRYPTION_KEY"])
    return made


@click.command("setup")
@click.option("--demo/--no-demo", default=None, help="Load the demo data set (default: in demo mode).")
def setup_command(demo: bool | None) -> None:
    """Make the instance ready: secret key, migrations, schemes, demo data. Safe to run again."""
    from registry.audit.services import Actor
    from registry.database import db
    from registry.demo.services import load_demo_data
    from registry.schemes.services import sync_schemes

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed as the app
    secure_instance(app)
    if ensure_secret_key(app):
        click.echo(f"Generated a secret key in {app.instance_path}/secret_key.")
    if ensure_kek(app):
        click.echo(
            f"Generated a key-encryption key in {app.instance_path}/key_encryption_key (back it up apart from the database)."
        )
    _ensure_sqlite_directory(_url())
    migrate.upgrade(_url())
    click.echo("Database migrated.")
    from registry.keys.services import root_key

    root = root_key(db.session)
    db.session.commit()
    click.echo(f"Registry root key: {root.kid} (pin it in offline verifiers; see README).")
    report = sync_schemes(db.session, Actor.system(), Path(app.config["SCHEMES_DIR"]))
    if not report.ok:
        db.session.rollback()
        for message in report.refused:
            click.echo(f"  REFUSED {message}", err=True)
        for error in report.invalid:
            click.echo(f"  INVALID {error}", err=True)
        click.echo("Scheme sync refused; fix schemes/ and run again.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Schemes: {len(report.added)} added, {len(report.unchanged)} unchanged.")
    if demo is None:
        demo = app.config["DEMO_MODE"]
    if demo:
        if not app.config["DEMO_MODE"]:
            click.echo("Demo data needs demo mode; it is off here.", err=True)
            sys.exit(1)
        created = load_demo_data(db.session, upload_dir=Path(app.config["UPLOAD_DIR"]))
        db.session.commit()
        click.echo(f"Demo data: {created} records added." if created else "Demo data: already loaded, nothing changed.")


def init_app(app: Flask) -> None:
    from registry.demo.cli import group as demo_group
    from registry.inspections.cli import group as inspections_group
    from registry.keys.cli import group as keys_group
    from registry.labels.cli import group as labels_group
    from registry.schemes.cli import group as schemes_group
    from registry.supervision.cli import group as supervision_group
    from registry.surveillance.cli import group as surveillance_group
    from registry.tasks import group as tasks_group
    from registry.tlog.cli import group as tlog_group

    app.cli.add_command(db_group)
    app.cli.add_command(schemes_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(labels_group)
    app.cli.add_command(supervision_group)
    app.cli.add_command(inspections_group)
    app.cli.add_command(surveillance_group)
    app.cli.add_command(setup_command)
    app.cli.add_command(tasks_group)
    app.cli.add_command(tlog_group)
