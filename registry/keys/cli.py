"""``flask keys list|rotate|revoke|root``: the label-signing keys."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NoReturn, TypeVar

import click
from flask.cli import AppGroup
from sqlalchemy import select

from registry.audit.services import Actor
from registry.database import db
from registry.errors import ServiceError
from registry.keys.services import list_keys, public_jwk, revoke, root_key, rotate
from registry.organisations.models import Organisation, OrganisationKind
from registry.verifier.format import b64url, jwk_thumbprint

T = TypeVar("T")

group = AppGroup("keys", help="Label-signing keys: list, rotate, revoke, show the root key.")


def _fail(message: str) -> NoReturn:
    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


def _commit(action: Callable[[], T]) -> T:
    """Run a key service and commit, or say why it refused (exit 1, nothing written)."""
    try:
        result = action()
    except ServiceError as error:
        _fail(str(error.message))
    db.session.commit()
    return result


@group.command("list")
def list_command() -> None:
    """Every key with its body, status and windows (never the private part)."""
    for key in list_keys(db.session):
        owner = key.body.body_code if key.body else "ROOT"
        revoked = f"  revoked {key.revoked_at:%Y-%m-%d %H:%M}Z" if key.revoked_at else ""
        click.echo(
            f"{key.kid}  {owner:<8} {key.status.value:<8} signs {key.sign_from:%Y-%m-%d}..{key.sign_until:%Y-%m-%d}"
            f"  verifies until {key.verify_until:%Y-%m-%d}{revoked}"
        )


@group.command("rotate")
@click.option("--body", "body_code", required=True, help="The certification body's short code, e.g. HTDEMO.")
def rotate_command(body_code: str) -> None:
    """Make a new active key for a body; its previous key becomes verify-only."""
    body = db.session.scalar(
        select(Organisation).where(
            Organisation.body_code == body_code.strip().upper(),
            Organisation.kind == OrganisationKind.CERTIFICATION_BODY,
        )
    )
    if body is None:
        _fail(f"No certification body has the code {body_code!r}. `flask keys list` shows the bodies with keys.")
    key = _commit(lambda: rotate(db.session, Actor.system(), body))
    click.echo(f"New active key {key.kid} for {body.body_code}; signs until {key.sign_until:%Y-%m-%d}.")


# A kid is base64url, so one in 64 begins with "-": read such an argument as the kid, not as an unknown option.
@group.command("revoke", context_settings={"ignore_unknown_options": True})
@click.argument("kid")
@click.option("--reason", required=True, help="Why (e.g. 'private key exposed on 2026-11-20').")
@click.option("--at", "at_text", default=None, help="When trust ended, ISO 8601 UTC (default: now).")
def revoke_command(kid: str, reason: str, at_text: str | None) -> None:
    """Revoke a body key: every label it signed then verifies as key_revoked until re-issued."""
    at = None
    if at_text:
        try:
            at = datetime.fromisoformat(at_text)
        except ValueError:
            _fail(f"--at {at_text!r} is not an ISO 8601 time, e.g. 2026-11-20T08:00:00Z.")
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
    key = _commit(lambda: revoke(db.session, Actor.system(), kid, reason, at))
    click.echo(
        f"Revoked {key.kid} at {key.revoked_at:%Y-%m-%d %H:%M:%S}Z. Run `flask keys rotate --body {key.body.body_code if key.body else ''}` if the body has no other active key."
    )


@group.command("root")
def root_command() -> None:
    """Print the root public key (JWK) and its RFC 7638 thumbprint, for verifiers to pin."""
    import json

    key = root_key(db.session)
    db.session.commit()
    jwk = public_jwk(key)
    click.echo(json.dumps(jwk))
    click.echo(f"thumbprint (RFC 7638, base64url): {b64url(jwk_thumbprint(jwk))}", err=True)
