"""Spot checks: the regulator's pages (make a draw, see its inspectors, record results) and the public ones
(``/spot-checks``, each draw's page and its JSON, from which anyone can reproduce the draw)."""

from __future__ import annotations

from typing import TypeVar

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.database import db
from registry.edge import current_actor, published_json
from registry.forms import submit
from registry.i18n import current_language
from registry.inspections import draw as algorithm, services
from registry.inspections.forms import DrawForm, ResultForm
from registry.inspections.models import CheckOutcome, SpotCheckDraw, SpotCheckItem
from registry.inspections.permissions import can_record_result, can_view_draw
from registry.labels.lifecycle import MAX_SUSPENSION_DAYS
from registry.labels.models import Label
from registry.organisations.models import Organisation, OrganisationKind
from registry.organisations.uscc import PROVINCES
from registry.permissions import Permission, public, requires
from registry.schemes.services import list_schemes

bp = Blueprint("inspections", __name__)
T = TypeVar("T")

PUBLIC_MAX_AGE = 60
_IDS = range(1, 2**31)  # what an INTEGER id column holds on both engines; anything else in a URL is a 404


def _get(model: type[T], object_id: int) -> T | None:
    return db.session.get(model, object_id) if object_id in _IDS else None


# --- the regulator's side -----------------------------------------------------------------------------------------


@bp.route("/inspections/")
@requires(Permission.RUN_SPOT_CHECKS)
def index() -> ResponseReturnValue:
    return render_template(
        "inspections/index.html",
        draws=services.list_draws(db.session, regulator_id=current_user.organisation_id),
        assigned=services.assigned_to(db.session, current_user),
    )


def _draw_form(form: DrawForm) -> DrawForm:
    english = current_language().startswith("en")
    schemes = list_schemes(db.session)
    form.scheme.choices = [("", _("Any"))] + [(s.code, s.code) for s in schemes]
    bodies = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.CERTIFICATION_BODY)
        .order_by(Organisation.body_code)
    )
    form.body.choices = [("", _("Any"))] + [
        (b.body_code or "", f"{b.body_code} · {b.display_name(current_language())}") for b in bodies
    ]
    form.region.choices = [("", _("Any"))] + [
        (code, f"{code} · {names[1] if english else names[0]}") for code, names in sorted(PROVINCES.items())
    ]
    categories = sorted({s.category_code for s in schemes})
    form.category.choices = [("", _("Any"))] + [(c, c) for c in categories]
    form.pool.choices = [
        (p.id, f"{p.name} <{p.email}>") for p in services.inspectors(db.session, current_user.organisation_id)
    ]
    return form


@bp.route("/inspections/new", methods=["GET", "POST"])
@requires(Permission.RUN_SPOT_CHECKS)
def new_draw() -> ResponseReturnValue:
    form = _draw_form(DrawForm())
    if form.is_submitted():
        outcome = submit(
            form,
            lambda: services.make_draw(
                db.session,
                current_actor(),
                services.DrawFilter(
                    scheme=form.scheme.data or "",
                    body=form.body.data or "",
                    region=form.region.data or "",
                    category=form.category.data or "",
                ),
                form.count.data or 0,
                form.pool.data or [],
            ),
        )
        if outcome.done:
            flash(_("The draw is made and published. Its seed: %(seed)s", seed=outcome.result.seed), "success")
            return redirect(url_for("inspections.draw_detail", draw_id=outcome.result.id))
        return render_template("inspections/new.html", form=form), outcome.status
    return render_template("inspections/new.html", form=form)


def _own_draw(draw_id: int) -> SpotCheckDraw:
    draw = _get(SpotCheckDraw, draw_id)
    if draw is None or not can_view_draw(current_user, draw):
        abort(404)
    return draw


@bp.route("/inspections/<int:draw_id>")
@requires(Permission.RUN_SPOT_CHECKS)
def draw_detail(draw_id: int) -> ResponseReturnValue:
    draw = _own_draw(draw_id)
    return render_template(
        "inspections/draw.html", draw=draw, can_record=lambda item: can_record_result(current_user, item)
    )


def _own_item(item_id: int) -> SpotCheckItem:
    item = _get(SpotCheckItem, item_id)
    if item is None or not can_view_draw(current_user, item.draw):
        abort(404)
    return item


@bp.route("/inspections/checks/<int:item_id>", methods=["GET", "POST"])
@requires(Permission.RUN_SPOT_CHECKS)
def check(item_id: int) -> ResponseReturnValue:
    item = _own_item(item_id)
    allowed = can_record_result(current_user, item) and item.result is None
    form = ResultForm()
    if form.is_submitted():
        if not can_record_result(current_user, item):
            abort(403)
        outcome = submit(
            form,
            lambda: services.record_result(
                db.session,
                current_actor(),
                item,
                outcome=form.outcome.data or "",
                findings=form.findings.data or "",
                evidence_sha256=form.evidence_sha256.data,
                suspend=bool(form.suspend.data),
                resolve_by=form.resolve_by.data,
            ),
        )
        if outcome.done:
            flash(_("The result is recorded and published."), "success")
            return redirect(url_for("inspections.check", item_id=item.id))
        return render_template(
            "inspections/check.html", item=item, form=form, allowed=True, days=MAX_SUSPENSION_DAYS
        ), outcome.status
    return render_template("inspections/check.html", item=item, form=form, allowed=allowed, days=MAX_SUSPENSION_DAYS)


# --- the public side ---------------------------------------------------------------------------------------------


def _public_draw(draw_id: int) -> SpotCheckDraw:
    draw = _get(SpotCheckDraw, draw_id)
    if draw is None:
        abort(404)
    return draw


def _label_url(label: Label) -> str:
    return f"https://{current_app.config['PUBLIC_HOST']}{url_for('disclosure.label_page', public_id=label.public_id)}"


@bp.route("/spot-checks")
@public
def public_list() -> ResponseReturnValue:
    return render_template("inspections/public_list.html", draws=services.list_draws(db.session))


@bp.route("/spot-checks/<int:draw_id>")
@public
def public_draw(draw_id: int) -> ResponseReturnValue:
    draw = _public_draw(draw_id)
    return render_template(
        "inspections/public_draw.html", draw=draw, CheckOutcome=CheckOutcome, algorithm_name=algorithm.ALGORITHM
    )


@bp.route("/spot-checks/<int:draw_id>.json")
@public
def public_draw_json(draw_id: int) -> Response:
    draw = _public_draw(draw_id)
    return published_json(services.public_document(draw, _label_url), max_age=PUBLIC_MAX_AGE)
