"""``flask labels verify``: the verifier from the command line, online or offline."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from registry.database import db
from registry.keys.services import public_jwk, root_key
from registry.verifier import format as fmt
from registry.verifier.core import verify
from registry.verifier.sources import Sources, fetch_online, load_offline, load_root_key, origin_of

group = AppGroup("labels", help="Signed labels: verify a scanned QR code.")


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
@click.option("--trust-list", "trust_list", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A saved /.well-known/label-trust-list.json.")
@click.option("--status-list", "status_lists", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A saved /status/revocation/N or /status/suspension/N (repeat for each).")
@click.option("--root-key", "root_key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The pinned registry root key (a JWK from `flask keys root`); default: this instance's root key.")
@click.option("--save", "save_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Online: also save the trust list and status lists here, for later offline use.")
@click.option("--lang", default="en", type=click.Choice(["en", "zh_CN"]), help="Language of the message.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_command(scanned: str, offline: bool, trust_list: Path | None, status_lists: tuple[Path, ...],
                   root_key_file: Path | None, save_dir: Path | None, lang: str, as_json: bool) -> None:
    """Verify SCANNED: the URL a QR code holds (https://host/01/…#L1.…) or a bare token.

    Exit status: 0 valid, 1 any other verdict, 2 when the verifier could not run (bad files, no network).
    """
    try:
        root = load_root_key(root_key_file) if root_key_file else public_jwk(root_key(db.session))
        if offline:
            if trust_list is None:
                raise click.UsageError("--offline needs --trust-list FILE (and usually --status-list FILE for each list).")
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
        sys.exit(2)
    finally:
        db.session.rollback()
    _report(scanned, sources, lang, as_json)


def _report(scanned: str, sources: Sources, lang: str, as_json: bool) -> None:
    now = time.time()
    result = verify(scanned, sources.trust, sources.status if sources.status.lists else None, now=now)
    ages = sources.ages(now)
    if as_json:
        click.echo(json.dumps({**result.as_json(lang, now), "sources_age_seconds": ages}, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{result.verdict.value}: {result.message(lang)}")
        if result.claims:
            claims = result.claims
            click.echo(f"  label {claims.label_id}  path {claims.sub}  scheme {claims.scheme_id} {claims.scheme_version}")
            click.echo(f"  footprint {claims.footprint_g} g CO2e per {claims.declared_unit}, grade {claims.grade}, {claims.boundary}")
        click.echo("  trust list: " + _human_age(ages.pop("trust_list")) + " old")
        if not sources.status.lists:
            click.echo("  status lists: not given, revocation and suspension NOT checked")
        for name, age in ages.items():
            click.echo(f"  status list {name}: {_human_age(age)} old")
    sys.exit(0 if result.verdict == "valid" else 1)
