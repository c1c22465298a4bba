"""The log on the database (SQLite, and PostgreSQL with REGISTRY_TEST_DATABASE_URL): appends in the change's own
transaction, checkpoints signed at commit and verified independently, the public endpoints, and the backfill."""

from __future__ import annotations

import base64
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.audit.append_only import drop_append_only, make_append_only
from registry.audit.services import Actor
from registry.database import utcnow
from registry.keys.services import rotate
from registry.labels.lifecycle import REASONS, change_status, china_today
from registry.labels.models import Label, LabelAction, LabelStatus
from registry.labels.tokens import public_record
from registry.organisations.models import Organisation, OrganisationKind
from registry.tlog import merkle, note, services
from registry.tlog.backfill import backfill
from registry.tlog.models import TlogEntry, TlogKey
from registry.verifier.format import record_hash

WORDS = "Footprint data of the 2025 period found inconsistent with the meter readings."


def actor(session: Session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return Actor(user)


@pytest.fixture
def label(session: Session) -> Label:
    found = session.scalars(select(Label).where(Label.status == LabelStatus.VALID).order_by(Label.id)).first()
    assert found is not None
    return found


def suspend(session: Session, label: Label) -> None:
    change_status(
        session,
        label,
        LabelAction.SUSPEND,
        actor(session, "regulator@example.com"),
        reason_code=REASONS[LabelAction.SUSPEND][0],
        public_reason=WORDS,
        resolve_by=china_today() + timedelta(days=30),
    )


def all_entries(session: Session) -> list[bytes]:
    return [bytes(e) for e in session.scalars(select(TlogEntry.entry).order_by(TlogEntry.id))]


def test_a_status_change_is_appended_with_the_label_record_hash_and_previous_status(session, label):
    before = services.size(session)
    suspend(session, label)
    assert services.size(session) == before + 1
    row = session.get_one(TlogEntry, before)
    entry = services.decode_entry(row.entry)
    assert entry["kind"] == "label:suspend" and row.label_id == label.id
    assert entry["from"] == "valid" and entry["to"] == "suspended"
    assert entry["label"] == label.public_id and entry["certificate_number"] == label.certificate_number
    assert entry["record_hash"] == record_hash(public_record(label))
    assert entry["time"].endswith("Z")
    # Deterministic CBOR: encoding the decoded map again gives the same bytes.
    assert services.encode_entry(
        entry.pop("kind"), label.status_changed_at, {k: v for k, v in entry.items() if k not in ("v", "time")}
    ) == bytes(row.entry)
    assert services.label_indexes(session, label.id)[-1] == before


def test_a_change_rolled_back_leaves_no_entry(session, label):
    before = services.size(session)
    savepoint = session.begin_nested()
    suspend(session, label)
    assert services.size(session) == before + 1
    savepoint.rollback()
    assert services.size(session) == before
    assert session.get(TlogEntry, before) is None
    suspend(session, label)  # and the next change takes the index the rolled-back one had
    assert session.get_one(TlogEntry, before).label_id == label.id


def test_the_commit_signs_a_checkpoint_that_verifies_independently(session, label, monkeypatch):
    later = utcnow() + timedelta(seconds=5)  # the last checkpoint (the demo's) is over a second old
    monkeypatch.setattr(services, "utcnow", lambda: later)
    suspend(session, label)
    session.commit()
    latest = services.latest_checkpoint(session)
    assert latest is not None and latest.tree_size == services.size(session)

    key = session.scalars(select(TlogKey)).one()
    body, _, signature_line = latest.note.partition("\n\n")
    origin, size_line, root_line = body.split("\n")
    assert origin == key.name and int(size_line) == latest.tree_size
    dash, name, blob = signature_line.rstrip("\n").split(" ")
    assert dash == "\u2014" and name == key.name
    raw = base64.b64decode(blob)
    assert raw[:4] == note.key_hash(key.name, key.public_key)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[4:], (body + "\n").encode())
    # The root it signs is the root of every entry, recomputed from the entries alone.
    assert base64.b64decode(root_line) == merkle.root(all_entries(session))


def test_key_rotation_is_an_entry(session):
    body = session.scalars(
        select(Organisation).where(Organisation.kind == OrganisationKind.CERTIFICATION_BODY).order_by(Organisation.id)
    ).first()
    before = services.size(session)
    key = rotate(session, Actor.system(), body)
    kinds = [services.decode_entry(e)["kind"] for e in all_entries(session)[before:]]
    assert "key:rotate" in kinds
    entry = next(services.decode_entry(e) for e in all_entries(session)[before:] if b"key:rotate" in e)
    assert entry["kid"] == key.kid and entry["body"] == body.body_code


