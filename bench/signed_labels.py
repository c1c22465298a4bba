"""Bench for signed labels (issue 4): issuance, offline verification, QR rendering.

    make bench                      # SQLite in a temporary folder
    REGISTRY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test make bench

Each figure is printed with a baseline measured in the same run on the same machine, as a ratio:
- issuance: labels issued per second (certificate number, status-list index, signed token, row written, in
  batches of 500 per transaction), against bare ES256 signatures per second;
- offline verification: tokens verified per second by ``registry.verifier.verify`` (parse, trust-list lookup,
  ES256, claims, status lists), against bare ES256 verifications per second with ``cryptography`` (target >= 0.5);
- QR rendering: milliseconds per label for the SVG and the PNG, and for the artwork in SVG, PDF and PNG.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import drop_workflow_trigger  # noqa: E402
from registry import migrate  # noqa: E402
from registry.applications.models import Application  # noqa: E402
from registry.audit.services import Actor  # noqa: E402
from registry.database import make_engine  # noqa: E402
from registry.demo.services import load_demo_data  # noqa: E402
from registry.keys.crypto import install_kek, new_kek  # noqa: E402
from registry.keys.services import public_jwk, root_key, trust_list_document  # noqa: E402
from registry.labels import qr  # noqa: E402
from registry.labels.models import Label  # noqa: E402
from registry.labels.services import issue_label  # noqa: E402
from registry.labels.status_lists import signed_credential  # noqa: E402
from registry.schemes.services import sync_schemes  # noqa: E402
from registry.verifier.core import StatusLists, TrustList, verify  # noqa: E402

LABELS = int(os.environ.get("BENCH_LABELS", "10000"))
BATCH = 500
HOST = "cfp.example.cn"


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def database() -> tuple[str, object]:
    base = os.environ.get("REGISTRY_BENCH_DATABASE_URL")
    if not base:
        folder = tempfile.mkdtemp(prefix="bench-")
        return f"sqlite:///{folder}/bench.sqlite3", None
    url = make_url(base)
    name = f"registry_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), (admin, name)


def granted_applications(session: Session, count: int) -> list[Application]:
    """``count`` copies of a demo granted application, inserted directly as granted (the workflow trigger is
    dropped in this throwaway database: the bench measures issuance, not the certification workflow)."""
    template = session.scalars(select(Application).where(Application.status == "granted")).first()
    assert template is not None
    columns = [c.name for c in Application.__table__.columns if c.name != "id"]
    drop_workflow_trigger(session)
    names = ", ".join(columns)
    for _ in range(count):
        session.execute(
            text(f"INSERT INTO applications ({names}) SELECT {names} FROM applications WHERE id = :id"),
            {"id": template.id},
        )
    session.flush()
    stage_rows = session.execute(
        text("SELECT stage, position, value FROM application_stages WHERE application_id = :id"), {"id": template.id}
    ).all()
    ids = (
        session.execute(
            text(
                "SELECT id FROM applications WHERE id <> :id AND status = 'granted' AND id NOT IN (SELECT application_id FROM labels)"
            ),
            {"id": template.id},
        )
        .scalars()
        .all()
    )
    for application_id in ids:
        for stage, position, value in stage_rows:
            session.execute(
                text("INSERT INTO application_stages (application_id, stage, position, value) VALUES (:a, :s, :p, :v)"),
                {"a": application_id, "s": stage, "p": position, "v": value},
            )
    session.commit()
    return list(session.scalars(select(Application).where(Application.id.in_(ids))))


def bench_issuance(url: str) -> tuple[float, list[Label]]:
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        sync_schemes(session, Actor.system(), ROOT / "schemes")
        load_demo_data(session, upload_dir=Path(tempfile.mkdtemp(prefix="bench-uploads-")))
        session.commit()
        applications = granted_applications(session, LABELS)
        start = time.perf_counter()
        for offset in range(0, len(applications), BATCH):
            for application in applications[offset : offset + BATCH]:
                issue_label(session, Actor.system(), application, host=HOST)
            session.commit()
        seconds = time.perf_counter() - start
        labels = list(session.scalars(select(Label).order_by(Label.id)))
        session.expunge_all()
    engine.dispose()
    return rate(len(applications), seconds), labels


def bare_sign_rate(count: int = 5000) -> float:
    key = ec.generate_private_key(ec.SECP256R1())
    start = time.perf_counter()
    for i in range(count):
        key.sign(i.to_bytes(8, "big") * 20, ec.ECDSA(hashes.SHA256()))
    return rate(count, time.perf_counter() - start)


def bench_verification(url: str, urls: list[str], numbers: set[int]) -> tuple[float, float]:
    engine = make_engine(url)
    with Session(engine) as session:
        from registry.database import utcnow

        now = utcnow()
        trust = TrustList.from_document(trust_list_document(session, HOST, now), public_jwk(root_key(session)))
        credentials = [
            signed_credential(session, purpose, n, HOST, now)
            for n in sorted(numbers)
            for purpose in ("revocation", "suspension")
        ]
        status = StatusLists.from_credentials(credentials, trust)
        session.rollback()
    engine.dispose()
    gc.collect()  # measure the verifier, not a collection of the issuance's ORM objects
    start = time.perf_counter()
    # At the lists' own time: a long run must not turn them stale_status halfway (their ttl is a minute).
    at = now.timestamp()
    verdicts = [verify(u, trust, status, now=at).verdict for u in urls]
    ours = rate(len(urls), time.perf_counter() - start)
    assert set(verdicts) == {"valid"}, set(verdicts)
    # Baseline: bare ES256 verification of the same number of signatures with cryptography.
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    messages = [os.urandom(200) for _ in range(len(urls))]
    signatures = [key.sign(m, ec.ECDSA(hashes.SHA256())) for m in messages]
    start = time.perf_counter()
    for message, signature in zip(messages, signatures, strict=True):
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    bare = rate(len(urls), time.perf_counter() - start)
    return ours, bare


def bench_rendering(labels: list[Label], url: str) -> dict[str, float]:
    from registry.labels import artwork

    sample = labels[:50]
    timings: dict[str, float] = {}
    for name, render in (("qr.svg", qr.render_svg.__wrapped__), ("qr.png", qr.render_png.__wrapped__)):
        start = time.perf_counter()
        for label in sample:
            render(label.qr_url(HOST))
        timings[name] = (time.perf_counter() - start) / len(sample) * 1000
    engine = make_engine(url)
    with Session(engine) as session:
        few = list(session.scalars(select(Label).order_by(Label.id).limit(5)))
        for ext, render in (("svg", artwork.render_svg), ("pdf", artwork.render_pdf), ("png", artwork.render_png)):
            start = time.perf_counter()
            for label in few:
                render(label, label.qr_url(HOST), "standard")
            timings[f"artwork.{ext}"] = (time.perf_counter() - start) / len(few) * 1000
    engine.dispose()
    return timings


def main() -> None:
    install_kek(new_kek())
    url, cleanup = database()
    engine_name = make_url(url).get_backend_name()
    try:
        issued, labels = bench_issuance(url)
        count, urls, numbers = (
            len(labels),
            [label.qr_url(HOST) for label in labels],
            {label.status_list for label in labels},
        )
        timings = bench_rendering(labels, url)
        del labels
        signs = bare_sign_rate()
        verified, bare = bench_verification(url, urls, numbers)
    finally:
        if cleanup:
            admin, name = cleanup  # type: ignore[misc]
            with admin.connect() as connection:  # type: ignore[attr-defined]
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    results = {
        "database": engine_name,
        "labels": count,
        "issuance_labels_per_s": round(issued),
        "baseline_es256_signs_per_s": round(signs),
        "issuance_ratio_to_bare_sign": round(issued / signs, 3),
        "offline_verify_tokens_per_s": round(verified),
        "baseline_es256_verifies_per_s": round(bare),
        "offline_verify_ratio": round(verified / bare, 3),
        "offline_verify_target": ">= 0.5",
        "render_ms_per_label": {k: round(v, 2) for k, v in timings.items()},
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
