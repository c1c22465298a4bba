"""The blueprint, loading an application for the person asking, and rendering the file page with its forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from registry.applications import checks, forms
from registry.applications.models import (
    Appeal,
    Application,
    ApplicationStatus,
    Capacity,
    Decision,
    Recommendation,
    Statement,
)
from registry.applications.permissions import (
    can_view_application,
    can_view_confidential,
)
from registry.applications.services import evaluation
from registry.applications.services.applicant import EDITABLE
from registry.applications.workflow import (
    Action,
    assignments_of,
    available_actions,
    may_act,
)
from registry.database import db
from registry.forms import submit
from registry.labels.services import label_for_application
from registry.schemes.names import STAGE_LABELS

bp = Blueprint("applications", __name__, url_prefix="/applications")


def load(application_id: int, *, confidential: bool = False) -> Application:
    """The application if this person may see it (and its confidential file, if asked); otherwise 404."""
    application = db.session.get(Application, application_id)
    if application is None:
        abort(404)
    assignments = assignments_of(db.session, application)
    if not can_view_application(current_user, application, assignments):
        abort(404)
    if confidential and not can_view_confidential(current_user, application, assignments):
        abort(404)
    return application


def boundary_stages(application: Application) -> list[str]:
    return list(application.spec.boundary.stages)


def default_forms(application: Application) -> dict[str, FlaskForm]:
    line_form = forms.LineForm(prefix="line")
    line_form.stage.choices = [(s, STAGE_LABELS[s]) for s in boundary_stages(application)]
    statement = db.session.get(Statement, application.id)
    statement_form = forms.StatementForm(prefix="statement", obj=statement)
    if statement is None:
        statement_form.materiality_percent.data = str(application.spec.certification.materiality_percent)
    return {
        "action_form": forms.ActionForm(),
        "reason_form": forms.ReasonForm(),
        "withdraw_form": forms.OptionalReasonForm(prefix="withdraw"),
        "line_form": line_form,
        "document_form": forms.DocumentForm(prefix="document"),
        "accept_form": forms.AcceptForm(prefix="accept"),
        "declaration_form": forms.DeclarationForm(prefix="declaration"),
        "finding_form": forms.FindingForm(prefix="finding"),
        "response_form": forms.ResponseForm(prefix="response"),
        "close_form": forms.CloseFindingForm(prefix="close"),
        "checklist_form": forms.ChecklistForm(prefix="checklist"),
        "statement_form": statement_form,
        "recommend_form": forms.RecommendForm(prefix="recommend"),
        "decision_form": (
            forms.AppealDecisionForm if application.status is ApplicationStatus.APPEALED else forms.DecisionForm
        )(prefix="decision"),
        "appeal_form": forms.AppealForm(prefix="appeal"),
    }


def act(
    application: Application,
    form_name: str,
    form: FlaskForm,
    action: Callable[[], Any],
    *,
    failed: str | None = None,
    anchor: str = "",
    done: str | None = None,
) -> ResponseReturnValue:
    """What every form on the file page does: one service call through ``registry.forms.submit``; on success
    back to the file (at ``anchor``) with ``done`` as a confirmation, otherwise the file page again with this
    form's input and the reason."""
    outcome = submit(form, action)
    if outcome.done:
        if done:
            flash(done, "success")
        return redirect(url_for("applications.detail", application_id=application.id) + anchor)
    return render_file(application, outcome.status, failed=failed or form_name, **{form_name: form})


def render_file(
    application: Application, status: int = 200, *, failed: str | None = None, **overrides: Any
) -> tuple[str, int]:
    """The application's page, with every form this person can use; a form that failed keeps its input."""
    session = db.session
    assignments = assignments_of(session, application)
    confidential = can_view_confidential(current_user, application, assignments)
    is_verifier = may_act(session, current_user, application, Capacity.VERIFIER)
    findings = evaluation.list_findings(session, application, include_unsent=is_verifier) if confidential else []
    failure_messages: list[str] = []
    if failed is not None:
        form = next((f for f in overrides.values() if isinstance(f, FlaskForm)), None)
        if form is not None:
            failure_messages = [str(m) for m in form.form_errors]
            if form.meta.csrf and form.csrf_token.errors:
                failure_messages.append(_("The form expired. Send it again."))
            if not failure_messages and form.errors:
                failure_messages.append(_("Check the form below: some entries need correcting."))
    actions = available_actions(session, current_user, application)
    my_assignment = next((a for a in assignments if a.verifier_id == current_user.id), None)
    context = {
        **default_forms(application),
        "blank_checklist_form": forms.ChecklistForm(prefix="checklist", formdata=None),
        "failure_messages": failure_messages,
        **overrides,
        "application": application,
        "assignments": assignments,
        "my_assignment": my_assignment,
        "confidential": confidential,
        "is_verifier": is_verifier,
        "actions": actions,
        "progress": verifier_progress(application, my_assignment, findings) if is_verifier and confidential else [],
        "ready_problems": checks.ready_to_recommend(session, application) if Action.RECOMMEND in actions else [],
        "Action": Action,
        "problems": checks.completeness_problems(application) if application.status in EDITABLE else [],
        "recomputation": checks.recompute(application) if confidential else None,
        "findings": findings,
        "checklist": evaluation.checklist(session, application) if confidential else [],
        "statement": session.get(Statement, application.id),
        "recommendation": session.get(Recommendation, application.id),
        "appeal": session.get(Appeal, application.id),
        "decisions": list(application_decisions(application)),
        "label": label_for_application(session, application.id),
        "failed": failed,
        "stages": boundary_stages(application),
    }
    return render_template("applications/detail.html", **context), status


def verifier_progress(application: Application, assignment: Any, findings: list[Any]) -> list[tuple[str, bool, str]]:
    """The verifier's steps in the order the work goes: (what, done, where on the page)."""
    session = db.session
    items = evaluation.checklist(session, application)
    done_items = sum(1 for item in items if item.completed_at is not None)
    open_findings = sum(1 for f in findings if f.blocks_recommendation)
    unsent = sum(1 for f in findings if f.round > application.findings_round)
    started = bool(items)  # starting the evaluation lays out the checklist
    return [
        (
            _("Conflict-of-interest declaration signed"),
            assignment is not None and assignment.declaration is not None,
            "#team",
        ),
        (_("Evaluation started"), started, "#actions"),
        (
            _("Checklist: %(done)d of %(total)d items done", done=done_items, total=len(items)),
            bool(items) and done_items == len(items),
            "#evaluation",
        ),
        (
            _("Findings: %(open)d open, %(unsent)d not sent yet", open=open_findings, unsent=unsent),
            started and open_findings == 0 and unsent == 0,
            "#findings",
        ),
        (_("Verification statement signed"), session.get(Statement, application.id) is not None, "#statement"),
        (
            _("Recommendation sent"),
            session.get(Recommendation, application.id) is not None,
            "#recommendation",
        ),
    ]


def application_decisions(application: Application) -> list[Decision]:
    from sqlalchemy import select

    return list(
        db.session.scalars(select(Decision).where(Decision.application_id == application.id).order_by(Decision.id))
    )
