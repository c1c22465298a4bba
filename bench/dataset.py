"""A large data set for the disclosure benches: N labels (default 100,000) on top of the demo data.

    .venv/bin/python bench/dataset.py sqlite:////tmp/bench-100k.sqlite3 100000
    .venv/bin/python bench/dataset.py postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m 1000000

The database is created (migrated, schemes synced, demo data loaded) if it is empty. Every generated label is a
real row of every table a label needs: its own product (names drawn from the demo products with a number), a
granted application with its life-cycle stages, a unique certificate number, public id and status-list entry,
spread over all schemes, grades, statuses and provinces. The workflow trigger is dropped for the bulk insert (this
is a throwaway database: the bench measures reading, not certification). Tokens are copied from a demo label:
the pages only display them, and signing a million of them would only slow the set-up down.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import migrate  # noqa: E402
from registry.applications.models import Application, StageValue  # noqa: E402
from registry.audit.services import Actor  # noqa: E402
from registry.database import make_engine  # noqa: E402
from registry.demo.services import load_demo_data  # noqa: E402
from registry.keys.crypto import install_kek, new_kek  # noqa: E402
from registry.labels.models import Label, LabelStatus  # noqa: E402
from registry.labels.searchtext import label_search_text  # noqa: E402
from registry.organisations.models import Organisation, OrganisationKind  # noqa: E402
from registry.products.gtin import gtin_check_digit  # noqa: E402
from registry.products.models import Product  # noqa: E402
from registry.schemes.models import SchemeVersion  # noqa: E402
from registry.schemes.services import sync_schemes  # noqa: E402

BATCH = 5000
STATUS_WEIGHTS = [
    (LabelStatus.VALID, 88),
    (LabelStatus.SUSPENDED, 3),
    (LabelStatus.WITHDRAWN, 2),
    (LabelStatus.EXPIRED, 4),
    (LabelStatus.SUPERSEDED, 3),
]
WORDS_ZH = ["高效", "节能", "低碳", "绿色", "轻量", "重载", "工业", "家用", "储能", "光伏", "复合", "再生"]
WORDS_EN = [
    "efficient",
    "energy-saving",
    "low-carbon",
    "green",
    "light",
    "heavy-duty",
    "industrial",
    "household",
    "storage",
    "solar",
    "composite",
    "recycled",
]


def drop_workflow_trigger(session: Session) -> None:
    """Let rows be written straight into ``applications`` as granted, in a throwaway bench database only: the
    benches measure issuance and reading, not the certification workflow the trigger guards."""
    if session.get_bind().dialect.name == "sqlite":
        names = (
            session.execute(text("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='applications'"))
            .scalars()
            .all()
        )
        for trigger in names:
            session.execute(text(f'DROP TRIGGER "{trigger}"'))
    else:
        session.execute(text("ALTER TABLE applications DISABLE TRIGGER USER"))


def _gtin14(n: int) -> str:
    """A valid GTIN-14 (leading zero, then a GTIN-13 in the 690–699 China prefix range with its check digit)."""
    body = f"69{n:010d}"[-12:]
    return "0" + body + gtin_check_digit(body)


def prepare(url: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        if session.scalar(select(func.count()).select_from(SchemeVersion)) == 0:
            sync_schemes(session, Actor.system(), ROOT / "schemes")
            load_demo_data(session, upload_dir=Path(tempfile.mkdtemp(prefix="bench-uploads-")))
            session.commit()
    engine.dispose()


def generate(url: str, count: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    with Session(engine) as session:
        drop_workflow_trigger(session)
        template_label = session.scalars(select(Label).order_by(Label.id)).first()
        template = session.get(Application, template_label.application_id)
        columns = {c.name: getattr(template, c.key) for c in Application.__table__.columns if c.name != "id"}
        versions = list(session.scalars(select(SchemeVersion)))
        enterprises = list(
            session.scalars(select(Organisation).where(Organisation.kind == OrganisationKind.ENTERPRISE))
        )
        start = (session.scalar(select(func.max(Label.id))) or 0) + 1
        next_list = (session.scalar(select(func.max(Label.status_list))) or 0) + 1  # fresh lists for the set
        statuses = [status for status, weight in STATUS_WEIGHTS for _ in range(weight)]
        now = datetime.now(UTC).replace(microsecond=0)
        began = time.perf_counter()
        for offset in range(0, count, BATCH):
            size = min(BATCH, count - offset)
            numbers = range(start + offset, start + offset + size)
            products, applications, stages, labels = [], [], [], []
            plan = []
            for n in numbers:
                version = rng.choice(versions)
                holder = rng.choice(enterprises)
                words = rng.sample(range(len(WORDS_ZH)), 2)
                grades = version.definition["grades"]
                bounds = [Decimal(str(g["max_kg_co2e"])) for g in grades if g.get("max_kg_co2e") is not None]
                top = bounds[-1] * Decimal("1.3") if bounds else Decimal(1000)
                footprint = (top * Decimal(rng.random())).quantize(Decimal("0.1")) + Decimal("0.1")
                grade = next(
                    (
                        str(g["code"])
                        for g in grades
                        if g.get("max_kg_co2e") is None or footprint <= Decimal(str(g["max_kg_co2e"]))
                    ),
                    str(grades[-1]["code"]),
                )
                plan.append((n, version, holder, words, footprint, grade))
                products.append(
                    {
                        "organisation_id": holder.id,
                        "category_code": version.definition["category"]["code"],
                        "name_zh": f"{WORDS_ZH[words[0]]}{WORDS_ZH[words[1]]}{version.definition['category']['name_zh']} {n}",
                        "name_en": f"{WORDS_EN[words[0]].capitalize()} {WORDS_EN[words[1]]} {version.definition['category']['name_en'].lower()} {n}",
                        "model": f"BX-{n:07d}",
                        "gtin": _gtin14(n) if n % 3 else None,
                        "created_at": now,
                    }
                )
            session.execute(insert(Product), products)
            product_ids = dict(
                session.execute(
                    select(Product.model, Product.id).where(Product.model.in_([p["model"] for p in products]))
                ).all()
            )
            for n, version, holder, _words, footprint, _grade in plan:
                applications.append(
                    {
                        **columns,
                        "product_id": product_ids[f"BX-{n:07d}"],
                        "applicant_id": holder.id,
                        "scheme_version_id": version.id,
                        "declared_footprint": footprint,
                    }
                )
            session.execute(insert(Application), applications)
            application_ids = dict(
                session.execute(
                    select(Application.product_id, Application.id).where(
                        Application.product_id.in_(product_ids.values())
                    )
                ).all()
            )
            for n, version, holder, _words, footprint, grade in plan:
                application_id = application_ids[product_ids[f"BX-{n:07d}"]]
                first = (footprint * Decimal("0.6")).quantize(Decimal("0.1"))
                stages += [
                    {
                        "application_id": application_id,
                        "stage": "raw_material_acquisition",
                        "position": 0,
                        "value": first,
                    },
                    {
                        "application_id": application_id,
                        "stage": "production",
                        "position": 1,
                        "value": footprint - first,
                    },
                ]
                index = n - start
                labels.append(
                    {
                        "public_id": f"b{n:015x}",
                        "certificate_number": f"CFP-HTDEMO-{2000 + index // 999999}-{index % 999999 + 1:06d}",
                        "sequence": index % 999999 + 1,
                        "application_id": application_id,
                        "application_status": "granted",
                        "product_id": product_ids[f"BX-{n:07d}"],
                        "holder_id": holder.id,
                        "body_id": template_label.body_id,
                        "scheme_version_id": version.id,
                        "footprint": footprint,
                        "declared_unit": version.declared_unit,
                        "grade_code": grade,
                        "status": rng.choice(statuses),
                        "valid_from": template_label.valid_from,
                        "valid_until": template_label.valid_until,
                        "issued_at": now,
                        "path": f"/l/b{n:015x}",
                        "token": template_label.token,
                        "signing_key_id": template_label.signing_key_id,
                        "status_list": next_list + index // 131072,
                        "status_index": index % 131072,
                        "search_text": label_search_text(SimpleNamespace(**products[n - start - offset]), holder),
                    }
                )
            session.execute(insert(StageValue), stages)
            session.execute(insert(Label), labels)
            session.commit()
            done = offset + size
            if done % 50000 == 0 or done == count:
                print(f"  {done:,} labels ({done / (time.perf_counter() - began):,.0f}/s)", flush=True)
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load: the planner needs the new row counts and the frequencies of
        # the search words, and index-only scans need the visibility map. (SQLite keeps no statistics unless
        # asked; a registry on SQLite is benched as it runs, without them.)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    url, count = sys.argv[1], int(sys.argv[2])
    install_kek(new_kek())
    prepare(url)
    generate(url, count)


if __name__ == "__main__":
    main()
