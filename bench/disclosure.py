"""Bench for the public disclosure pages (issue 5).

    .venv/bin/python bench/dataset.py sqlite:////tmp/bench-100k.sqlite3 100000      # once: the data set
    .venv/bin/python bench/disclosure.py search sqlite:////tmp/bench-100k.sqlite3
    .venv/bin/python bench/disclosure.py page sqlite:////tmp/bench-100k.sqlite3      # needs gunicorn and wrk

- ``search``: catalogue searches (the same ``search()`` the catalogue page and the API run) over a spread of
  filters, sorts, text queries and deep pages; each is run 30 times; prints p50 and p95 per query and over all
  (target: p95 under 50 ms).
- ``page``: the registry under gunicorn (2 workers, the machine's cores), wrk against a label page and against
  a bare Flask "hello" endpoint on the same server in the same run; prints requests per second of each, their
  ratio (target >= 0.6) and p99 latency; then the label page again with the page cache switched off (what a
  page costs when it is rendered: the first reader after a change).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REPEAT = 30


def bench_search(url: str) -> dict[str, object]:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from registry.database import make_engine
    from registry.disclosure.search import Filters, search
    from registry.labels.models import Label

    engine = make_engine(url)
    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(Label))
        sample = session.scalars(
            select(Label).where(Label.public_id.like("b%")).order_by(Label.id.desc()).limit(1)
        ).first()
        cases: dict[str, tuple[Filters, int]] = {
            "newest": (Filters(), 0),
            "footprint ascending": (Filters(sort="footprint"), 0),
            "scheme + footprint": (Filters(scheme=sample.scheme_version.code, sort="footprint"), 0),
            "scheme + grade": (Filters(scheme=sample.scheme_version.code, grade="1"), 0),
            "status suspended": (Filters(status="suspended"), 0),
            "region": (Filters(region=sample.holder.division_code[:2]), 0),
            "text, Chinese word": (Filters(q="节能"), 0),
            "text, English word": (Filters(q="recycled"), 0),
            "text, English prefix": (Filters(q="recyc"), 0),
            "text, one product's name": (Filters(q=sample.product.name_zh), 0),
            "text, no match": (Filters(q="不存在的产品"), 0),
            "text, common characters, rare order": (Filters(q="能节"), 0),
            "text + scheme, by footprint": (Filters(q="节能", scheme=sample.scheme_version.code, sort="footprint"), 0),
            "status cancelled (rare)": (Filters(status="cancelled"), 0),
            "scheme + grade, by footprint": (
                Filters(scheme=sample.scheme_version.code, grade="1", sort="footprint"),
                0,
            ),
            "region + scheme": (Filters(region=sample.holder.division_code[:2], scheme=sample.scheme_version.code), 0),
            "certificate number": (Filters(q=sample.certificate_number), 0),
            "GTIN": (Filters(q=sample.product.gtin or "06900000000000"), 0),
            "5th page, footprint": (Filters(sort="footprint"), 4),
        }
        results: dict[str, dict[str, float]] = {}
        everything: list[float] = []
        for name, (filters, pages) in cases.items():
            timings = []
            for _ in range(REPEAT):
                started = time.perf_counter()
                cursor = None
                for _page in range(pages + 1):
                    found, cursor = search(session, filters, limit=20, after=cursor)
                    [label.product.name_zh for label in found]  # what the page reads
                timings.append((time.perf_counter() - started) * 1000 / (pages + 1))
                session.expunge_all()
            timings.sort()
            results[name] = {
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(timings[int(0.95 * len(timings)) - 1], 2),
            }
            everything += timings
    engine.dispose()
    everything.sort()
    return {
        "database": url.split(":")[0],
        "labels": total,
        "queries": results,
        "overall_p95_ms": round(everything[int(0.95 * len(everything)) - 1], 2),
        "target_p95_ms": 50,
    }


def _wrk(url: str, seconds: int = 10) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    value, unit = float(p99.group(1)), p99.group(2)
    return rps, value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def bench_page(url: str) -> dict[str, object]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from registry.database import make_engine
    from registry.labels.models import Label

    engine = make_engine(url)
    with Session(engine) as session:
        public_id = session.scalar(
            select(Label.public_id).where(Label.public_id.like("b%")).order_by(Label.id.desc()).limit(1)
        )
        total = session.scalar(select(Label.id).order_by(Label.id.desc()).limit(1))
    engine.dispose()
    hello_rps, hello_p99, page_rps, page_p99 = _serve_and_measure(url, public_id, page_cache=True)
    _, _, fresh_rps, fresh_p99 = _serve_and_measure(url, public_id, page_cache=False)
    return {
        "database": url.split(":")[0],
        "labels": total,
        "hello_rps": round(hello_rps),
        "hello_p99_ms": round(hello_p99, 2),
        "label_page_rps": round(page_rps),
        "label_page_p99_ms": round(page_p99, 2),
        "ratio": round(page_rps / hello_rps, 3),
        "target_ratio": 0.6,
        "label_page_rendered_every_time_rps": round(fresh_rps),
        "label_page_rendered_every_time_p99_ms": round(fresh_p99, 2),
    }


def _serve_and_measure(url: str, public_id: str, *, page_cache: bool) -> tuple[float, float, float, float]:
    """gunicorn with 2 workers; wrk against the bare hello, then against the label page (after a warm-up)."""
    port = 5099
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": url,
        "BENCH_CACHE_DIR": tempfile.mkdtemp(prefix="bench-cache-"),
        "BENCH_PAGE_CACHE": "1" if page_cache else "0",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(50):
            try:
                subprocess.run(["curl", "-sf", f"http://127.0.0.1:{port}/bench/hello"], check=True, capture_output=True)
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        _wrk(f"http://127.0.0.1:{port}/l/{public_id}", 2)  # warm up
        hello_rps, hello_p99 = _wrk(f"http://127.0.0.1:{port}/bench/hello")
        page_rps, page_p99 = _wrk(f"http://127.0.0.1:{port}/l/{public_id}")
    finally:
        server.terminate()
        server.wait()
    return hello_rps, hello_p99, page_rps, page_p99


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("search", "page"):
        sys.exit(__doc__)
    result = bench_search(sys.argv[2]) if sys.argv[1] == "search" else bench_page(sys.argv[2])
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
