"""The published keys: ``/.well-known/jwks.json`` and ``/.well-known/label-trust-list.json``.

Both are open to any origin (verifiers run in browsers and apps) and cacheable, so a verifier can keep a copy
and work offline; both carry strong ETags.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from registry.database import db, utcnow
from registry.edge import commit, published_json
from registry.keys.services import jwks, trust_list_document
from registry.permissions import public

bp = Blueprint("keys", __name__)

KEYS_MAX_AGE = 300


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
    document = trust_list_document(db.session, current_app.config["PUBLIC_HOST"], now, current_app.config["PUBLIC_HOST_ALIASES"])
    commit()
    return published_json(document, max_age=KEYS_MAX_AGE)
