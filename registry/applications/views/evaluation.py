"""The verifier's side: the conflict-of-interest declaration, then the evaluation workspace (checklist,
findings in rounds, statement, recommendation) on the file page."""

from __future__ import annotations

from flask import abort
from flask.typing import ResponseReturnValue

from registry.applications.forms import (
    ActionForm,
    ChecklistForm,
    CloseFindingForm,
    DeclarationForm,
    FindingForm,
    RecommendForm,
    StatementForm,
)
from registry.applications.models import Application, Finding
from registry.applications.services import evaluation, review
from registry.applications.views.common import act, bp, load
from registry.database import db
from registry.edge import current_actor
from registry.forms import filled
from registry.permissions import Permission, requires


@bp.route("/<int:application_id>/declaration", methods=["POST"])
@requires(Permission.EVALUATE)
def declare(application_id: int) -> ResponseReturnValue:
    application = load(application_id)
    form = DeclarationForm(prefix="declaration")
    return act(
        application,
        "declaration_form",
        form,
        lambda: review.declare_interest(
            db.session, current_actor(), application, conflict=form.conflict.data == "yes", details=form.details.data
        ),
    )


@bp.route("/<int:application_id>/start", methods=["POST"])
@requires(Permission.EVALUATE)
def start(application_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = ActionForm()
    return act(
        application,
        "action_form",
        form,
        lambda: evaluation.start_evaluation(db.session, current_actor(), application),
        anchor="#evaluation",
    )


@bp.route("/<int:application_id>/checklist/<mode>", methods=["POST"])
@requires(Permission.EVALUATE)
def complete_item(application_id: int, mode: str) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = ChecklistForm(prefix="checklist")
    return act(
        application,
        "checklist_form",
        form,
        lambda: evaluation.complete_checklist_item(
            db.session,
            current_actor(),
            application,
            mode,
            notes=form.notes.data,
            site_date=form.site_date.data,
            site_place=form.site_place.data,
        ),
        failed=f"checklist_{mode}",
        anchor="#evaluation",
    )


@bp.route("/<int:application_id>/findings", methods=["POST"])
@requires(Permission.EVALUATE)
def raise_finding(application_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = FindingForm(prefix="finding")
    return act(
        application,
        "finding_form",
        form,
        lambda: evaluation.raise_finding(
            db.session, current_actor(), application, severity=form.severity.data, description=filled(form.description)
        ),
        anchor="#findings",
    )


def _finding(application_id: int, finding_id: int) -> tuple[Application, Finding]:
    application = load(application_id, confidential=True)
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.application_id != application.id:
        abort(404)
    return application, finding


@bp.route("/<int:application_id>/findings/<int:finding_id>/delete", methods=["POST"])
@requires(Permission.EVALUATE)
def delete_finding(application_id: int, finding_id: int) -> ResponseReturnValue:
    application, finding = _finding(application_id, finding_id)
    form = ActionForm()
    return act(
        application,
        "action_form",
        form,
        lambda: evaluation.delete_unsent_finding(db.session, current_actor(), application, finding),
        anchor="#findings",
    )


@bp.route("/<int:application_id>/findings/<int:finding_id>/close", methods=["POST"])
@requires(Permission.EVALUATE)
def close_finding(application_id: int, finding_id: int) -> ResponseReturnValue:
    application, finding = _finding(application_id, finding_id)
    form = CloseFindingForm(prefix="close")
    return act(
        application,
        "close_form",
        form,
        lambda: evaluation.close_finding(db.session, current_actor(), application, finding, note=filled(form.note)),
        failed=f"close_{finding.id}",
        anchor="#findings",
    )


@bp.route("/<int:application_id>/issue-findings", methods=["POST"])
@requires(Permission.EVALUATE)
def issue_findings(application_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = ActionForm()
    return act(
        application,
        "action_form",
        form,
        lambda: evaluation.issue_findings(db.session, current_actor(), application),
        anchor="#findings",
    )


@bp.route("/<int:application_id>/statement", methods=["POST"])
@requires(Permission.EVALUATE)
def statement(application_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = StatementForm(prefix="statement")
    return act(
        application,
        "statement_form",
        form,
        lambda: evaluation.sign_statement(
            db.session,
            current_actor(),
            application,
            assurance=form.assurance.data,
            opinion=form.opinion.data,
            materiality_percent=form.materiality_percent.data,
            summary=filled(form.summary),
        ),
        anchor="#statement",
    )


@bp.route("/<int:application_id>/recommend", methods=["POST"])
@requires(Permission.EVALUATE)
def recommend(application_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = RecommendForm(prefix="recommend")
    return act(
        application,
        "recommend_form",
        form,
        lambda: evaluation.recommend(
            db.session, current_actor(), application, outcome=form.outcome.data, reasons=filled(form.reason)
        ),
    )
