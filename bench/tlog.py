"""Bench for the transparency log (issue 15 item 7): append rate, and inclusion and consistency proof time at
1,000,000 entries, each printed against a bare hashlib SHA-256 baseline measured in the same run.

    .venv/bin/python bench/tlog.py                                       # SQLite in a temporary folder
    REGISTRY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/tlog.py
    BENCH_TLOG_ENTRIES=100000 .venv/bin/python bench/tlog.py             # a quicker run

- append: ``BENCH_TLOG_APPENDS`` entries (default 20,000) through ``registry.tlog.services.append`` (lock the state
  row, encode, store the leaf and completed subtree hashes), in transactions of 500, per second; the baseline is
  bare SHA-256 hashes of an entry-sized input per second.
- the log is then filled to ``BENCH_TLOG_ENTRIES`` (default 1,000,000) by a bulk loader computing the same rows
  (not timed), and 1,000 inclusion proofs (random index, full size) and 1,000 consistency proofs (random first
  size) are made through the services, each reading its O(log n) stored hashes in one query: milliseconds per
  proof (target < 5 ms), against the time of the same number of bare SHA-256 node hashes the proof holds.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import migrate  # noqa: E402
from registry.database import make_engine  # noqa: E402
from registry.tlog import merkle, services  # noqa: E402
from registry.tlog.models import TlogEntry, TlogNode, TlogState, node_id  # noqa: E402

ENTRIES = int(os.environ.get("BENCH_TLOG_ENTRIES", "1000000"))
APPENDS = min(int(os.environ.get("BENCH_TLOG_APPENDS", "20000")), ENTRIES)
BATCH = 500
PROOFS = 1000


def database() -> tuple[str, object]:
    base = os.environ.get("REGISTRY_BENCH_DATABASE_URL")
    if not base:
        folder = tempfile.mkdtemp(prefix="bench-tlog-")
        return f"sqlite:///{folder}/bench.sqlite3", None
    url = make_url(base)
    name = f"registry_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), (admin, name)


def fields(i: int) -> dict[str, object]:
    """A label entry's fields, sized like a real one."""
    return {
        "label": f"L{i:015d}",
        "certificate_number": f"CFL-HTDEMO-2026-{i:07d}",
        "record_hash": hashlib.sha256(i.to_bytes(8, "big")).digest()[:16],
        "from": "valid",
        "to": "suspended",
        "reason_code": "nonconformity",
    }


def sha256_rate(size: int, count: int = 200_000) -> float:
    data = b"x" * size
    start = time.perf_counter()
    for _ in range(count):
        hashlib.sha256(data).digest()
    return count / (time.perf_counter() - start)


def bulk_fill(session: Session, start: int, end: int, now: datetime) -> None:
    """Append entries start..end-1 directly (the same rows services.append writes), 10,000 a statement batch."""
    right_edge: dict[int, bytes] = {}  # level -> hash of the pending left sibling at that level
    # Rebuild the pending left siblings from what is stored (complete subtrees on the left edge of ``start``).
    for level in range(start.bit_length()):
        if start >> level & 1:
            index = (start >> level) - 1
            right_edge[level] = bytes(
                session.scalar(text(f"SELECT hash FROM tlog_nodes WHERE id = {node_id(level, index)}"))
            )
    entries: list[dict[str, object]] = []
    nodes: list[dict[str, object]] = []
    for i in range(start, end):
        entry = services.encode_entry("label:suspend", now, fields(i))
        leaf = merkle.leaf_hash(entry)
        entries.append({"id": i, "kind": "label:suspend", "at": now, "label_id": None, "entry": entry})
        nodes.append({"id": node_id(0, i), "hash": leaf})
        h = leaf
        for level, index in merkle.completed_by(i):
            h = merkle.node_hash(right_edge.pop(level - 1), h)
            nodes.append({"id": node_id(level, index), "hash": h})
        top = len(merkle.completed_by(i))
        right_edge[top] = h
        if len(entries) >= 10_000:
            session.execute(insert(TlogEntry), entries)
            session.execute(insert(TlogNode), nodes)
            session.commit()
            entries, nodes = [], []
    if entries:
        session.execute(insert(TlogEntry), entries)
        session.execute(insert(TlogNode), nodes)
    session.execute(text(f"UPDATE tlog_state SET size = {end}"))
    session.commit()


