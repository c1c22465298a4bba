"""The auditor against a running registry over HTTP: a clean registry passes; each tampering the issue names
(a footprint or status changed in the database, a log row deleted or reordered, a checkpoint re-signed over another
tree) is reported, and the command exits non-zero."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from registry.database import utcnow
from registry.keys.crypto import current_kek, unseal_raw
from registry.labels.models import Label
from registry.tlog import note, services
from registry.tlog.audit import audit
from registry.tlog.models import TlogCheckpoint, TlogKey
from tests.disclosure.test_browser import serve_registry


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    (tmp_path / "served").mkdir()
    with serve_registry(tmp_path / "served") as (base, engine):
        with Session(engine) as session:
            services.checkpoint(session)
            session.commit()
        yield base, engine


def run(base: str, state: Path) -> list[str]:
    return audit(base, state, echo=lambda _line: None)


def first_label(engine: Engine) -> Label:
    with Session(engine) as session:
        label = session.scalars(select(Label).order_by(Label.id)).first()
        assert label is not None
        session.expunge_all()
        return label


def sql(engine: Engine, *statements: str, **params: object) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)


def test_a_clean_registry_passes_and_the_state_is_kept(registry, tmp_path):
    base, _engine = registry
    state = tmp_path / "state.json"
    assert run(base, state) == []
    assert '"size"' in state.read_text()
    assert run(base, state) == []


def test_a_footprint_changed_in_the_database_is_reported(registry, tmp_path):
    base, engine = registry
    label = first_label(engine)
    sql(engine, "UPDATE labels SET footprint = footprint + 1000000 WHERE id = :id", id=label.id)
    problems = run(base, tmp_path / "state.json")
    assert any(label.certificate_number in p and "public record" in p for p in problems), problems


def test_a_status_changed_in_the_database_is_reported(registry, tmp_path):
    base, engine = registry
    label = first_label(engine)
    sql(engine, "UPDATE labels SET status = 'suspended' WHERE id = :id", id=label.id)
    problems = run(base, tmp_path / "state.json")
    assert any(label.certificate_number in p and "the registry says suspended" in p for p in problems), problems
    assert any(label.certificate_number in p and "suspension bit is 1" in p for p in problems), problems


def test_a_log_row_deleted_is_reported(registry, tmp_path):
    base, engine = registry
    sql(engine, "DROP TRIGGER tlog_entries_no_delete", "DELETE FROM tlog_entries WHERE id = 1")
    problems = run(base, tmp_path / "state.json")
    assert any("entry 1 is missing" in p for p in problems), problems


def test_log_rows_reordered_are_reported(registry, tmp_path):
    base, engine = registry
    with engine.begin() as connection:
        one, two = (bytes(connection.scalar(text(f"SELECT entry FROM tlog_entries WHERE id = {i}"))) for i in (0, 1))
        connection.execute(text("DROP TRIGGER tlog_entries_no_update"))
        connection.execute(text("UPDATE tlog_entries SET entry = :e WHERE id = 0"), {"e": two})
        connection.execute(text("UPDATE tlog_entries SET entry = :e WHERE id = 1"), {"e": one})
    problems = run(base, tmp_path / "state.json")
    assert any("do not hash to the checkpoint's root" in p for p in problems), problems


def test_a_checkpoint_re_signed_over_another_tree_is_reported(registry, tmp_path, runner):
    base, engine = registry
    state = tmp_path / "state.json"
    assert run(base, state) == []
    with Session(engine) as session:
        key = session.scalars(select(TlogKey)).one()
        private = Ed25519PrivateKey.from_private_bytes(unseal_raw(key.sealed_private_key, key.name, current_kek()))
        size = services.size(session)
        forged_root = bytes(32)
        body = note.Checkpoint(key.name, size, forged_root).body()
        session.add(
            TlogCheckpoint(tree_size=size, root_hash=forged_root, at=utcnow(), note=note.sign(body, key.name, private))
        )
        session.commit()
    problems = run(base, state)
    assert any("do not hash to the checkpoint's root" in p for p in problems), problems
    assert any("not consistent" in p for p in problems), problems

    result = runner.invoke(args=["tlog", "audit", "--url", base, "--state", str(state)])
    assert result.exit_code == 1 and "DIFFERENCE" in result.output
