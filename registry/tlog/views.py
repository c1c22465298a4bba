"""The transparency log's public endpoints: the latest signed checkpoint, entries, inclusion and consistency proofs,
and a label's entry indexes. All only read, are open to any origin and cacheable; a bad parameter is a JSON 400
saying what is wrong."""

from __future__ import annotations

import base64

from flask import Blueprint, Response, abort, request
from flask_babel import lazy_gettext as _l

from registry.database import db
from registry.disclosure.services import label_by_public_id
from registry.edge import published, published_json, unavailable_document
from registry.errors import ServiceError
from registry.permissions import public
from registry.tlog import services

bp = Blueprint("tlog", __name__)

# A checkpoint changes at most once a second; proofs and entries for a fixed size never change.
CHECKPOINT_MAX_AGE = 10
FIXED_MAX_AGE = 86400


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _int(name: str) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        raise ServiceError(_l("the parameter %(name)s is required", name=name), status=400)
    if not raw.isdigit() or len(raw) > 18:
        raise ServiceError(_l("the parameter %(name)s must be a whole number of at least 0", name=name), status=400)
    return int(raw)


def _answer(build: object) -> Response:
    try:
        return build()  # type: ignore[operator,no-any-return]
    except ServiceError as error:
        return unavailable_document(error)


@bp.route("/tlog/checkpoint")
@public
def checkpoint() -> Response:
    def build() -> Response:
        latest = services.latest_checkpoint(db.session)
        if latest is None:
            raise ServiceError(_l("the transparency log has no checkpoint yet"), status=404)
        response = Response(latest.note, content_type="text/plain; charset=utf-8")
        return published(response, max_age=CHECKPOINT_MAX_AGE)

    return _answer(build)


@bp.route("/tlog/entries")
@public
def entries() -> Response:
    def build() -> Response:
        start, end = _int("start"), _int("end")
        rows = services.entries(db.session, start, end)
        document = {"entries": [{"index": row.id, "entry": _b64(row.entry)} for row in rows]}
        full = len(rows) == end - start
        return published_json(document, max_age=FIXED_MAX_AGE if full else CHECKPOINT_MAX_AGE)

    return _answer(build)


@bp.route("/tlog/proof/inclusion")
@public
def inclusion() -> Response:
    def build() -> Response:
        index, tree_size = _int("index"), _int("tree_size")
        proof = services.inclusion_proof(db.session, index, tree_size)
        document = {"index": index, "tree_size": tree_size, "inclusion_path": [_b64(h) for h in proof]}
        return published_json(document, max_age=FIXED_MAX_AGE)

    return _answer(build)


@bp.route("/tlog/proof/consistency")
@public
def consistency() -> Response:
    def build() -> Response:
        first, second = _int("first"), _int("second")
        proof = services.consistency_proof(db.session, first, second)
        document = {"first": first, "second": second, "consistency_path": [_b64(h) for h in proof]}
        return published_json(document, max_age=FIXED_MAX_AGE)

    return _answer(build)


@bp.route("/l/<public_id>/tlog")
@public
def label_entries(public_id: str) -> Response:
    label = label_by_public_id(db.session, public_id)
    if label is None:
        abort(404)
    document = {
        "label_id": label.public_id,
        "certificate_number": label.certificate_number,
        "entries": services.label_indexes(db.session, label.id),
    }
    return published_json(document, max_age=CHECKPOINT_MAX_AGE)
