"""Surveillance pages: the due and overdue list (a body's staff: their body's labels, with the administrator's
assignment; a verifier: what is assigned to them; a regulator: every body's, overdue first), and one
surveillance's page, where the assigned verifier records the evaluation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.accounts.models import Role
from registry.database import db, utcnow
from registry.edge import current_actor
from registry.forms import submit
from registry.labels.lifecycle import china_today
from registry.labels.models import Label
from registry.permissions import Permission, requires
from registry.surveillance import services
from registry.surveillance.forms import AssignSurveillanceForm, EvaluationForm
from registry.surveillance.models import Surveillance
from registry.surveillance.permissions import (
    can_assign_surveillance,
    can_evaluate_surveillance,
    can_view_surveillance,
)

bp = Blueprint("surveillance", __name__, url_prefix="/surveillance")


@bp.route("/")
@requires(Permission.VIEW_LABELS)
def index() -> ResponseReturnValue:
    if current_user.role not in (Role.BODY_ADMIN, Role.VERIFIER, Role.DECISION_MAKER, Role.REGULATOR):
        abort(404)
    items = services.due_list(db.session, current_user)
    forms = {}
    if current_user.role is Role.BODY_ADMIN:
        for item in items:
            forms[item.label.id] = _assign_form(item.label, prefix=f"l{item.label.id}", formdata=None)
    return render_template(
        "surveillance/index.html",
        items=items,
        assign_forms=forms,
        mine=services.assigned_to(db.session, current_user),
        days=services.DUE_SOON_DAYS,
        today=china_today(),
    )


def _assign_form(label: Label, **kwargs: object) -> AssignSurveillanceForm:
    form = AssignSurveillanceForm(**kwargs)
    form.verifier_id.choices = [
        (u.id, f"{u.name} · {u.role.label}") for u in services.eligible_verifiers(db.session, label)
    ]
    return form


@bp.route("/labels/<public_id>/assign", methods=["POST"])
@requires(Permission.REVIEW_APPLICATIONS)
def assign(public_id: str) -> ResponseReturnValue:
    label = db.session.scalar(select(Label).where(Label.public_id == public_id))
    if label is None or not can_assign_surveillance(current_user, label):
        abort(404)
    form = _assign_form(label, prefix=f"l{label.id}")
    outcome = submit(form, lambda: services.assign_verifier(db.session, current_actor(), label, form.verifier_id.data))
    if outcome.done:
        flash(_("Verifier assigned to the surveillance of %(number)s.", number=label.certificate_number), "success")
    else:
        for message in [*form.form_errors, *(error for errors in form.errors.values() for error in errors)]:
            flash(str(message), "error")
    return redirect(url_for("surveillance.index"))


def _own(surveillance_id: int) -> Surveillance:
    surveillance = db.session.get(Surveillance, surveillance_id)
    if surveillance is None or not (
        can_view_surveillance(current_user, surveillance.label) or can_evaluate_surveillance(current_user, surveillance)
    ):
        abort(404)
    if current_user.role is Role.VERIFIER and surveillance.verifier_id != current_user.id:
        abort(404)  # a verifier sees the surveillances assigned to them
    return surveillance


@bp.route("/<int:surveillance_id>")
@requires(Permission.VIEW_LABELS)
def detail(surveillance_id: int) -> ResponseReturnValue:
    return _render(_own(surveillance_id), EvaluationForm(formdata=None))


@bp.route("/<int:surveillance_id>/evaluate", methods=["POST"])
@requires(Permission.EVALUATE)
def evaluate(surveillance_id: int) -> ResponseReturnValue:
    surveillance = _own(surveillance_id)
    form = EvaluationForm()
    outcome = submit(
        form,
        lambda: services.record_evaluation(
            db.session,
            current_actor(),
            surveillance,
            outcome=form.outcome.data,
            findings=form.findings.data,
            no_conflict=bool(form.no_conflict.data),
            public_reason=form.public_reason.data,
            resolve_by=form.resolve_by.data,
            evidence=form.evidence_hashes(),
        ),
    )
    if outcome.done:
        flash(_("Surveillance evaluation recorded."), "success")
        return redirect(url_for("surveillance.detail", surveillance_id=surveillance.id))
    return _render(surveillance, form, outcome.status)


def _render(surveillance: Surveillance, form: EvaluationForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "surveillance/detail.html",
        surveillance=surveillance,
        label=surveillance.label,
        form=form,
        may_evaluate=surveillance.evaluation is None and can_evaluate_surveillance(current_user, surveillance),
        now=utcnow(),
    ), status
