"""The published keys: ``/.well-known/jwks.json`` and ``/.well-known/label-trust-list.json``.

Both are open to any origin (verifiers run in browsers and apps) and cacheable, so a verifier can keep a copy
and work offline; both carry strong ETags.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from registry.database import db, utcnow
from registry.edge import commit
from registry.keys.services import jwks, trust_list_document
from registry.permissions import public

bp = Blueprint("keys", __name__)

KEYS_MAX_AGE = 300


def published_json(document: object, *, max_age: int, content_type: str = "application/json") -> Response:
    """A public document: open CORS, ``Cache-Control`` of ``max_age`` seconds, a strong ETag, 304 when unchanged."""
    body = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") if not isinstance(document, (str, bytes)) else document
    response = Response(body, content_type=content_type)
    return published(response, max_age=max_age)


def published(response: Response, *, max_age: int, immutable: bool = False) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    if immutable:
        response.cache_control.immutable = True
    if response.get_etag() == (None, None):
        response.add_etag()
    return response.make_conditional(request)


@bp.route("/.well-known/jwks.json")
@public
def jwks_json() -> Response:
    document = jwks(db.session)
    commit()  # the root key is made on first use
    return published_json(document, max_age=KEYS_MAX_AGE, content_type="application/jwk-set+json")


@bp.route("/.well-known/label-trust-list.json")
@public
def trust_list_json() -> Response:
    now = utcnow().replace(second=0, microsecond=0)
    document = trust_list_document(db.session, current_app.config["PUBLIC_HOST"], now)
    commit()
    return published_json(document, max_age=KEYS_MAX_AGE)
