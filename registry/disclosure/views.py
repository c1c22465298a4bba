"""The public disclosure pages: the label page a scanned QR code opens (``/l/{label-id}`` and the GS1 Digital
Link resolver ``/01/{GTIN}``) and its JSON document. Public, cacheable for a minute, readable without
JavaScript, in Chinese and English."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from registry.database import db
from registry.disclosure import services
from registry.edge import public_page, published, published_json
from registry.labels.models import Label, LabelStatus
from registry.labels.tokens import footprint_grams
from registry.permissions import public
from registry.products.gtin import GtinError, normalise_gtin
from registry.schemes.labels import STAGE_LABELS

bp = Blueprint("disclosure", __name__)

ASSURANCE_NAMES = {"reasonable": _l("Reasonable assurance"), "limited": _l("Limited assurance")}
OPINION_NAMES = {"unmodified": _l("Unmodified opinion"), "modified": _l("Modified opinion"), "adverse": _l("Adverse opinion")}
BANNER_TITLES = {
    LabelStatus.SUSPENDED: _l("This label is suspended"),
    LabelStatus.WITHDRAWN: _l("This label has been withdrawn"),
    LabelStatus.CANCELLED: _l("This label has been cancelled"),
    LabelStatus.EXPIRED: _l("This label has expired"),
    LabelStatus.SUPERSEDED: _l("This label has been replaced"),
}
BANNER_TEXTS = {
    LabelStatus.SUSPENDED: _l("The certification body has suspended it while a problem is resolved. Do not rely on the value shown until it is restored."),
    LabelStatus.WITHDRAWN: _l("The certification body withdrew it. The value shown is no longer certified."),
    LabelStatus.CANCELLED: _l("The holder cancelled it. The value shown is no longer certified."),
    LabelStatus.EXPIRED: _l("Its validity has ended. The value shown is no longer certified."),
    LabelStatus.SUPERSEDED: _l("A newer label replaced it after a change or renewal. The value shown was certified for its own period."),
}


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "json_ld": json_ld,
        "footprint_grams": footprint_grams,
        "stage_name": lambda code: STAGE_LABELS.get(code, code),
        "assurance_name": lambda value: ASSURANCE_NAMES[str(value)],
        "opinion_name": lambda value: OPINION_NAMES[str(value)],
        "status_banner_title": lambda status: BANNER_TITLES[status],
        "status_banner_text": lambda status: BANNER_TEXTS[status],
        "LabelStatus": LabelStatus,
    }


@bp.app_template_filter("reject_key")
def reject_key(mapping: dict[str, str], key: str) -> dict[str, str]:
    """The mapping without ``key`` (the catalogue's first-page link drops the cursor)."""
    return {k: v for k, v in mapping.items() if k != key}

PAGE_MAX_AGE = 60  # the page shows a status


def _page(html: str, status: int = 200) -> Response:
    return public_page(html, status=status, max_age=PAGE_MAX_AGE)


def _render_label(label: Label, *, scanned_path: str, history: list[Label] | None = None) -> Response:
    from registry.disclosure import charts, pact

    values = services.category_footprints(db.session, label)
    return _page(render_template(
        "disclosure/label.html", label=label, scanned_path=scanned_path, history=history or [label],
        current=services.current_label(history or [label]), category_values=values,
        bins=charts.histogram_bins(values), percentile=charts.percentile_rank(values, label.footprint),
        stages=services.stages(label), statement=services.statement_for(db.session, label), charts=charts,
        host=current_app.config["PUBLIC_HOST"], pact_available=pact.representable(label),
    ))


def not_found(query: str = "") -> Response:
    return _page(render_template("disclosure/not_found.html", query=query), status=404)


@bp.route("/l/<public_id>")
@public
def label_page(public_id: str) -> Response:
    label = services.label_by_public_id(db.session, public_id)
    if label is None:
        return not_found(public_id)
    history = services.labels_of_product(db.session, label.product)
    return _render_label(label, scanned_path=request.path, history=history)


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
def gs1_resolver(gtin: str, lot: str | None = None, serial: str | None = None) -> Response:
    """GS1 Digital Link: the product's current label. GTIN-8, -12 and -13 forms redirect to the GTIN-14 form
    (keeping batch and serial), so every product has one address."""
    try:
        gtin14 = normalise_gtin(gtin) if gtin.isdigit() else None
    except GtinError:
        gtin14 = None
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
    return _render_label(label, scanned_path=request.path, history=labels)


SCHEMA_FILE = Path(__file__).parent / "schemas" / "label-v1.json"


@bp.route("/schemas/label-v1.json")
@public
def label_schema() -> Response:
    """The JSON Schema of ``/l/{label-id}.json`` (documented in docs/public-data.md)."""
    response = Response(SCHEMA_FILE.read_bytes(), content_type="application/schema+json")
    return published(response, max_age=24 * 3600)


@bp.route("/lookup")
@public
def lookup() -> Response:
    """The search box of the not-found page: a GTIN, a label id or a certificate number."""
    from sqlalchemy import select

    query = (request.args.get("q") or "").strip()[:64]
    if not query:
        return not_found()
    digits = query.replace(" ", "").replace("-", "")
    if digits.isdigit():
        try:
            return redirect(url_for("disclosure.gs1_resolver", gtin=normalise_gtin(digits)))  # type: ignore[return-value]
        except GtinError:
            return not_found(query)
    label = services.label_by_public_id(db.session, query) or db.session.scalar(
        select(Label).where(Label.certificate_number == query.upper())
    )
    if label is None:
        return not_found(query)
    return redirect(url_for("disclosure.label_page", public_id=label.public_id))  # type: ignore[return-value]


def json_ld(label: Label, host: str) -> str:
    """schema.org ``Product`` with its certification, for search engines and platforms (embedded in the page)."""
    product = label.product
    document = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name_zh,
        **({"alternateName": product.name_en} if product.name_en else {}),
        "model": product.model,
        **({"gtin14": product.gtin} if product.gtin else {}),
        "manufacturer": {"@type": "Organization", "name": label.holder.name_zh},
        "hasCertification": {
            "@type": "Certification",
            "name": "产品碳足迹标识 Product carbon footprint label",
            "identifier": label.certificate_number,
            "url": f"https://{host}/l/{label.public_id}",
            "certificationStatus": "CertificationActive" if label.status.value == "valid" else "CertificationInactive",
            "issuedBy": {"@type": "Organization", "name": label.body.name_zh},
            "validFrom": label.valid_from.isoformat(),
            "expires": label.valid_until.isoformat(),
            "certificationRating": {"@type": "Rating", "ratingValue": label.grade_code},
            "hasMeasurement": {
                "@type": "QuantitativeValue", "value": f"{label.footprint.normalize():f}",
                "unitText": f"kg CO2e per {label.scheme_version.declared_unit}",
            },
        },
    }
    # Escape "<" so the JSON cannot close the script element it sits in.
    return json.dumps(document, ensure_ascii=False).replace("<", "\\u003c")


