"""``flask schemes check`` and ``flask schemes sync``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from registry.audit.services import Actor
from registry.database import db
from registry.schemes.services import SyncReport, check_schemes, sync_schemes

group = AppGroup("schemes", help="Check and sync the certification schemes in schemes/.")


def _directory(path: str | None) -> Path:
    return Path(path or current_app.config["SCHEMES_DIR"])


def _print(report: SyncReport, *, verb: str) -> None:
    for label in report.added:
        click.echo(f"  {verb:<9} {label}")
    for label in report.unchanged:
        click.echo(f"  unchanged {label}")
    for message in report.refused:
        click.echo(f"  REFUSED   {message}", err=True)
    for error in report.invalid:
        click.echo(f"  INVALID   {error.path}", err=True)
        for problem in error.problems:
            click.echo(f"              {problem}", err=True)


@group.command("check")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Defaults to the schemes/ folder.")
@click.option("--files-only", is_flag=True, help="Validate the files without comparing them with the database.")
def check_command(directory: str | None, files_only: bool) -> None:
    """Validate every scheme file and say what a sync would do; writes nothing."""
    report = check_schemes(None if files_only else db.session, _directory(directory))
    _print(report, verb="new")
    if not report.ok:
        click.echo("Scheme check failed: fix the files named above.", err=True)
        sys.exit(1)
    click.echo(f"Scheme check passed: {len(report.added)} new, {len(report.unchanged)} unchanged.")


@group.command("sync")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Defaults to the schemes/ folder.")
def sync_command(directory: str | None) -> None:
    """Add new scheme versions to the database; all or nothing."""
    report = sync_schemes(db.session, Actor.system(), _directory(directory))
    _print(report, verb="added")
    if not report.ok:
        db.session.rollback()
        click.echo("Scheme sync refused; nothing was written.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Scheme sync done: {len(report.added)} added, {len(report.unchanged)} unchanged.")
