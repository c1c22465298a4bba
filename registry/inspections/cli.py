"""``flask inspections draw`` (a spot-check draw for scripts) and ``flask inspections verify-draw`` (repeat a
published draw from its JSON, with nothing but hashlib: registry.inspections.draw)."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from registry.accounts.models import User
from registry.audit.services import Actor
from registry.database import db
from registry.errors import ServiceError
from registry.i18n import in_language
from registry.inspections import draw as algorithm, services

group = AppGroup("inspections", help="Double-random spot checks: make a draw; check a published one.")

FILTER_KEYS = ("scheme", "body", "region", "category")


def _user(email: str) -> User:
    user: User | None = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active_account:
        raise click.ClickException(f"No active account has the e-mail address {email!r}.")
    return user


@group.command("draw")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="KEY=VALUE",
    help=f"Which valid labels to draw from; KEY is one of {', '.join(FILTER_KEYS)} (repeat for each). None: every valid label.",
)
@click.option("--count", required=True, type=int, help="How many labels to draw.")
@click.option("--pool", required=True, help="The inspectors: e-mail addresses of regulator staff, comma-separated.")
@click.option("--actor", "actor_email", required=True, help="The e-mail address of the regulator making the draw.")
@click.option("--lang", default="en", type=click.Choice(["en", "zh_CN"]), help="Language of a refusal's message.")
def draw_command(filters: tuple[str, ...], count: int, pool: str, actor_email: str, lang: str) -> None:
    """Make a spot-check draw; prints the draw's id and its seed (hex)."""
    wanted: dict[str, str] = {}
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in FILTER_KEYS:
            raise click.UsageError(f"--filter takes KEY=VALUE with KEY one of {', '.join(FILTER_KEYS)}, not {item!r}.")
        wanted[key.strip()] = value.strip()
    actor = Actor(user=_user(actor_email), address="cli")
    pool_ids = [_user(email).id for email in pool.split(",") if email.strip()]
    try:
        made = services.make_draw(db.session, actor, services.DrawFilter(**wanted), count, pool_ids)
    except ServiceError as error:
        db.session.rollback()
        with in_language(lang):
            raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"{made.id} {made.seed}")


@group.command("verify-draw")
@click.argument("source")
def verify_draw(source: str) -> None:
    """Repeat a published draw from its JSON (a URL of /spot-checks/ID.json or a saved file) and say whether the
    labels and inspectors match. Exit status 0: they match; 1: they do not."""
    if source.startswith(("https://", "http://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (http(s) only, checked above)
            document = json.load(response)
    else:
        document = json.loads(Path(source).read_text(encoding="utf-8"))
    problems = algorithm.check_document(document)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo(f"draw {document['id']}: {len(document['drawn'])} labels and their inspectors match the seed")
