"""The published keys: ``/.well-known/jwks.json`` and ``/.well-known/label-trust-list.json``.

Both are open to any origin (verifiers run in browsers and apps) and cacheable, so a verifier can keep a copy
and work offline; both carry strong ETags. Both only read: the root key is made by ``flask setup``, ``flask keys
root`` or an issuance, never here. Without one the JWKS lists the keys there are (``{"keys": []}`` on a new
registry, a valid and empty set) and the trust list, which the root key must sign, is a 503 saying so.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from registry.database import db, utcnow
from registry.edge import published_json, unavailable_document
from registry.keys.services import NoRootKey, jwks, trust_list_document
from registry.permissions import public

bp = Blueprint("keys", __name__)

KEYS_MAX_AGE = 300


@bp.route("/.well-known/jwks.json")
@public
def jwks_json() -> Response:
    document = jwks(db.session)
    return published_json(document, max_age=KEYS_MAX_AGE, content_type="application/jwk-set+json")


@bp.route("/.well-known/label-trust-list.json")
@public
def trust_list_json() -> Response:
    now = utcnow().replace(second=0, microsecond=0)
    try:
        document = trust_list_document(
            db.session, current_app.config["PUBLIC_HOST"], now, current_app.config["PUBLIC_HOST_ALIASES"]
        )
    except NoRootKey as error:
        return unavailable_document(error)
    return published_json(document, max_age=KEYS_MAX_AGE)
