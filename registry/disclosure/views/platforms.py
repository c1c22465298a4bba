"""For e-commerce platforms: the public API, the status badge, the embeddable widget and the developers' page."""

from __future__ import annotations

import json

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from registry.database import db
from registry.disclosure import services
from registry.disclosure.cache import PAGE_MAX_AGE
from registry.disclosure.views.common import bp, page_response
from registry.edge import published, published_json
from registry.labels.models import Label
from registry.labels.wording import bilingual_state, state
from registry.numbers import plain
from registry.permissions import public
from registry.text import strip_bidi_controls

# --- the public API --------------------------------------------------------------------------------------------


def api_item(label: Label, host: str) -> dict[str, object]:
    """One label in the public API: identity, status, scheme, value, and where to find the rest. Platforms show
    the names beside their own text, so any direction controls stored before input refused them are left out
    (the signed ``record`` of ``/api/v1/labels/{id}`` keeps the names exactly as certified)."""
    text = strip_bidi_controls
    return {
        "id": label.public_id,
        "certificate_number": label.certificate_number,
        "gtin": label.product.gtin,
        "status": label.status.value,
        "scheme": label.scheme_version.code,
        "scheme_version": label.scheme_version.version,
        "product": {
            "name_zh": text(label.product.name_zh),
            "name_en": text(label.product.name_en) or None,
            "model": text(label.product.model),
        },
        "holder": {"name_zh": text(label.holder.name_zh), "name_en": text(label.holder.name_en) or None},
        "footprint_kg_co2e": plain(label.footprint),
        "declared_unit": label.scheme_version.declared_unit,
        "grade": label.grade_code,
        "valid_until": label.valid_until.isoformat(),
        "qr_url": label.qr_url(host),
        "url": label.page_url(host),
        "json": f"https://{host}/l/{label.public_id}.json",
    }


def _api_error(message: str, status: int = 400) -> Response:
    response = Response(
        json.dumps({"error": "bad_request" if status == 400 else "not_found", "message": message}),
        status=status,
        content_type="application/json",
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/api/v1/labels")
@public
def api_labels() -> Response:
    """``GET /api/v1/labels?q=&scheme=&grade=&status=&region=&sort=&limit=&after=`` →
    ``{"data": [...], "next": <URL of the next page or null>}``."""
    from urllib.parse import urlencode

    from registry.disclosure.search import Filters, SearchError, search

    try:
        filters = Filters.from_args(request.args.to_dict())
        limit = int(request.args.get("limit", "20"))
        if not 1 <= limit <= 100:
            raise ValueError(limit)
        labels, cursor = search(db.session, filters, limit=limit, after=request.args.get("after") or None)
    except SearchError as error:
        return _api_error(str(error))
    except ValueError:  # a limit that is not a whole number from 1 to 100
        return _api_error(_("limit must be a whole number from 1 to 100."))
    host = current_app.config["PUBLIC_HOST"]
    next_url = None
    if cursor:
        params = {k: v for k, v in request.args.items() if k != "after"}
        next_url = f"https://{host}/api/v1/labels?{urlencode({**params, 'after': cursor})}"
    return published_json({"data": [api_item(label, host) for label in labels], "next": next_url}, max_age=PAGE_MAX_AGE)


@bp.route("/api/v1/labels/<public_id>")
@public
def api_label(public_id: str) -> Response:
    label = services.label_by_public_id(db.session, public_id)
    if label is None:
        return _api_error(f"No label has the id {public_id!r}.", status=404)
    host = current_app.config["PUBLIC_HOST"]
    return published_json(
        {**api_item(label, host), "record": services.public_document(db.session, label, host)}, max_age=PAGE_MAX_AGE
    )


# --- embeds ----------------------------------------------------------------------------------------------------

BADGE_COLOURS = {"valid": "#0B6B45", "suspended": "#B45309"}


@bp.route("/badge/<public_id>.svg")
@public
def badge(public_id: str) -> Response:
    """A small bilingual SVG badge for product pages on e-commerce platforms. It always shows the label's
    current status (cacheable for at most a minute) and links nowhere itself: the platform wraps it in a link."""
    from markupsafe import escape

    label = services.label_by_public_id(db.session, public_id)
    if label is None:
        abort(404)
    zh, en = bilingual_state(label)  # a valid label whose signing key was revoked is not shown as valid
    colour = BADGE_COLOURS.get(state(label), "#B42318")
    value = f"{plain(label.footprint)} kg CO₂e/{label.scheme_version.declared_unit}"
    title = f"碳足迹标识 Carbon footprint label {label.certificate_number}: {value}, {zh} {en}"
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="44" viewBox="0 0 240 44" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        '<rect width="240" height="44" rx="6" fill="#FFFFFF" stroke="#C5D2CA"/>'
        f'<rect width="64" height="44" rx="6" fill="{colour}"/><rect x="58" width="6" height="44" fill="{colour}"/>'
        "<g font-family=\"'Noto Sans CJK SC', 'Noto Sans SC', sans-serif\" font-size=\"11\">"
        '<text x="32" y="19" fill="#FFFFFF" text-anchor="middle" font-weight="700">碳足迹</text>'
        '<text x="32" y="33" fill="#FFFFFF" text-anchor="middle" font-size="9">CO₂e</text>'
        f'<text x="72" y="19" fill="#1A1A1A" font-weight="700">{escape(value)}</text>'
        f'<text x="72" y="34" fill="{colour}">{escape(zh)} {escape(en)} · {escape(label.grade_code)}级 Grade {escape(label.grade_code)}</text>'
        "</g></svg>"
    )
    response = Response(svg, content_type="image/svg+xml")
    return published(response, max_age=PAGE_MAX_AGE)


@bp.route("/embed/<public_id>")
@public
def embed(public_id: str) -> Response:
    """The iframe widget: a compact, self-contained view of the label's current status for product pages on
    e-commerce platforms. The only page any site may frame."""
    from registry.security import EMBEDDABLE_POLICY

    label = services.label_by_public_id(db.session, public_id)
    if label is None:
        abort(404)
    response = Response(render_template("disclosure/embed.html", label=label), content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = EMBEDDABLE_POLICY
    response.vary.add("Accept-Language")
    return published(response, max_age=PAGE_MAX_AGE)


@bp.route("/developers")
@public
def developers() -> Response:
    """For platform engineers: the badge, the widget, the script, the API and the schemas, ready to copy."""
    from sqlalchemy import select

    example = db.session.scalar(select(Label).order_by(Label.id).limit(1))
    return page_response(
        render_template("disclosure/developers.html", example=example, host=current_app.config["PUBLIC_HOST"])
    )
