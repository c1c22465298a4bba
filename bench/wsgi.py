"""The registry for the page bench, plus a bare "hello" endpoint on the same server as the baseline.

BENCH_DATABASE_URL=sqlite:////tmp/bench-100k.sqlite3 gunicorn -w 2 bench.wsgi:app
"""

from __future__ import annotations

import os
import tempfile

from registry import create_app
from registry.keys.crypto import new_kek

app = create_app(
    {
        "DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
        "SECRET_KEY": "bench",
        "KEY_ENCRYPTION_KEY": new_kek(),
        "RATELIMIT_ENABLED": False,
        "PAGE_CACHE": os.environ.get("BENCH_PAGE_CACHE", "1") == "1",
        # The workers share one page cache, the bench's own (never instance/cache, which may hold another database's pages).
        "CACHE_DIR": os.environ.get("BENCH_CACHE_DIR") or tempfile.mkdtemp(prefix="bench-cache-"),
    }
)
app.add_url_rule("/bench/hello", "bench_hello", lambda: "hello")
