"""Flask extensions, created unbound here and bound to an app in ``create_app``."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


def client_address() -> str:
    """The client's address as seen by the WSGI server (ProxyFix, configured by PROXY_COUNT, rewrites it)."""
    return request.remote_addr or "unknown"


csrf = CSRFProtect()
# The render cache of public pages (registry.disclosure.cache), configured by CACHE_TYPE and friends.
cache = Cache()
login_manager = LoginManager()
babel = Babel()
# No default limits: each limited view says what it limits and by which key.
limiter = Limiter(key_func=client_address, default_limits=[])