def test_backfill_appends_past_events_in_their_original_order_with_their_original_times(session, label):
    suspend(session, label)
    live = sorted(all_entries(session))
    assert live, "the demo's issuances are in the log"
    shim = SimpleNamespace(get_bind=session.connection, execute=lambda sql: session.execute(text(sql)))
    for table in ("tlog_entries", "tlog_nodes"):
        drop_append_only(shim, table)
        session.execute(text(f"DELETE FROM {table}"))
    session.execute(text("UPDATE tlog_state SET size = 0"))
    session.expire_all()

    assert backfill(session) == len(live)
    again = all_entries(session)
    assert sorted(again) == live  # the same entries, byte for byte
    times = [services.decode_entry(e)["time"] for e in again]
    assert times == sorted(times)
    for table in ("tlog_entries", "tlog_nodes"):
        make_append_only(shim, table, f"{table} append-only")


def test_the_log_rows_are_append_only(session, label):
    suspend(session, label)
    index = services.size(session) - 1
    for statement in (
        f"DELETE FROM tlog_entries WHERE id = {index}",
        f"UPDATE tlog_nodes SET hash = hash WHERE id = {index}",
    ):
        savepoint = session.begin_nested()
        with pytest.raises(Exception, match="append-only"):
            session.execute(text(statement))
        savepoint.rollback()


# --- the public endpoints ---------------------------------------------------------------------------------


def test_the_endpoints_serve_entries_and_proofs_that_verify_against_the_checkpoint(client, session, label):
    services.checkpoint(session)
    session.commit()
    response = client.get("/tlog/checkpoint")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["Access-Control-Allow-Origin"] == "*" and "max-age" in response.headers["Cache-Control"]
    key = session.scalars(select(TlogKey)).one()
    checkpoint = note.parse_checkpoint(note.open_note(response.get_data(as_text=True), key.name, key.public_key))
    size = checkpoint.size
    assert size == services.size(session)

    indexes = client.get(f"/l/{label.public_id}/tlog").get_json()["entries"]
    assert indexes
    index = indexes[0]
    got = client.get(f"/tlog/entries?start={index}&end={index + 1}").get_json()["entries"]
    assert got[0]["index"] == index
    entry = base64.b64decode(got[0]["entry"])
    assert services.decode_entry(entry)["label"] == label.public_id

    proof = client.get(f"/tlog/proof/inclusion?index={index}&tree_size={size}")
    assert proof.headers["Access-Control-Allow-Origin"] == "*"
    path = [base64.b64decode(h) for h in proof.get_json()["inclusion_path"]]
    assert merkle.verify_inclusion(index, size, merkle.leaf_hash(entry), path, checkpoint.root_hash)

    everything = client.get(f"/tlog/entries?start=0&end={size}").get_json()["entries"]
    assert [e["index"] for e in everything] == list(range(size))
    leaves = [base64.b64decode(e["entry"]) for e in everything]
    assert merkle.root(leaves) == checkpoint.root_hash

    first = max(1, size // 2)
    consistency = client.get(f"/tlog/proof/consistency?first={first}&second={size}").get_json()
    path = [base64.b64decode(h) for h in consistency["consistency_path"]]
    assert merkle.verify_consistency(first, size, merkle.root(leaves[:first]), checkpoint.root_hash, path)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/tlog/entries?start=0", "end is required"),
        ("/tlog/entries?start=5&end=2", "below end"),
        ("/tlog/entries?start=0&end=1001", "at most 1000"),
        ("/tlog/entries?start=-1&end=3", "whole number"),
        ("/tlog/proof/inclusion?index=x&tree_size=1", "whole number"),
        ("/tlog/proof/inclusion?index=3&tree_size=2", "below tree_size"),
        ("/tlog/proof/inclusion?index=0&tree_size=99999999", "only"),
        ("/tlog/proof/consistency?first=5&second=2", "at most second"),
    ],
)
def test_bad_parameters_are_a_json_400_that_says_what_is_wrong(client, url, words):
    response = client.get(url)
    assert response.status_code == 400
    assert words in response.get_json()["error"]["message"]


def test_an_unknown_label_has_no_log_entries(client):
    assert client.get("/l/NOSUCHLABEL/tlog").status_code == 404


def test_the_trust_list_publishes_the_log_key(client, session):
    import json

    document = client.get("/.well-known/label-trust-list.json").get_json()
    payload = json.loads(base64.urlsafe_b64decode(document["payload"] + "=" * (-len(document["payload"]) % 4)))
    key = session.scalars(select(TlogKey)).one()
    assert payload["transparency_log"]["verifier_key"] == note.verifier_key(key.name, key.public_key)


def test_a_bad_parameter_is_explained_in_chinese_too(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    response = client.get("/tlog/entries?start=0")
    assert response.status_code == 400 and response.get_json()["error"]["message"] == "缺少参数 end"
