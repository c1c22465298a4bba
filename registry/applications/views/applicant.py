"""The applicant's pages: applying, the footprint data, activity lines, documents, submitting, answering
findings, appealing; and the file page and list every role shares."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from registry.applications.forms import (
    ActionForm,
    AppealForm,
    DocumentForm,
    LineForm,
    NewApplicationForm,
    OptionalReasonForm,
    ResponseForm,
    footprint_form_class,
    stage_fields,
)
from registry.applications.models import Application, ApplicationStatus, Document, Finding
from registry.applications.services import applicant as services
from registry.applications.services.documents import path_of
from registry.applications.views.common import act, boundary_stages, bp, load, render_file
from registry.database import db
from registry.edge import current_actor
from registry.forms import filled, submit
from registry.i18n import current_language
from registry.organisations.models import Organisation
from registry.permissions import Permission, requires
from registry.products.models import Product
from registry.products.services import list_products
from registry.schemes.names import STAGE_LABELS
from registry.text import isolate


@bp.route("/")
@requires(Permission.VIEW_APPLICATIONS)
def index() -> ResponseReturnValue:
    status = request.args.get("status")
    statuses = (ApplicationStatus(status),) if status in set(ApplicationStatus) else None
    applications = services.list_applications(db.session, current_user, statuses=statuses)
    return render_template(
        "applications/index.html", applications=applications, status=status, ApplicationStatus=ApplicationStatus
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.APPLY)
def create() -> ResponseReturnValue:
    form = NewApplicationForm()
    locale = current_language()
    products = list_products(db.session, current_user.organisation_id)
    # An option holds text only: name and model are isolated so neither can reorder the other.
    form.product_id.choices = [(p.id, f"{isolate(p.display_name(locale))} · {isolate(p.model)}") for p in products]
    form.body_id.choices = [(b.id, b.display_name(locale)) for b in services.bodies(db.session)]
    if request.method == "GET" and request.args.get("product", "").isdigit():
        form.product_id.data = int(request.args["product"])

    existing: list[int] = []

    def action() -> Application:
        product = db.session.get(Product, form.product_id.data)
        body = db.session.get(Organisation, form.body_id.data)
        if product is None or body is None:
            abort(404)
        try:
            return services.start_application(db.session, current_actor(), product, body)
        except services.DuplicateDraft as duplicate:
            existing.append(duplicate.existing.id)
            raise

    outcome = submit(form, action)
    if outcome.done:
        flash(_("Application %(reference)s started as a draft.", reference=outcome.result.reference), "success")
        return redirect(url_for("applications.footprint", application_id=outcome.result.id))
    return render_template(
        "applications/new.html", form=form, products=products, existing_id=existing[0] if existing else None
    ), outcome.status


@bp.route("/<int:application_id>")
@requires(Permission.VIEW_APPLICATIONS)
def detail(application_id: int) -> ResponseReturnValue:
    return render_file(load(application_id))


@bp.route("/<int:application_id>/footprint", methods=["GET", "POST"])
@requires(Permission.APPLY)
def footprint(application_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    stages = boundary_stages(application)
    form_class = footprint_form_class(stages)
    form = form_class()
    if request.method == "GET":
        form.declared_footprint.data = _text(application.declared_footprint)
        form.period_start.data = application.period_start
        form.period_end.data = application.period_end
        form.primary_share_percent.data = _text(application.primary_share_percent)
        values = application.stage_values
        for stage, field in zip(stages, stage_fields(form, stages), strict=True):
            field.data = _text(values.get(stage))
    data = services.FootprintData(
        declared_footprint=form.declared_footprint.data,
        stage_values={stage: getattr(form, f"stage_{stage}").data for stage in stages},
        period_start=form.period_start.data,
        period_end=form.period_end.data,
        primary_share_percent=form.primary_share_percent.data,
    )
    outcome = submit(form, lambda: services.update_footprint(db.session, current_actor(), application, data))
    if outcome.done:
        flash(_("Footprint data saved."), "success")
        return redirect(url_for("applications.detail", application_id=application.id) + "#footprint")
    required = set(application.spec.boundary.required_stages)
    return render_template(
        "applications/footprint.html",
        application=application,
        form=form,
        stage_rows=[(stage, getattr(form, f"stage_{stage}"), stage in required) for stage in stages],
        STAGE_LABELS=STAGE_LABELS,
    ), outcome.status


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@bp.route("/<int:application_id>/lines", methods=["POST"])
@requires(Permission.APPLY)
def add_line(application_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = LineForm(prefix="line")
    form.stage.choices = [(s, STAGE_LABELS[s]) for s in boundary_stages(application)]
    data = services.LineData(
        stage=form.stage.data,
        description=form.description.data or "",
        quantity=form.quantity.data,
        quantity_unit=form.quantity_unit.data or "",
        factor_value=form.factor_value.data,
        factor_unit=form.factor_unit.data,
        factor_source=form.factor_source.data or "",
        data_kind=form.data_kind.data,
    )
    return act(
        application,
        "line_form",
        form,
        lambda: services.add_line(db.session, current_actor(), application, data),
        anchor="#lines",
        done=_("Activity line added."),
    )


@bp.route("/<int:application_id>/lines/<int:line_id>/delete", methods=["POST"])
@requires(Permission.APPLY)
def remove_line(application_id: int, line_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = ActionForm()
    return act(
        application,
        "action_form",
        form,
        lambda: services.remove_line(db.session, current_actor(), application, line_id),
        anchor="#lines",
    )


@bp.route("/<int:application_id>/documents", methods=["POST"])
@requires(Permission.APPLY)
def upload(application_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = DocumentForm(prefix="document")

    def action() -> Document:
        upload = form.file.data
        return services.upload_document(
            db.session,
            current_actor(),
            application,
            kind=form.kind.data,
            stream=upload.stream,
            name=upload.filename,
            folder=Path(current_app.config["UPLOAD_DIR"]),
            max_bytes=int(current_app.config["UPLOAD_MAX_BYTES"]),
        )

    return act(
        application,
        "document_form",
        form,
        action,
        anchor="#documents",
        done=_("Document uploaded: %(name)s.", name=form.file.data.filename if form.file.data else ""),
    )


@bp.route("/<int:application_id>/documents/<int:document_id>")
@requires(Permission.VIEW_APPLICATIONS)
def download(application_id: int, document_id: int) -> ResponseReturnValue:
    """Only to those who may see the confidential file, always as an attachment, never rendered inline."""
    application = load(application_id, confidential=True)
    document = db.session.get(Document, document_id)
    if document is None or document.application_id != application.id:
        abort(404)
    path = path_of(Path(current_app.config["UPLOAD_DIR"]), document.storage_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.original_name,
        conditional=True,
        etag=document.sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/<int:application_id>/submit", methods=["POST"])
@requires(Permission.APPLY)
def submit_application(application_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = ActionForm()
    return act(
        application,
        "action_form",
        form,
        lambda: services.submit_application(db.session, current_actor(), application),
        done=_("Application submitted to the certification body. You are notified when it is reviewed."),
    )


@bp.route("/<int:application_id>/withdraw", methods=["POST"])
@requires(Permission.APPLY)
def withdraw(application_id: int) -> ResponseReturnValue:
    application = load(application_id)
    form = OptionalReasonForm(prefix="withdraw")
    return act(
        application,
        "withdraw_form",
        form,
        lambda: services.withdraw_application(db.session, current_actor(), application, reason=form.reason.data),
    )


@bp.route("/<int:application_id>/findings/<int:finding_id>/respond", methods=["POST"])
@requires(Permission.APPLY)
def respond(application_id: int, finding_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.application_id != application.id or finding.round > application.findings_round:
        abort(404)
    form = ResponseForm(prefix="response")
    return act(
        application,
        "response_form",
        form,
        lambda: services.respond_to_finding(
            db.session,
            current_actor(),
            application,
            finding,
            response=filled(form.response),
            evidence=[services.Upload(f.stream, f.filename) for f in (form.evidence.data or []) if f and f.filename],
            folder=Path(current_app.config["UPLOAD_DIR"]),
            max_bytes=int(current_app.config["UPLOAD_MAX_BYTES"]),
        ),
        failed=f"response_{finding.id}",
        anchor="#findings",
        done=_("Your answer is saved. Send the answers when every finding has one."),
    )


@bp.route("/<int:application_id>/answer-findings", methods=["POST"])
@requires(Permission.APPLY)
def answer_findings(application_id: int) -> ResponseReturnValue:
    application = load(application_id, confidential=True)
    form = ActionForm()
    return act(
        application, "action_form", form, lambda: services.answer_findings(db.session, current_actor(), application)
    )


@bp.route("/<int:application_id>/appeal", methods=["POST"])
@requires(Permission.APPLY)
def appeal(application_id: int) -> ResponseReturnValue:
    application = load(application_id)
    form = AppealForm(prefix="appeal")
    return act(
        application,
        "appeal_form",
        form,
        lambda: services.appeal_refusal(db.session, current_actor(), application, grounds=filled(form.reason)),
        done=_("Your appeal was lodged. A decision maker who took no part in the refusal decides it."),
    )
