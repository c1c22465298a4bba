"""The catalogue (碳足迹产品目录库), comparison, the pages of enterprises and certification bodies, statistics."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.database import db
from registry.disclosure import services
from registry.disclosure.cache import PAGE_MAX_AGE, cached_page
from registry.disclosure.views.common import bp, not_found, page_response
from registry.edge import published
from registry.labels.models import Label, LabelStatus
from registry.organisations.models import Organisation, OrganisationKind
from registry.permissions import public

# --- the catalogue, comparison, organisations -------------------------------------------------------------------

COMPARE_MAX = 4
PAGE_SIZE = 20


@bp.route("/catalogue")
@public
@cached_page
def catalogue() -> Response:
    """碳足迹产品目录库: search and filter every label; all state is in the URL, so a search can be shared."""
    from registry.disclosure.search import Filters, SearchError, count, search
    from registry.organisations.uscc import PROVINCES
    from registry.schemes.services import list_schemes

    args = request.args.to_dict()
    filters, error, found = Filters(), None, 0
    try:
        filters = Filters.from_args(args)
        labels, cursor = search(db.session, filters, limit=PAGE_SIZE, after=args.get("after") or None)
        found = count(db.session, filters)
    except SearchError as problem:  # a bad filter shows the defaults; a broken paging link keeps the search
        labels, cursor, error = [], None, _catalogue_problem(problem)
    search_args = {k: v for k, v in args.items() if k != "after" and v}  # the first page of this search
    next_args = {**search_args, "after": cursor} if cursor else None
    return page_response(
        render_template(
            "disclosure/catalogue.html",
            filters=filters,
            labels=labels,
            found=found,
            comparable=len({label.scheme_version.scheme_id for label in labels}) <= 1,
            next_args=next_args,
            error=error,
            schemes=list_schemes(db.session),
            provinces=sorted(PROVINCES.items()),
            statuses=list(LabelStatus),
            first_args=search_args if args.get("after") else None,
        ),
        status=200 if error is None else 400,
    )


def _catalogue_problem(problem: Any) -> str:
    """A bad filter as the catalogue's reader knows it: by the name of its field, not the URL's parameter."""
    names = {"sort": _l("Sort"), "status": _l("Status"), "region": _l("Region")}
    if problem.parameter in names:
        return str(
            _l(
                "This search address has a value for “%(filter)s” the catalogue does not know. Choose it again below.",
                filter=names[problem.parameter],
            )
        )
    return str(problem)


@bp.route("/compare")
@public
@cached_page
def compare() -> Response:
    """Up to four labels of one scheme side by side: values, life-cycle splits, grades."""
    ids = [value for value in request.args.getlist("id") if value][: COMPARE_MAX + 1]
    labels = [label for label in (services.label_by_public_id(db.session, i) for i in dict.fromkeys(ids)) if label]
    problem = None
    if len(ids) > COMPARE_MAX:
        problem = _l("Compare at most four products at a time.")
    elif len(labels) < 2:
        problem = _l("Choose two to four products of the same scheme in the catalogue to compare them.")
    elif len({label.scheme_version.scheme_id for label in labels}) > 1:
        problem = _l(
            "Only products certified under the same scheme can be compared: their declared units and boundaries differ."
        )
    stage_values = {label.id: {stage.code: stage.value for stage in services.stages(label)} for label in labels}
    stage_codes = list(dict.fromkeys(code for values in stage_values.values() for code in values))  # in stage order
    return page_response(
        render_template(
            "disclosure/compare.html",
            labels=labels if problem is None else [],
            problem=problem,
            stage_codes=stage_codes,
            stage_values=stage_values,
        ),
        status=200 if problem is None else 400,
    )


@bp.route("/enterprises/<uscc>")
@public
@cached_page
def enterprise(uscc: str) -> Response:
    return _organisation_page(OrganisationKind.ENTERPRISE, Organisation.uscc, uscc, Label.holder_id)


@bp.route("/bodies/<code>")
@public
@cached_page
def body(code: str) -> Response:
    return _organisation_page(OrganisationKind.CERTIFICATION_BODY, Organisation.body_code, code, Label.body_id)


def _organisation_page(kind: OrganisationKind, identifier: Any, value: str, role_column: Any) -> Response:
    """An enterprise's labels (as holder) or a certification body's (as issuer, with status counts)."""
    organisation = db.session.scalar(select(Organisation).where(identifier == value.upper(), Organisation.kind == kind))
    if organisation is None:
        return not_found(value, kind="enterprise" if kind is OrganisationKind.ENTERPRISE else "body")
    labels = list(
        db.session.scalars(select(Label).where(role_column == organisation.id).order_by(Label.issued_at.desc()))
    )
    counts = {status: sum(1 for label in labels if label.status is status) for status in LabelStatus}
    role = "holder" if kind is OrganisationKind.ENTERPRISE else "body"
    record = None
    if role == "body":
        from registry.disclosure.statistics import body_record

        record = body_record(db.session, organisation)
    return page_response(
        render_template(
            "disclosure/organisation.html",
            organisation=organisation,
            labels=labels,
            role=role,
            counts=counts,
            record=record,
        )
    )


# --- statistics ------------------------------------------------------------------------------------------------


@bp.route("/statistics")
@public
@cached_page
def statistics_page() -> Response:
    from registry.disclosure import charts, statistics

    return page_response(
        render_template(
            "disclosure/statistics.html",
            summary=statistics.summary(db.session),
            charts=charts,
            bar_chart_svg=statistics.bar_chart_svg,
        )
    )


@bp.route("/statistics.csv")
@public
@cached_page
def statistics_csv() -> Response:
    from registry.disclosure import statistics

    response = Response(statistics.csv_text(db.session), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="carbon-label-statistics.csv"'
    return published(response, max_age=PAGE_MAX_AGE)
