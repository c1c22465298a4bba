"""``flask supervision overdue``: flag the withdrawal demands past their due day (the periodic job)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from registry.audit.services import Actor
from registry.database import db, utcnow
from registry.supervision.services import flag_overdue_withdrawals

group = AppGroup(
    "supervision", help="The regulator's supervision: flag overdue withdrawals of dishonest enterprises' labels."
)


@group.command("overdue")
def overdue_command() -> None:
    """Flag every withdrawal demand past its due day (China's working days) as overdue; prints each one. Run it
    daily: a demand is flagged once, so running it again changes nothing."""
    flagged = flag_overdue_withdrawals(db.session, Actor.system(), utcnow())
    db.session.commit()
    for demand in flagged:
        click.echo(f"{demand.label.certificate_number} overdue since {demand.due_on.isoformat()}")
    click.echo(f"{len(flagged)} withdrawal demand(s) flagged overdue.", err=True)