def main() -> None:
    url, cleanup = database()
    migrate.upgrade(url)
    engine = make_engine(url)
    dialect = engine.dialect.name
    now = datetime.now(UTC)
    print(f"transparency log bench on {dialect}: {APPENDS:,} appends, proofs at {ENTRIES:,} entries")

    entry_size = len(services.encode_entry("label:suspend", now, fields(0)))
    sha_entry = sha256_rate(entry_size + 1)
    sha_node = sha256_rate(65)
    print(
        f"baseline: bare SHA-256 {sha_entry:,.0f}/s of a {entry_size + 1}-byte leaf input, {sha_node:,.0f}/s of a 65-byte node"
    )

    with Session(engine) as session:
        start = time.perf_counter()
        for i in range(APPENDS):
            services.append(session, "label:suspend", now, fields(i), checkpoint=False)
            if (i + 1) % BATCH == 0:
                session.commit()
        session.commit()
        seconds = time.perf_counter() - start
        rate = APPENDS / seconds
        print(
            f"append: {rate:,.0f} entries/s through services.append ({seconds:.1f} s), {rate / sha_entry:.4f} of bare SHA-256"
        )

        fill_start = time.perf_counter()
        bulk_fill(session, APPENDS, ENTRIES, now)
        print(f"(bulk fill to {ENTRIES:,} entries, not a measure of append: {time.perf_counter() - fill_start:.0f} s)")
        assert session.get_one(TlogState, 1).size == ENTRIES

        root = services.tree_root(session, ENTRIES)
        rng = random.Random(15)

        # Inclusion proofs: check a sample against the root so the bench measures correct proofs.
        times, lengths = [], []
        for _ in range(PROOFS):
            index = rng.randrange(ENTRIES)
            t = time.perf_counter()
            proof = services.inclusion_proof(session, index, ENTRIES)
            times.append(time.perf_counter() - t)
            lengths.append(len(proof))
            if len(times) <= 20:
                leaf = merkle.leaf_hash(bytes(session.get_one(TlogEntry, index).entry))
                assert merkle.verify_inclusion(index, ENTRIES, leaf, proof, root)
            session.expire_all()
        _report("inclusion proof", times, lengths, sha_node)

        times, lengths = [], []
        for _ in range(PROOFS):
            first = rng.randrange(1, ENTRIES)
            t = time.perf_counter()
            proof = services.consistency_proof(session, first, ENTRIES)
            times.append(time.perf_counter() - t)
            lengths.append(len(proof))
            if len(times) <= 5:
                assert merkle.verify_consistency(first, ENTRIES, services.tree_root(session, first), root, proof)
        _report("consistency proof", times, lengths, sha_node)
    engine.dispose()
    if cleanup is not None:
        admin, name = cleanup
        with admin.connect() as connection:  # type: ignore[attr-defined]
            connection.execute(text(f'DROP DATABASE "{name}"'))


def _report(what: str, times: list[float], lengths: list[int], sha_node: float) -> None:
    times.sort()
    mean = sum(times) / len(times)
    p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
    hashes = sum(lengths) / len(lengths)
    bare = hashes / sha_node
    print(
        f"{what}: mean {mean * 1000:.2f} ms, p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms "
        f"({hashes:.1f} hashes a proof; the same number of bare SHA-256 node hashes: {bare * 1000:.4f} ms, "
        f"ratio {mean / bare:,.0f}x); target < 5 ms a proof (mean): {'met' if mean < 0.005 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
