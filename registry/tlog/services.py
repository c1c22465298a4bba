"""Appending to the transparency log, its checkpoints and its proofs.

``append`` is called in the same transaction as the change it records (label issuance and status changes in
``registry.labels.lifecycle``, key changes in ``registry.keys.services``, dishonest-list changes in
``registry.supervision.services``): a change rolled back leaves no entry. It locks the one ``tlog_state`` row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's writers are serialised by BEGIN IMMEDIATE), so the log is one
sequence, stores the leaf hash and every complete subtree the new leaf completes, and marks the session so that
its commit signs a checkpoint if the last one is over a second old (the periodic job ``tlog.checkpoint`` signs one
for appends made within that second). Proofs read O(log n) stored hashes, in one query.

An entry is deterministic CBOR (RFC 8949 §4.2, ``cbor2`` canonical) of a map holding its format version ``v``, its
``kind``, its ``time`` (RFC 3339 UTC) and the fields of its kind:

- label entries (``label:issue``, ``label:suspend`` … ``label:supersede``): ``label`` (public id),
  ``certificate_number``, ``record_hash`` (the 16-byte hash of the label's public record that its token signs),
  ``from`` (the previous status, null at issuance), ``to``, ``reason_code``, and ``successor`` (certificate number)
  for a supersession;
- key entries (``key:create``, ``key:rotate``, ``key:revoke``): ``kid``, ``role``, ``body`` (body code or null),
  and ``retired`` (the kid the rotation retired) or ``reason`` (a revocation's published reason);
- dishonest-list entries (``dishonest:listed``, ``dishonest:removed``): ``enterprise`` (its USCC), ``listing``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from registry.database import utcnow
from registry.errors import ServiceError
from registry.keys.crypto import current_kek, seal_raw, unseal_raw
from registry.tlog import merkle, note
from registry.tlog.models import TlogCheckpoint, TlogEntry, TlogKey, TlogNode, TlogState, node_id

ENTRY_VERSION = 1
MAX_ENTRIES_PER_CALL = 1000
CHECKPOINT_INTERVAL = timedelta(seconds=1)
_DUE = "registry.tlog.checkpoint_due"
_LISTENING = "registry.tlog.listening"


def _time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def encode_entry(kind: str, at: datetime, fields: dict[str, Any]) -> bytes:
    if {"v", "kind", "time"} & fields.keys():
        raise ValueError("v, kind and time are the entry's own")
    return cbor2.dumps({"v": ENTRY_VERSION, "kind": kind, "time": _time(at), **fields}, canonical=True)


def decode_entry(entry: bytes) -> dict[str, Any]:
    value = cbor2.loads(entry)
    if not isinstance(value, dict):
        raise ValueError("an entry is a CBOR map")
    return value


# --- appending --------------------------------------------------------------------------------------------


def _state(session: Session) -> TlogState:
    if session.get_bind().dialect.name == "postgresql":
        state = session.get(TlogState, 1, with_for_update=True)  # held until the commit: appends queue here
    else:
        state = session.get(TlogState, 1)  # SQLite's writer already holds the database (BEGIN IMMEDIATE)
    if state is None:  # the migration inserts it; a database made otherwise gets it here
        state = TlogState(id=1, size=0)
        session.add(state)
        session.flush()
    return state


def append(
    session: Session,
    kind: str,
    at: datetime,
    fields: dict[str, Any],
    *,
    label_id: int | None = None,
    checkpoint: bool = True,
) -> int:
    """Append one entry in the caller's transaction; its index."""
    entry = encode_entry(kind, at, fields)
    state = _state(session)
    index = state.size
    leaf = merkle.leaf_hash(entry)
    completed = merkle.completed_by(index)
    lefts: dict[int, bytes] = {}
    if completed:
        wanted = [node_id(level - 1, 2 * i) for level, i in completed]
        lefts = {
            row[0]: row[1] for row in session.execute(select(TlogNode.id, TlogNode.hash).where(TlogNode.id.in_(wanted)))
        }
    nodes = [{"id": node_id(0, index), "hash": leaf}]
    right = leaf
    for level, i in completed:
        right = merkle.node_hash(lefts[node_id(level - 1, 2 * i)], right)
        nodes.append({"id": node_id(level, i), "hash": right})
    session.execute(insert(TlogEntry), [{"id": index, "kind": kind, "at": at, "label_id": label_id, "entry": entry}])
    session.execute(insert(TlogNode), nodes)
    state.size = index + 1
    session.flush()
    if checkpoint:
        _checkpoint_on_commit(session)
    return index


def _checkpoint_on_commit(session: Session) -> None:
    session.info[_DUE] = True
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "before_commit", _before_commit)
        event.listen(session, "after_rollback", _after_rollback)


def _before_commit(session: Session) -> None:
    if session.info.pop(_DUE, False):
        checkpoint(session, min_interval=CHECKPOINT_INTERVAL)


def _after_rollback(session: Session) -> None:
    session.info.pop(_DUE, None)


def label_fields(
    label: Any, from_status: Any, to_status: Any, reason_code: Any, successor: Any = None
) -> dict[str, Any]:
    from registry.labels.tokens import public_record  # labels import this module
    from registry.verifier.format import record_hash

    fields: dict[str, Any] = {
        "label": label.public_id,
        "certificate_number": label.certificate_number,
        "record_hash": record_hash(public_record(label)),
        "from": str(from_status) if from_status is not None else None,
        "to": str(to_status),
        "reason_code": str(reason_code) if reason_code is not None else None,
    }
    if successor is not None:
        fields["successor"] = successor.certificate_number
    return fields