# --- the public API --------------------------------------------------------------------------------------------


def api_item(label: Label, host: str) -> dict[str, object]:
    """One label in the public API: identity, status, scheme, value, and where to find the rest."""
    return {
        "id": label.public_id,
        "certificate_number": label.certificate_number,
        "gtin": label.product.gtin,
        "status": label.status.value,
        "scheme": label.scheme_version.code,
        "scheme_version": label.scheme_version.version,
        "product": {"name_zh": label.product.name_zh, "name_en": label.product.name_en, "model": label.product.model},
        "holder": {"name_zh": label.holder.name_zh, "name_en": label.holder.name_en},
        "footprint_kg_co2e": f"{label.footprint.normalize():f}",
        "declared_unit": label.scheme_version.declared_unit,
        "grade": label.grade_code,
        "valid_until": label.valid_until.isoformat(),
        "qr_url": label.qr_url(host),
        "url": f"https://{host}/l/{label.public_id}",
        "json": f"https://{host}/l/{label.public_id}.json",
    }


def _api_error(message: str, status: int = 400) -> Response:
    response = Response(json.dumps({"error": "bad_request" if status == 400 else "not_found", "message": message}),
                        status=status, content_type="application/json")
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
            raise SearchError("limit must be between 1 and 100")
        labels, cursor = search(db.session, filters, limit=limit, after=request.args.get("after") or None)
    except ValueError as error:  # SearchError, or a limit that is not a number
        message = str(error) if isinstance(error, SearchError) else "limit must be a whole number between 1 and 100"
        return _api_error(message)
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
    return published_json({**api_item(label, host), "record": services.public_document(db.session, label, host)}, max_age=PAGE_MAX_AGE)


