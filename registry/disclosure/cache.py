"""The render cache of the public pages a shopper's phone opens.

A label page takes about 20 ms to build (the label, its history, its category's distribution, two SVG charts) and
is the same for every anonymous reader of one language. So an anonymous reader's page is kept, rendered, in
Flask-Caching (``CACHE_TYPE``: by default a ``FileSystemCache`` under ``instance/cache`` that every worker process
of one server shares; a ``RedisCache`` for several servers) under a key made of:

- the registry's *disclosure generation*, a random token in the same cache that is replaced after every
  committed transaction that issued a label, changed one's status or token (a re-issue) or revoked a key, so no
  page outlives a change in what it shows (status, signature, current label, the category's distribution); anything else a page shows (an
  organisation's website, say) reaches readers when the page lapses, within the minute;
- the language and the full path with its query string.

Each entry also lapses after ``PAGE_MAX_AGE`` seconds, and the ``max-age`` sent with a kept page is what is left
of that minute: a page never reaches a reader more than a minute after it was rendered, through this cache and any
shared cache downstream together. Only what its view marked public is kept (a 200 with an ETag and a public
``Cache-Control``), with the headers the view gave it: pages, and the statistics CSV. Signed-in readers (their
pages carry their own navigation) and requests carrying a flash message are never served from it. A kept page costs two cache reads and no query: under
gunicorn it answers at about two thirds of the rate of a bare "hello" (docs/performance.md).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, has_app_context, request, session
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from registry.after_commit import after_commit
from registry.extensions import cache
from registry.i18n import current_language
from registry.keys.models import SigningKey
from registry.labels.models import Label
from registry.supervision.models import DishonestListEvent

GENERATION_KEY = "disclosure:generation"
PAGE_MAX_AGE = 60
_NOT_KEPT = ("Cache-Control", "Content-Length", "Set-Cookie")  # set afresh on each answer, or never shared


def generation() -> str:
    """The current generation: a random token, replaced on every change. A cache that lost it (pruned, restarted)
    starts a new one, so losing it can only make pages be rendered again, never serve a stale one."""
    current = cache.get(GENERATION_KEY)
    if current is None:
        current = invalidate()
    return str(current)


def invalidate() -> str:
    """Start a new generation: every page kept so far is unreachable from now on (and lapses unread)."""
    token = secrets.token_hex(8)
    cache.set(GENERATION_KEY, token, timeout=0)
    return token


def cached_page(view: Callable[..., Response]) -> Callable[..., Response]:
    """Serve an anonymous reader's page from the render cache, or render it and keep it."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        if not current_app.config["PAGE_CACHE"] or not _anonymous_without_messages():
            return view(*args, **kwargs)
        key = f"disclosure:page:{generation()}:{current_language()}:{request.full_path}"
        kept = cache.get(key)
        if kept is not None:
            rendered_at, etag, headers, body = kept
            age = int(time.time() - rendered_at)
            if age < PAGE_MAX_AGE:
                return _kept_response(body, etag, headers, max_age=PAGE_MAX_AGE - age)
        rendered_at = time.time()
        response = view(*args, **kwargs)
        etag = response.get_etag()[0]
        if response.status_code == 200 and response.cache_control.public and etag:  # what any cache may keep
            headers = [(name, value) for name, value in response.headers if name not in _NOT_KEPT]
            cache.set(key, (rendered_at, etag, headers, response.get_data()), timeout=PAGE_MAX_AGE)
        return response

    return wrapper


def _anonymous_without_messages() -> bool:
    """Nobody is signed in and no flash message waits. Without a session or remember-me cookie that is certain
    without loading either (the common case, and the cheap one); otherwise Flask-Login and the session decide."""
    config = current_app.config
    cookies = request.cookies
    if (
        config["SESSION_COOKIE_NAME"] not in cookies
        and config.get("REMEMBER_COOKIE_NAME", "remember_token") not in cookies
    ):
        return True
    return not current_user.is_authenticated and not session.get("_flashes")


def _kept_response(body: bytes, etag: str, headers: list[tuple[str, str]], *, max_age: int) -> Response:
    """A kept response with the headers its view gave it, what is left of its minute, and its 304."""
    response = Response(body, headers=headers)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    if request.if_none_match.contains(etag):
        response.status_code = 304
        response.set_data(b"")
        response.headers.pop("Content-Length", None)
    return response


def _note_label_changes(session: Session, flush_context: object, instances: object) -> None:
    """Before a flush: if it adds a label or changes a label's status, a new generation starts once the
    transaction has committed (registry.after_commit; a rollback forgets it)."""
    for obj in session.new:
        # A new label, or a listing on or removal from the dishonest-entity list (/dishonest, /notices).
        if isinstance(obj, Label | DishonestListEvent):
            after_commit(session, _renew_generation, once=True)
            return
    for obj in session.dirty:
        # A new status, or a new token (a re-issue: a new QR code), or a key revoked (its labels' signatures).
        if (
            isinstance(obj, Label)
            and (inspect(obj).attrs.status.history.has_changes() or inspect(obj).attrs.token.history.has_changes())
        ) or (isinstance(obj, SigningKey) and inspect(obj).attrs.status.history.has_changes()):
            after_commit(session, _renew_generation, once=True)
            return


def _renew_generation() -> None:
    # A session used outside the application (the tests' data set, a script) has no cache to renew.
    if has_app_context() and current_app.extensions.get("cache"):
        invalidate()


def init_app(app: Flask) -> None:
    cache.init_app(app)
    if not event.contains(Session, "before_flush", _note_label_changes):
        # before_flush sees what the flush will write (session.new, and dirty objects with their history).
        event.listen(Session, "before_flush", _note_label_changes)
