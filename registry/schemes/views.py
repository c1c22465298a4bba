"""Public pages: the list of certification schemes and everything one scheme states."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from registry.database import db
from registry.edge import public_page
from registry.permissions import public
from registry.schemes.definition import STAGES
from registry.schemes.services import get_version, list_schemes

bp = Blueprint("schemes", __name__, url_prefix="/schemes")


@bp.route("/")
@public
def index() -> ResponseReturnValue:
    return public_page(render_template("schemes/index.html", schemes=list_schemes(db.session)), max_age=300)


@bp.route("/<code>")
@bp.route("/<code>/<version>")
@public
def detail(code: str, version: str | None = None) -> ResponseReturnValue:
    scheme_version = get_version(db.session, code, version)
    if scheme_version is None:
        abort(404)
    return public_page(
        render_template(
            "schemes/detail.html",
            version=scheme_version,
            scheme=scheme_version.scheme,
            d=scheme_version.spec,
            stages=STAGES,
        ),
        max_age=300,
    )
