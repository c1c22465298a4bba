"""The certification body's side: reviewing applications, assigning verifiers, deciding, appeals, and staff
members' standing declarations of relations with enterprises."""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from registry.applications.forms import (
    AcceptForm,
    AppealDecisionForm,
    AssignForm,
    DecisionForm,
    ReasonForm,
    RelationForm,
)
from registry.applications.models import RELATION_LABELS, ApplicationStatus, DeclaredRelation, Outcome
from registry.applications.services import decisions, review
from registry.applications.views.common import act, bp, load, render_file
from registry.database import db
from registry.edge import current_actor
from registry.forms import filled, submit
from registry.i18n import current_language
from registry.organisations.models import Organisation, OrganisationKind
from registry.permissions import Permission, requires


@bp.route("/<int:application_id>/accept", methods=["POST"])
@requires(Permission.REVIEW_APPLICATIONS)
def accept(application_id: int) -> ResponseReturnValue:
    application = load(application_id)
    form = AcceptForm(prefix="accept")
    outcome = submit(
        form,
        lambda: review.accept_application(
            db.session,
            current_actor(),
            application,
            complete=form.complete.data,
            competent=form.competent.data,
            notes=form.reason.data,
        ),
    )
    if outcome.done:
        return redirect(url_for("applications.assign", application_id=application.id))
    return render_file(application, outcome.status, failed="accept_form", accept_form=form)


@bp.route("/<int:application_id>/return", methods=["POST"])
@requires(Permission.REVIEW_APPLICATIONS)
def return_(application_id: int) -> ResponseReturnValue:
    return _reasoned(application_id, review.return_application)


@bp.route("/<int:application_id>/reject", methods=["POST"])
@requires(Permission.REVIEW_APPLICATIONS)
def reject(application_id: int) -> ResponseReturnValue:
    return _reasoned(application_id, review.reject_application)


def _reasoned(application_id: int, service: Callable[..., object]) -> ResponseReturnValue:
    application = load(application_id)
    form = ReasonForm()
    return act(
        application,
        "reason_form",
        form,
        lambda: service(db.session, current_actor(), application, reason=filled(form.reason)),
    )


@bp.route("/<int:application_id>/assign", methods=["GET", "POST"])
@requires(Permission.REVIEW_APPLICATIONS)
def assign(application_id: int) -> ResponseReturnValue:
    application = load(application_id)
    form = AssignForm()
    eligible = review.eligible_verifiers(db.session, application)
    form.verifier_ids.choices = [(u.id, f"{u.name} · {u.role.label}") for u in eligible]
    outcome = submit(
        form, lambda: review.assign_verifiers(db.session, current_actor(), application, form.verifier_ids.data or [])
    )
    if outcome.done:
        return redirect(url_for("applications.detail", application_id=application.id))
    return render_template(
        "applications/assign.html", application=application, form=form, eligible=eligible
    ), outcome.status


@bp.route("/<int:application_id>/decide", methods=["POST"])
@requires(Permission.DECIDE)
def decide(application_id: int) -> ResponseReturnValue:
    application = load(application_id)
    on_appeal = application.status is ApplicationStatus.APPEALED
    form = (AppealDecisionForm if on_appeal else DecisionForm)(prefix="decision")
    return act(
        application,
        "decision_form",
        form,
        lambda: decisions.decide_application(
            db.session,
            current_actor(),
            application,
            outcome=Outcome(form.outcome.data),
            reasons=filled(form.reason),
            on_appeal=on_appeal,
        ),
    )


@bp.route("/relations", methods=["GET", "POST"])
@requires(Permission.DECLARE_RELATIONS)
def relations() -> ResponseReturnValue:
    form = RelationForm()
    locale = current_language()
    enterprises = db.session.scalars(
        select(Organisation).where(Organisation.kind == OrganisationKind.ENTERPRISE).order_by(Organisation.name_zh)
    )
    form.organisation_id.choices = [(o.id, o.display_name(locale)) for o in enterprises]
    form.relation.choices = [(k.value, label) for k, label in RELATION_LABELS.items()]

    def action() -> DeclaredRelation:
        organisation = db.session.get(Organisation, form.organisation_id.data)
        assert organisation is not None
        return review.declare_relation(
            db.session, current_actor(), organisation, relation=form.relation.data, details=form.details.data
        )

    outcome = submit(form, action)
    if outcome.done:
        return redirect(url_for("applications.relations"))
    return render_template(
        "applications/relations.html", form=form, relations=review.list_relations(db.session, current_user)
    ), outcome.status
