"""What views share at the edge of a request: the acting person, the one commit per request, the headers of
public documents (open CORS, cache lifetime, strong ETag), and the refusal of input no text column can hold."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Response, make_response, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from registry.audit.services import Actor
from registry.database import db
from registry.errors import ServiceError
from registry.extensions import client_address


def current_actor() -> Actor:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user=user, address=client_address())


def commit() -> None:
    """The one commit of a request. What the services queued for after it (mail, a new page-cache generation) runs
    once it has succeeded, as after any commit (``registry.after_commit``)."""
    db.session.commit()


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
    body = (
        json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
        if not isinstance(document, (str, bytes))
        else document
    )
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
    response.make_conditional(request)
    return response


def unavailable_document(error: ServiceError) -> Response:
    """A public document the registry cannot produce now (``keys.services.NoRootKey``: nothing to sign it with):
    the error's status, usually 503, and its reason as JSON in the reader's language, readable from any origin and
    never cached, so a verifier tries again rather than keeping the refusal."""
    body = json.dumps({"error": {"status": error.status, "message": str(error.message)}}, ensure_ascii=False)
    response = Response(body, status=error.status, content_type="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.no_store = True
    return response


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
    response.make_conditional(request)
    return response


# --- input no text column can hold ---------------------------------------------------------------------------

# PostgreSQL refuses NUL in text, and a lone surrogate (which a JSON escape such as \ud800 can produce) cannot be
# encoded as UTF-8 at all: either would fail deep inside a query or a response as a 500, so both are refused first.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# The largest JSON body any endpoint reads (POST /api/v1/verify: one URL of at most 4 KiB), with room to spare.
MAX_JSON_BODY = 64 * 1024


def refuse_unstorable_input() -> Response | None:
    """A ``before_request`` hook for every request: a clear 400, in the reader's language, when the address, a query
    parameter, a form field, an uploaded file's name or a JSON string holds text no database can store, or a JSON
    body is larger or deeper than any the registry reads. Views then never meet such input."""
    problem = _input_problem()
    if problem is None:
        return None
    from registry.errors import render_error

    response = make_response(render_error(400, str(problem)))
    if request.path.startswith("/api/"):
        response.headers["Access-Control-Allow-Origin"] = "*"  # a platform's page can read why it was refused
    return response


def _unstorable(where: Any, text: str) -> Any:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return _l(
            "%(where)s contains a NUL character (U+0000), which no text in the registry can hold. "
            "Remove it and send the request again.",
            where=where,
        )
    return _l(
        "%(where)s contains an unpaired surrogate (U+D800 to U+DFFF), which is not a character. "
        "Remove it and send the request again.",
        where=where,
    )


def _fields(pairs: Any, named: Any) -> Any:
    for name, value in pairs:
        problem = _unstorable(_l("A parameter name"), name) or _unstorable(named(name[:40]), value)
        if problem is not None:
            return problem
    return None


def _input_problem() -> Any:
    problem = (
        _unstorable(_l("The address"), request.path)
        or _fields(request.args.items(multi=True), lambda name: _l("The query parameter “%(name)s”", name=name))
        or _fields(request.form.items(multi=True), lambda name: _l("The form field “%(name)s”", name=name))
        or _fields(
            ((name, file.filename or "") for name, file in request.files.items(multi=True)),
            lambda name: _l("The name of the file sent in “%(name)s”", name=name),
        )
    )
    if problem is None and request.is_json:
        problem = _json_problem()
    return problem


def _json_problem() -> Any:
    from registry.verifier import format as fmt

    if (request.content_length or 0) > MAX_JSON_BODY or len(request.get_data(cache=True)) > MAX_JSON_BODY:
        return _l(
            "The JSON body is larger than %(size)s KiB, which no request to the registry needs. "
            "Send a smaller document.",
            size=MAX_JSON_BODY // 1024,
        )
    try:
        document = fmt.parse_json(request.get_data(cache=True), max_bytes=MAX_JSON_BODY)
    except fmt.JSONTooDeep:
        return _l(
            "The JSON body is nested more than %(depth)s levels deep, which no request to the registry needs. "
            "Send a flatter document.",
            depth=fmt.MAX_JSON_DEPTH,
        )
    except ValueError:
        return None  # not JSON at all: the view says what it expects
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str) and (problem := _unstorable(_l("A string in the JSON body"), value)):
            return problem
        if isinstance(value, dict):
            pending.extend(value)  # the keys
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return None
