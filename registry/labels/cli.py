"""``flask labels verify``: the verifier from the command line, online or offline; the lifecycle commands and ``reissue``."""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from registry.accounts.models import User
from registry.audit.services import Actor
from registry.database import db
from registry.errors import ServiceError
from registry.i18n import in_language
from registry.keys.services import public_jwk, root_key
from registry.labels import lifecycle
from registry.labels.models import Label, LabelAction
from registry.verifier import format as fmt
from registry.verifier.core import Verdict, verify
from registry.verifier.sources import Sources, fetch_online, load_offline, load_root_key, origin_of

group = AppGroup(
    "labels",
    help="Signed labels: verify a scanned QR code; suspend, restore, withdraw, cancel and expire labels; re-issue those a revoked key signed.",
)

# Exit status of `flask labels verify`: a script can tell "valid" from "not valid" from "valid when the saved
# status lists were made, but they are too old to say more" from "could not run".
EXIT_VALID, EXIT_NOT_VALID, EXIT_COULD_NOT_RUN, EXIT_STALE_STATUS = 0, 1, 2, 3

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class Duration(click.ParamType[float, Any]):
    """A duration: ``90s``, ``15m``, ``12h``, ``7d`` (or a bare number of seconds), as seconds."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|min|m|h|d)?\s*", str(value))
        if match is None:
            self.fail(f"{value!r} is not a duration: write e.g. 90s, 15m, 12h or 7d.", param, ctx)
        return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def _human_age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


@group.command("verify")
@click.argument("scanned")
@click.option("--offline", is_flag=True, help="Use only saved files: no network.")
@click.option(
    "--trust-list",
    "trust_list",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A saved /.well-known/label-trust-list.json.",
)
@click.option(
    "--status-list",
    "status_lists",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A saved /status/revocation/N or /status/suspension/N (repeat for each).",
)
@click.option(
    "--root-key",
    "root_key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The pinned registry root key (a JWK from `flask keys root`); default: this instance's root key.",
)
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Online: also save the trust list and status lists here, for later offline use.",
)
@click.option(
    "--max-age",
    "max_age",
    type=Duration(),
    metavar="DURATION",
    help="Accept status lists up to this old (e.g. 2h, 7d) instead of their own ttl; older ones give stale_status.",
)
@click.option("--lang", default="en", type=click.Choice(["en", "zh_CN"]), help="Language of the message.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_command(
    scanned: str,
    offline: bool,
    trust_list: Path | None,
    status_lists: tuple[Path, ...],
    root_key_file: Path | None,
    save_dir: Path | None,
    max_age: float | None,
    lang: str,
    as_json: bool,
) -> None:
    """Verify SCANNED: the URL a QR code holds (https://host/01/…#L1.…) or a bare token.

    \b
    Exit status:
      0  valid
      1  any verdict that says the label is not valid (malformed, unknown_key, bad_signature, key_revoked,
         foreign_host, wrong_product, revoked, suspended, expired)
      2  the verifier could not run (bad files, no network)
      3  stale_status: valid by the status lists given, but they are older than their ttl (or --max-age)
    """
    try:
        root = load_root_key(root_key_file) if root_key_file else public_jwk(root_key(db.session))
        if offline:
            if trust_list is None:
                raise click.UsageError(
                    "--offline needs --trust-list FILE (and usually --status-list FILE for each list)."
                )
            sources = load_offline(trust_list, list(status_lists), root)
        else:
            sources = fetch_online(scanned, origin_of(scanned, current_app.config["PUBLIC_HOST"]), root)
            if save_dir:
                for path in sources.save(save_dir):
                    click.echo(f"saved {path}", err=True)
    except click.UsageError:
        raise
    except (OSError, ValueError, KeyError, fmt.FormatError) as error:
        click.echo(f"Could not load the trust list or status lists: {error}", err=True)
        sys.exit(EXIT_COULD_NOT_RUN)
    finally:
        db.session.rollback()
    _report(scanned, sources, lang, as_json, max_age)


def _report(scanned: str, sources: Sources, lang: str, as_json: bool, max_age: float | None) -> None:
    now = time.time()
    result = verify(
        scanned, sources.trust, sources.status if sources.status.lists else None, now=now, max_status_age=max_age
    )
    ages = sources.ages(now)
    if as_json:
        click.echo(json.dumps({**result.as_json(lang, now), "sources_age_seconds": ages}, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{result.verdict.value}: {result.message(lang)}")
        if result.claims:
            claims = result.claims
            click.echo(
                f"  label {claims.label_id}  path {claims.sub}  scheme {claims.scheme_id} {claims.scheme_version}"
            )
            click.echo(
                f"  footprint {claims.footprint_g} g CO2e per {claims.declared_unit}, grade {claims.grade}, {claims.boundary}"
            )
        click.echo("  trust list: " + _human_age(ages.pop("trust_list")) + " old")
        if not sources.status.lists:
            click.echo("  status lists: not given, revocation and suspension NOT checked")
        for (purpose, number), status_list in sources.status.lists.items():
            limit = status_list.ttl if max_age is None else max_age
            note = (
                f", older than {'--max-age' if max_age is not None else 'its ttl'} of {_human_age(int(limit))}"
                if status_list.is_stale(now, max_age)
                else ""
            )
            click.echo(f"  status list {purpose}-{number}: {_human_age(ages[f'{purpose}-{number}'])} old{note}")
        for purpose, checked in result.status_checked.items():
            if checked is None and result.claims is not None:
                # Lists were given, but not the one this label is in: saying nothing would read as checked.
                click.echo(f"  status list {purpose}-{result.claims.status_list}: not given, {purpose} NOT checked")
        if result.verdict is Verdict.STALE_STATUS:
            click.echo(
                "  fetch fresh lists (run online, with --save to keep them), or accept older ones with --max-age DURATION"
            )
    if result.verdict is Verdict.STALE_STATUS:
        sys.exit(EXIT_STALE_STATUS)
    sys.exit(EXIT_VALID if result.verdict is Verdict.VALID else EXIT_NOT_VALID)


# --- the lifecycle: each person's transition, and the registry's scheduled expiry ------------------------------


def _label_by_number(certificate_number: str) -> Label:
    label = db.session.scalar(select(Label).where(Label.certificate_number == certificate_number.strip().upper()))
    if label is None:
        raise click.ClickException(
            f"No label has the certificate number {certificate_number!r} (e.g. CFP-HTDEMO-2026-000001)."
        )
    return label


def _actor_by_email(email: str) -> Actor:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active_account:
        raise click.ClickException(
            f"No active account has the e-mail address {email!r}: --actor names the person who acts."
        )
    return Actor(user=user, address="cli")


def _lifecycle_command(action: LabelAction) -> None:
    reasons = ", ".join(code.value for code in lifecycle.REASONS[action])

    @click.argument("certificate_number")
    @click.option("--reason-code", required=True, help=f"Why, as a code: {reasons}.")
    @click.option(
        "--reason", "public_reason", required=True, help="Why, in words the public reads with the new status."
    )
    @click.option(
        "--actor", "actor_email", required=True, help="The e-mail address of the person who takes the action."
    )
    @click.option(
        "--evidence", multiple=True, metavar="SHA256", help="The SHA-256 of a piece of evidence (repeat for each)."
    )
    @click.option("--lang", default="en", type=click.Choice(["en", "zh_CN"]), help="Language of a refusal's message.")
    def command(
        certificate_number: str,
        reason_code: str,
        public_reason: str,
        actor_email: str,
        evidence: tuple[str, ...],
        lang: str,
        resolve_by: datetime | None = None,
    ) -> None:
        label = _label_by_number(certificate_number)
        actor = _actor_by_email(actor_email)
        try:
            # In the operator's language throughout, so a refusal names the action in the same language as it says why.
            with in_language(lang):
                lifecycle.change_status(
                    db.session,
                    label,
                    action,
                    actor,
                    reason_code=reason_code,
                    public_reason=public_reason,
                    resolve_by=resolve_by.date() if resolve_by else None,
                    evidence=evidence,
                )
        except ServiceError as error:
            db.session.rollback()
            with in_language(lang):
                raise click.ClickException(str(error.message)) from None
        db.session.commit()
        click.echo(label.status.value)

    command.__doc__ = {
        LabelAction.SUSPEND: "Suspend a valid label until its cause is resolved (restore or withdraw it by --resolve-by).",
        LabelAction.RESTORE: "Restore a suspended label: it is valid again.",
        LabelAction.WITHDRAW: "Withdraw (撤销) a label: final, it shows as revoked everywhere.",
        LabelAction.CANCEL: "Cancel (注销) a label at its holder's request: final.",
    }[action] + "\n\nPrints the label's new status."
    if action is LabelAction.SUSPEND:
        command = click.option(
            "--resolve-by",
            type=click.DateTime(["%Y-%m-%d"]),
            required=True,
            help="The date (YYYY-MM-DD) by which the suspension is to be resolved.",
        )(command)
    group.command(action.value)(command)


for _action in (LabelAction.SUSPEND, LabelAction.RESTORE, LabelAction.WITHDRAW, LabelAction.CANCEL):
    _lifecycle_command(_action)


@group.command("expire")
def expire_command() -> None:
    """Expire every label whose last day of validity has passed (the scheduled job); prints each one."""
    expired = lifecycle.expire_due(db.session, Actor.system())
    db.session.commit()
    for label in expired:
        click.echo(f"{label.certificate_number} expired")
    click.echo(f"{len(expired)} label(s) expired.", err=True)


# A kid is base64url, so one in 64 begins with "-": `--kid=-abc…` or `--kid -abc…` both read it.
@group.command("reissue")
@click.option("--kid", required=True, help="The revoked key whose labels to re-issue (`flask keys list`).")
@click.option(
    "--batch-size",
    default=200,
    show_default=True,
    type=click.IntRange(min=1),
    help="Labels re-signed and committed at a time.",
)
def reissue_command(kid: str, batch_size: int) -> None:
    """Re-issue every live label a revoked key signed, with the body's active key: new tokens, QR codes and
    artwork; the same certificate numbers, status-list entries and validity. Commits batch by batch, printing
    progress, then the count."""
    from registry.labels.reissue import reissue_labels

    done = 0
    while True:
        try:
            batch = reissue_labels(db.session, Actor.system(), kid, batch_size)
        except ServiceError as error:
            db.session.rollback()
            with in_language("en"):  # for the operator, like `flask keys`
                click.echo(str(error.message), err=True)
            sys.exit(1)
        db.session.commit()
        done += batch.count
        if batch.count:
            click.echo(f"re-issued {done} of {done + batch.remaining} label(s) with key {batch.key.kid}")
        if not batch.remaining or not batch.count:
            break
    click.echo(f"{done} label(s) re-issued.")
