"""``flask tlog checkpoint|audit``: sign a checkpoint now; audit a running registry over HTTP."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from registry.database import db
from registry.tlog import services

group = AppGroup("tlog", help="The transparency log: sign a checkpoint, audit a registry.")


@group.command("checkpoint")
def checkpoint_command() -> None:
    """Sign a checkpoint of the log as it is now (makes the log key if there is none)."""
    services.log_key(db.session)
    made = services.checkpoint(db.session)
    db.session.commit()
    latest = services.latest_checkpoint(db.session)
    if made is None:
        click.echo(f"The latest checkpoint already covers the log ({latest.tree_size if latest else 0} entries).")
    else:
        click.echo(f"Signed a checkpoint of {made.tree_size} entries.")


@group.command("audit")
@click.option("--url", required=True, help="The registry's base URL, e.g. https://label.example.cn")
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("tlog-audit-state.json"),
    show_default=True,
    help="Where the auditor keeps the last checkpoint it verified and the log's key.",
)
def audit_command(url: str, state: Path) -> None:
    """Check a running registry over HTTP only: exit 1 on any difference."""
    from registry.tlog.audit import audit

    problems = audit(url, state, echo=click.echo)
    for problem in problems:
        click.echo(f"DIFFERENCE {problem}", err=True)
    if problems:
        click.echo(f"{len(problems)} difference(s) found.", err=True)
        sys.exit(1)
    click.echo("No differences: the log, its checkpoints, the labels and the status lists agree.")