# --- embeds ----------------------------------------------------------------------------------------------------

BADGE_COLOURS = {"valid": "#0B6B45", "suspended": "#B45309"}
BADGE_STATUS = {
    "valid": ("有效", "Valid"), "suspended": ("已暂停", "Suspended"), "withdrawn": ("已撤销", "Withdrawn"),
    "cancelled": ("已注销", "Cancelled"), "expired": ("已过期", "Expired"), "superseded": ("已取代", "Superseded"),
}


@bp.route("/badge/<public_id>.svg")
@public
def badge(public_id: str) -> Response:
    """A small bilingual SVG badge for product pages on e-commerce platforms. It always shows the label's
    current status (cacheable for at most a minute) and links nowhere itself: the platform wraps it in a link."""
    from markupsafe import escape

    label = services.label_by_public_id(db.session, public_id)
    if label is None:
        abort(404)
    status = label.status.value
    zh, en = BADGE_STATUS[status]
    colour = BADGE_COLOURS.get(status, "#B42318")
    value = f"{label.footprint.normalize():f} kg CO₂e/{label.scheme_version.declared_unit}"
    title = f"碳足迹标识 Carbon footprint label {label.certificate_number}: {value}, {zh} {en}"
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="44" viewBox="0 0 240 44" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        '<rect width="240" height="44" rx="6" fill="#FFFFFF" stroke="#C5D2CA"/>'
        f'<rect width="64" height="44" rx="6" fill="{colour}"/><rect x="58" width="6" height="44" fill="{colour}"/>'
        '<g font-family="\'Noto Sans CJK SC\', \'Noto Sans SC\', sans-serif" font-size="11">'
        '<text x="32" y="19" fill="#FFFFFF" text-anchor="middle" font-weight="700">碳足迹</text>'
        '<text x="32" y="33" fill="#FFFFFF" text-anchor="middle" font-size="9">CO₂e</text>'
        f'<text x="72" y="19" fill="#1A1A1A" font-weight="700">{escape(value)}</text>'
        f'<text x="72" y="34" fill="{colour}">{escape(zh)} {escape(en)} · {escape(label.grade_code)}级 Grade {escape(label.grade_code)}</text>'
        '</g></svg>'
    )
    response = Response(svg, content_type="image/svg+xml")
    return published(response, max_age=PAGE_MAX_AGE)


# --- statistics ------------------------------------------------------------------------------------------------


@bp.route("/statistics")
@public
def statistics_page() -> Response:
    from registry.disclosure import charts, statistics

    return _page(render_template("disclosure/statistics.html", summary=statistics.summary(db.session), charts=charts))


