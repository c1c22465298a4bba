"""The label page a scanned QR code opens (``/l/{label-id}`` and the GS1 Digital Link resolver ``/01/{GTIN}``),
its JSON document and schema, its PACT form, and the search box of the not-found page."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from registry.database import db
from registry.disclosure import services
from registry.disclosure.cache import PAGE_MAX_AGE, cached_page
from registry.disclosure.views.common import bp, not_found, page_response
from registry.edge import published, published_json
from registry.labels.models import Label
from registry.permissions import public
from registry.products.gtin import GtinError, normalise_gtin


def _render_label(label: Label, *, history: list[Label]) -> Response:
    from registry.complaints.services import published_counts
    from registry.disclosure import charts, pact
    from registry.tlog.services import label_indexes, log_public_info

    position = services.category(db.session, label)
    return page_response(
        render_template(
            "disclosure/label.html",
            label=label,
            history=history,
            current=services.current_label(history),
            changes=services.status_changes(db.session, label),
            category=position.distribution,
            bins=charts.histogram_bins(position.distribution),
            percentile=position.percentile,
            stages=services.stages(label),
            statement=services.statement_for(db.session, label),
            charts=charts,
            host=current_app.config["PUBLIC_HOST"],
            pact_available=pact.representable(label),
            complaint_counts=published_counts(db.session, label),
            tlog_entries=label_indexes(db.session, label.id),
            tlog_key=log_public_info(db.session),
        )
    )


@bp.route("/l/<public_id>")
@public
@cached_page
def label_page(public_id: str) -> Response:
    label = services.label_by_public_id(db.session, public_id)
    if label is None:
        return not_found(public_id)
    history = services.labels_of_product(db.session, label.product)
    return _render_label(label, history=history)


@bp.route("/l/<public_id>.json")
@public
def label_json(public_id: str) -> Response:
    label = services.label_by_public_id(db.session, public_id)
    if label is None:
        abort(404)
    document = services.public_document(db.session, label, current_app.config["PUBLIC_HOST"])
    return published_json(document, max_age=PAGE_MAX_AGE)


@bp.route("/01/<gtin>")
@bp.route("/01/<gtin>/10/<lot>")
@bp.route("/01/<gtin>/21/<serial>")
@bp.route("/01/<gtin>/10/<lot>/21/<serial>")
@public
@cached_page
def gs1_resolver(gtin: str, lot: str | None = None, serial: str | None = None) -> Response:
    """GS1 Digital Link: the product's current label. GTIN-8, -12 and -13 forms redirect to the GTIN-14 form
    (keeping batch and serial), so every product has one address."""
    try:
        gtin14 = normalise_gtin(gtin) if gtin.isdigit() else None
    except GtinError as error:
        return not_found(gtin, problem=error.message)
    if gtin14 is None:
        return not_found(gtin)
    if gtin14 != gtin:
        suffix = (f"/10/{lot}" if lot else "") + (f"/21/{serial}" if serial else "")
        return redirect(f"/01/{gtin14}{suffix}", code=301)  # type: ignore[return-value]
    product = services.product_by_gtin(db.session, gtin14)
    labels = services.labels_of_product(db.session, product) if product else []
    label = services.current_label(labels)
    if label is None:
        return not_found(gtin14)
    return _render_label(label, history=labels)


SCHEMA_FILE = Path(__file__).parent.parent / "json_schemas" / "label-v1.json"


@bp.route("/schemas/label-v1.json")
@public
def label_schema() -> Response:
    """The JSON Schema of ``/l/{label-id}.json`` (documented in docs/public-data.md)."""
    response = Response(SCHEMA_FILE.read_bytes(), content_type="application/schema+json")
    return published(response, max_age=24 * 3600)


@bp.route("/lookup")
@public
def lookup() -> ResponseReturnValue:
    """The search box of the not-found page: a GTIN, a label id or a certificate number."""
    from sqlalchemy import select

    query = (request.args.get("q") or "").strip()[:64]
    if not query:
        return not_found()
    digits = query.replace(" ", "").replace("-", "")
    if digits.isdigit():
        try:
            return redirect(url_for("disclosure.gs1_resolver", gtin=normalise_gtin(digits)))
        except GtinError as error:
            return not_found(query, problem=error.message)
    label = services.label_by_public_id(db.session, query) or db.session.scalar(
        select(Label).where(Label.certificate_number == query.upper())
    )
    if label is None:
        return not_found(query)
    return redirect(url_for("disclosure.label_page", public_id=label.public_id))


@bp.route("/l/<public_id>/pact.json")
@public
def label_pact(public_id: str) -> Response:
    """The label as a PACT v3.0 ProductFootprint (docs/pact.md); 404 for a label whose declared unit PACT cannot
    express (rather than a wrong document)."""
    from registry.disclosure import pact

    label = services.label_by_public_id(db.session, public_id)
    if label is None or not pact.representable(label):
        abort(404)
    try:
        document = pact.product_footprint(label, current_app.config["PUBLIC_HOST"])
    except pact.NotRepresentable:
        abort(404)
    return published_json(document, max_age=PAGE_MAX_AGE)
