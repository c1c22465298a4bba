"""`flask surveillance overdue`: the scheduled job that tells each body once about each overdue surveillance."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from registry.audit.services import Actor
from registry.database import db
from registry.surveillance.services import flag_overdue_surveillance

group = AppGroup("surveillance", help="Surveillance of labels: flag what is overdue.")


@group.command("overdue")
def overdue_command() -> None:
    """Flag every surveillance past its due date (China time) that was not flagged yet: the body's
    administrators are notified and an audit event written, once per surveillance. Safe to run as often as wanted."""
    flagged = flag_overdue_surveillance(db.session, Actor.system())
    lines = [f"{s.label.certificate_number} overdue since {s.due_on.isoformat()}" for s in flagged]
    db.session.commit()
    for line in lines:
        click.echo(line)
    click.echo(f"{len(flagged)} overdue surveillance(s) flagged.", err=True)