@bp.route("/statistics.csv")
@public
def statistics_csv() -> Response:
    from registry.disclosure import statistics

    response = Response(statistics.csv_text(db.session), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="carbon-label-statistics.csv"'
    return published(response, max_age=PAGE_MAX_AGE)


# --- the catalogue, comparison, organisations -------------------------------------------------------------------

COMPARE_MAX = 4


@bp.route("/catalogue")
@public
def catalogue() -> Response:
    """碳足迹产品目录库: search and filter every label; all state is in the URL, so a search can be shared."""
    from registry.disclosure.search import Filters, SearchError, search
    from registry.organisations.uscc import PROVINCES
    from registry.schemes.services import list_schemes

    args = request.args.to_dict()
    error = None
    try:
        filters = Filters.from_args(args)
        labels, cursor = search(db.session, filters, limit=20, after=args.get("after") or None)
    except SearchError as problem:
        filters, labels, cursor, error = Filters(), [], None, str(problem)
    next_args = {**{k: v for k, v in args.items() if k != "after" and v}, "after": cursor} if cursor else None
    return _page(render_template(
        "disclosure/catalogue.html", filters=filters, labels=labels, next_args=next_args, error=error,
        schemes=list_schemes(db.session), provinces=sorted(PROVINCES.items()), statuses=list(LabelStatus),
        first_page=bool(args.get("after")),
    ), status=200 if error is None else 400)


@bp.route("/compare")
@public
def compare() -> Response:
    """Up to four labels of one scheme side by side: values, life-cycle splits, grades."""
    ids = [value for value in request.args.getlist("id") if value][:COMPARE_MAX + 1]
    labels = [label for label in (services.label_by_public_id(db.session, i) for i in dict.fromkeys(ids)) if label]
    problem = None
    if len(ids) > COMPARE_MAX:
        problem = _l("Compare at most four products at a time.")
    elif len(labels) < 2:
        problem = _l("Choose two to four products of the same scheme in the catalogue to compare them.")
    elif len({label.scheme_version.scheme_id for label in labels}) > 1:
        problem = _l("Only products certified under the same scheme can be compared: their declared units and boundaries differ.")
    stage_codes: list[str] = []
    for label in labels:
        for stage in services.stages(label):
            if stage.code not in stage_codes:
                stage_codes.append(stage.code)
    stage_values = {label.id: {stage.code: stage.value for stage in services.stages(label)} for label in labels}
    return _page(render_template(
        "disclosure/compare.html", labels=labels if problem is None else [], problem=problem,
        stage_codes=stage_codes, stage_values=stage_values,
    ), status=200 if problem is None else 400)


@bp.route("/enterprises/<uscc>")
@public
def enterprise(uscc: str) -> Response:
    from sqlalchemy import select

    from registry.organisations.models import Organisation, OrganisationKind

    organisation = db.session.scalar(
        select(Organisation).where(Organisation.uscc == uscc.upper(), Organisation.kind == OrganisationKind.ENTERPRISE)
    )
    if organisation is None:
        return not_found(uscc)
    labels = list(db.session.scalars(select(Label).where(Label.holder_id == organisation.id).order_by(Label.issued_at.desc())))
    return _page(render_template("disclosure/organisation.html", organisation=organisation, labels=labels, role="holder"))


@bp.route("/bodies/<code>")
@public
def body(code: str) -> Response:
    from sqlalchemy import select

    from registry.organisations.models import Organisation, OrganisationKind

    organisation = db.session.scalar(
        select(Organisation).where(Organisation.body_code == code.upper(), Organisation.kind == OrganisationKind.CERTIFICATION_BODY)
    )
    if organisation is None:
        return not_found(code)
    labels = list(db.session.scalars(select(Label).where(Label.body_id == organisation.id).order_by(Label.issued_at.desc())))
    counts = {status: sum(1 for label in labels if label.status is status) for status in LabelStatus}
    return _page(render_template("disclosure/organisation.html", organisation=organisation, labels=labels, role="body", counts=counts))


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
    return _page(render_template("disclosure/developers.html", example=example, host=current_app.config["PUBLIC_HOST"]))
