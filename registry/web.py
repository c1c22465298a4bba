"""Request-side wiring shared by every domain: extensions, blueprints, template helpers, proxies."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from registry.dates import china_date, china_time
from registry.extensions import babel, client_address, csrf, limiter, login_manager
from registry.i18n import LANGUAGE_NAMES, current_language, locale_for_request
from registry.numbers import plain
from registry.permissions import Permission, has_permission
from registry.text import bdi, isolate


def init_app(app: Flask) -> None:
    from registry.edge import refuse_unstorable_input

    # First of all the request hooks, so that no other hook (CSRF, limits, sign-in) meets such input either.
    app.before_request(refuse_unstorable_input)
    if app.config["PROXY_COUNT"]:
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    csrf.init_app(app)
    # Catalogues live in registry/translations (relative to the app's root path, the package).
    babel.init_app(app, locale_selector=locale_for_request)
    limiter.init_app(app)
    _init_login(app)
    _register_blueprints(app)
    from registry.disclosure import cache as page_cache

    page_cache.init_app(app)
    app.context_processor(_template_globals)
    app.add_template_filter(localised)
    app.add_template_filter(plain)
    app.add_template_filter(bdi)
    app.add_template_filter(isolate)
    app.add_template_filter(china_date)
    app.add_template_filter(china_time)
    from registry.audit.names import event_name

    app.add_template_filter(event_name)
    app.before_request(_require_secret_key)


def _init_login(app: Flask) -> None:
    from registry.accounts.services import load_user_from_session_id

    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    # Flask-Login offers no public hook for this; its own identifier trusts X-Forwarded-For, which any client sets.
    login_manager._session_identifier_generator = _session_identifier
    login_manager.login_view = "accounts.login"

    @login_manager.user_loader  # type: ignore[untyped-decorator]  # Flask-Login ships no types
    def _load(session_id: str) -> Any:
        from registry.database import db

        return load_user_from_session_id(db.session, session_id)


def _session_identifier() -> str:
    """What "strong" session protection binds a session to: the client's address as ProxyFix derived it from
    PROXY_COUNT trusted proxies, and its user agent; a cookie presented from elsewhere is signed out."""
    user_agent = request.headers.get("User-Agent", "")
    return hashlib.sha512(f"{client_address()}|{user_agent}".encode("utf-8", "replace")).hexdigest()


def _register_blueprints(app: Flask) -> None:
    from registry.accounts.views import bp as accounts
    from registry.applications.views import bp as applications
    from registry.audit.views import bp as audit
    from registry.complaints.views import bp as complaints
    from registry.dashboard.views import bp as dashboard
    from registry.disclosure.views import bp as disclosure
    from registry.inspections.views import bp as inspections
    from registry.keys.views import bp as keys
    from registry.labels.views import bp as labels
    from registry.notifications.views import bp as notifications
    from registry.organisations.views import bp as organisations
    from registry.products.views import bp as products
    from registry.public.views import bp as public
    from registry.schemes.views import bp as schemes
    from registry.supervision.views import bp as supervision
    from registry.surveillance.views import bp as surveillance
    from registry.tlog.views import bp as tlog

    for blueprint in (
        public,
        accounts,
        dashboard,
        organisations,
        products,
        schemes,
        audit,
        applications,
        labels,
        surveillance,
        notifications,
        keys,
        disclosure,
        supervision,
        inspections,
        complaints,
        tlog,
    ):
        app.register_blueprint(blueprint)


def localised(document: Any, field: str) -> str:
    """``document[field + "_en"]`` for English readers, ``_zh`` otherwise (scheme files carry both)."""
    suffix = "_en" if current_language().startswith("en") else "_zh"
    value = document.get(field + suffix) if isinstance(document, dict) else getattr(document, field + suffix, None)
    return value or ""


def _template_globals() -> dict[str, Any]:
    from registry.schemes import names

    return {
        "labels": names,  # the display names of scheme values, as templates know them (labels.STAGE_LABELS)
        "current_language": current_language(),
        "language_names": LANGUAGE_NAMES,
        "Permission": Permission,
        "has_permission": has_permission,
        "demo_mode": current_app.config["DEMO_MODE"],
        "html_lang": "en" if current_language() == "en" else "zh-CN",
        "unread_notifications": _unread_notifications(),
    }


def _unread_notifications() -> int:
    from flask_login import current_user

    if not current_user.is_authenticated:
        return 0
    from registry.database import db
    from registry.notifications.services import count_unread

    return count_unread(db.session, current_user)


def _require_secret_key() -> None:
    if not current_app.config.get("SECRET_KEY"):
        from registry.config import ConfigurationError

        raise ConfigurationError(
            "No secret key: run `flask --app registry setup` (make run does) or set REGISTRY_SECRET_KEY."
        )
