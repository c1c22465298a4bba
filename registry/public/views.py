"""The public entrance: the home page, the language switch and a health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from registry.database import db
from registry.edge import public_page, safe_next
from registry.i18n import LANGUAGE_COOKIE
from registry.permissions import public
from registry.schemes.services import list_schemes

bp = Blueprint("public", __name__)


@bp.route("/")
@public
def home() -> ResponseReturnValue:
    return public_page(render_template("public/home.html", schemes=list_schemes(db.session)), max_age=300)


@bp.route("/language/<code>")
@public
def set_language(code: str) -> ResponseReturnValue:
    """Remember the reader's language in a cookie (a preference of this browser, not server state)."""
    target = safe_next(request.args.get("next"), url_for("public.home"))
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
        )
    return response


@bp.route("/healthz")
@public
def health() -> ResponseReturnValue:
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
