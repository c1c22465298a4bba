"""What views share at the edge of a request: the acting person, the one commit per request, and the headers of
public documents (open CORS, cache lifetime, strong ETag)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Response, request
from flask_login import current_user

from registry.audit.services import Actor
from registry.database import db
from registry.extensions import client_address


def current_actor() -> Actor:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user=user, address=client_address())


def commit() -> None:
    """The one commit of a request; the mail the services queued leaves only after it succeeded."""
    from registry.notifications.mail import send_all
    from registry.notifications.services import take_outbox

    db.session.commit()
    send_all(take_outbox(db.session))


def safe_next(target: str | None, default: str) -> str:
    """A local path to return to after a form, never another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def published_json(document: object, *, max_age: int, content_type: str = "application/json") -> Response:
    """A public document: open CORS, ``Cache-Control`` of ``max_age`` seconds, a strong ETag, 304 when unchanged."""
    body = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") if not isinstance(document, (str, bytes)) else document
    response = Response(body, content_type=content_type)
    return published(response, max_age=max_age)


def published(response: Response, *, max_age: int, immutable: bool = False) -> Response:
    """Mark a public response: any origin may read it, caches may keep it ``max_age`` seconds (``immutable`` for
    what never changes), and a conditional request gets 304."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    if immutable:
        response.cache_control.immutable = True
    if response.get_etag() == (None, None):
        response.add_etag()
    return response.make_conditional(request)


def public_page(html: str, *, status: int = 200, max_age: int = 60) -> Response:
    """A public HTML page. An anonymous reader's copy may be kept by any cache for ``max_age`` seconds (at most
    60 where the page shows a status), with a strong ETag; a signed-in reader's page carries their navigation
    and stays private. Error pages are never stored."""
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    if status != 200:
        response.cache_control.no_store = True
        return response
    response.vary.update(("Cookie", "Accept-Language"))
    if current_user.is_authenticated:
        response.cache_control.private = True
        response.cache_control.max_age = 0
    else:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    response.add_etag()
    return response.make_conditional(request)
