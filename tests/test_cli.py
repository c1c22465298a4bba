"""`flask setup` (what `make run` runs) and `flask db upgrade` (what production runs on each release) leave the
instance readable by the registry's own user only, on a new instance and on one an older release left open."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from tests.conftest import make_test_app


def readable_by_others(*paths: Path) -> dict[str, str]:
    return {
        str(path): oct(stat.S_IMODE(path.stat().st_mode)) for path in paths if stat.S_IMODE(path.stat().st_mode) & 0o077
    }


def instance_app(instance: Path, **overrides: object):  # type: ignore[no-untyped-def]
    app = make_test_app("sqlite:///" + str(instance / "registry.sqlite3"), instance / "uploads", **overrides)
    app.instance_path = str(instance)
    return app


def invoke(app, args: list[str]):  # type: ignore[no-untyped-def]
    # As `flask` runs it: the app context is pushed for every command (setup is a plain click command).
    with app.app_context():
        return app.test_cli_runner().invoke(args=args)


def test_setup_makes_a_new_instance_private(tmp_path):
    instance = tmp_path / "instance"
    result = invoke(instance_app(instance, SECRET_KEY=None), ["setup", "--no-demo"])
    assert result.exit_code == 0, result.output
    made = [instance, instance / "secret_key", instance / "registry.sqlite3"]
    assert all(path.exists() for path in made)
    assert readable_by_others(*made) == {}


@pytest.mark.parametrize("command", [["setup", "--no-demo"], ["db", "upgrade"]], ids=["setup", "db-upgrade"])
def test_an_instance_an_older_release_left_readable_is_tightened(tmp_path, command):
    instance = tmp_path / "instance"
    stored = instance / "uploads" / "ab" / ("ab" + "0" * 30)
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"%PDF-1.4 confidential study")
    for name in ("secret_key", "key_encryption_key", "config.py"):
        (instance / name).write_text("# written by an older release\n")
    sqlite3.connect(instance / "registry.sqlite3").close()
    opened = [instance, instance / "uploads", stored.parent]
    for path in [*opened, stored, *(instance / name for name in ("secret_key", "key_encryption_key", "config.py"))]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (instance / "registry.sqlite3").chmod(0o644)

    result = invoke(instance_app(instance), command)

    assert result.exit_code == 0, result.output
    everything = [*opened, stored, *(p for p in instance.iterdir() if p.is_file())]
    assert {path.name for path in everything} >= {"registry.sqlite3", "secret_key", "key_encryption_key", "config.py"}
    assert readable_by_others(*everything) == {}