def append_label(
    session: Session,
    label: Any,
    action: str,
    at: datetime,
    from_status: Any,
    to_status: Any,
    reason_code: Any,
    successor: Any = None,
) -> int:
    session.flush()
    return append(
        session,
        f"label:{action}",
        at,
        label_fields(label, from_status, to_status, reason_code, successor),
        label_id=label.id,
    )


# --- the log key and checkpoints ------------------------------------------------------------------------


def default_origin() -> str:
    host = current_app.config.get("PUBLIC_HOST") if has_app_context() else None
    return f"{host or 'carbon-label-registry.invalid'}/tlog"


def log_key(session: Session, origin: str | None = None) -> TlogKey:
    """The log's checkpoint key, made (sealed under the KEK) if there is none: by ``flask setup``, ``flask keys
    root``, ``flask tlog checkpoint`` or the first checkpoint after an append, never by a request that only reads."""
    key = published_log_key(session)
    if key is not None:
        return key
    private = Ed25519PrivateKey.generate()
    name = origin or default_origin()
    seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key = TlogKey(
        name=name,
        public_key=note.raw_public(private.public_key()),
        sealed_private_key=seal_raw(seed, name, current_kek()),
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    return key


def published_log_key(session: Session) -> TlogKey | None:
    return session.scalar(select(TlogKey).order_by(TlogKey.id).limit(1))


def log_public_info(session: Session) -> dict[str, str] | None:
    """The log's origin and verifier key, for the trust list."""
    key = published_log_key(session)
    if key is None:
        return None
    return {
        "origin": key.name,
        "key_name": key.name,
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(key.public_key).decode("ascii"),
        "verifier_key": note.verifier_key(key.name, key.public_key),
        "checkpoint": "/tlog/checkpoint",
    }


def size(session: Session) -> int:
    return session.scalar(select(TlogState.size).where(TlogState.id == 1)) or 0


def latest_checkpoint(session: Session) -> TlogCheckpoint | None:
    return session.scalar(select(TlogCheckpoint).order_by(TlogCheckpoint.id.desc()).limit(1))


def checkpoint(
    session: Session, *, min_interval: timedelta | None = None, now: datetime | None = None
) -> TlogCheckpoint | None:
    """Sign a checkpoint of the log as it is in this transaction, unless the latest already covers it or (with
    ``min_interval``) is younger than that."""
    now = now or utcnow()
    current = size(session)
    last = latest_checkpoint(session)
    if last is not None and (last.tree_size >= current or (min_interval is not None and now - last.at < min_interval)):
        return None
    key = log_key(session)
    private = Ed25519PrivateKey.from_private_bytes(unseal_raw(key.sealed_private_key, key.name, current_kek()))
    root = tree_root(session, current)
    body = note.Checkpoint(key.name, current, root).body()
    row = TlogCheckpoint(tree_size=current, root_hash=root, at=now, note=note.sign(body, key.name, private))
    session.add(row)
    session.flush()
    return row


# --- reading and proofs -----------------------------------------------------------------------------------


def _getter(session: Session, needed: Iterable[tuple[int, int]]) -> merkle.Get:
    ids = [node_id(level, i) for level, i in needed]
    found: dict[int, bytes] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            {
                row[0]: row[1]
                for row in session.execute(select(TlogNode.id, TlogNode.hash).where(TlogNode.id.in_(chunk)))
            }
        )

    def get(level: int, index: int) -> bytes:
        try:
            return bytes(found[node_id(level, index)])
        except KeyError:
            raise ServiceError(f"the log has no stored hash for level {level} index {index}", status=500) from None

    return get


def tree_root(session: Session, tree_size: int) -> bytes:
    get, seen = merkle.recorder()
    merkle.tree_root(get, tree_size)
    return merkle.tree_root(_getter(session, seen), tree_size)


def _bad(message: Any) -> ServiceError:
    return ServiceError(message, status=400)


def _check_size(session: Session, tree_size: int, name: str) -> None:
    current = size(session)
    if tree_size > current:
        raise _bad(
            _l(
                "%(name)s is %(size)d, but the log has only %(current)d entries",
                name=name,
                size=tree_size,
                current=current,
            )
        )


def inclusion_proof(session: Session, index: int, tree_size: int) -> list[bytes]:
    if not 0 <= index < tree_size:
        raise _bad(_l("index must be at least 0 and below tree_size"))
    _check_size(session, tree_size, "tree_size")
    needed = merkle.needed_inclusion(index, tree_size)
    return merkle.inclusion_proof(_getter(session, needed), index, tree_size)


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    if not 0 <= first <= second:
        raise _bad(_l("first must be at least 0 and at most second"))
    _check_size(session, second, "second")
    get, seen = merkle.recorder()
    merkle.consistency_proof(get, first, second)
    return merkle.consistency_proof(_getter(session, seen), first, second)


def entries(session: Session, start: int, end: int) -> list[TlogEntry]:
    if not 0 <= start < end:
        raise _bad(_l("start must be at least 0 and below end"))
    if end - start > MAX_ENTRIES_PER_CALL:
        raise _bad(
            _l("at most %(most)d entries a call: end - start must be at most %(most)d", most=MAX_ENTRIES_PER_CALL)
        )
    return list(
        session.scalars(select(TlogEntry).where(TlogEntry.id >= start, TlogEntry.id < end).order_by(TlogEntry.id))
    )


def label_indexes(session: Session, label_id: int) -> list[int]:
    return list(session.scalars(select(TlogEntry.id).where(TlogEntry.label_id == label_id).order_by(TlogEntry.id)))
