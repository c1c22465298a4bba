"""``flask demo load`` and ``flask demo logins``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from registry.database import db
from registry.demo.services import DEMO_PASSWORD, demo_logins, load_demo_data

group = AppGroup("demo", help="The demo data set (only in demo mode).")


@group.command("load")
def load_command() -> None:
    """Add the demo organisations, accounts and products that are missing."""
    if not current_app.config["DEMO_MODE"]:
        click.echo("Demo mode is off (production, or REGISTRY_DEMO_MODE=false): demo data is refused.", err=True)
        sys.exit(1)
    added = load_demo_data(db.session, upload_dir=Path(current_app.config["UPLOAD_DIR"]))
    db.session.commit()
    click.echo(f"Demo data: {added} records added." if added else "Demo data: already loaded, nothing changed.")


@group.command("logins")
def logins_command() -> None:
    """Print the demo accounts and their password."""
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for email, role in demo_logins():
        click.echo(f"  {email:<30} {role}")
