"""The registry for the page bench, plus a bare "hello" endpoint on the same server as the baseline.

    BENCH_DATABASE_URL=sqlite:////tmp/bench-100k.sqlite3 gunicorn -w 2 bench.wsgi:app
"""

from __future__ import annotations

import os

from registry import create_app
from registry.keys.crypto import new_kek

app = create_app({
    "DATABASE_URL": os.environ["BENCH_DATABASE_URL"], "SECRET_KEY": "bench", "KEY_ENCRYPTION_KEY": new_kek(),
    "RATELIMIT_ENABLED": False,
})
app.add_url_rule("/bench/hello", "bench_hello", lambda: "hello")
