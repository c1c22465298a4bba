"""Complaints at the edge: the public report form on every label (``/l/{id}/report``), the public follow-up by
reference (``/complaints``, ``/complaints/{reference}``), and the handlers' queue (``/complaints/manage``)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from registry.complaints import services
from registry.complaints.forms import AssignForm, CloseForm, LookupForm, NoteForm, ReportForm, ReviewForm
from registry.complaints.models import Complaint, ComplaintOutcome, ComplaintStatus
from registry.complaints.permissions import can_assign_complaint, can_handle_complaint, can_note_complaint
from registry.database import db
from registry.disclosure.services import label_by_public_id
from registry.edge import current_actor
from registry.extensions import limiter
from registry.forms import submit
from registry.permissions import Permission, public, requires

bp = Blueprint("complaints", __name__)


def _too_many_reports(_limit: RequestLimit) -> Response:
    html = render_template(
        "complaints/too_many.html",
        message=_(
            "Too many reports were sent from your connection in the last hour, so this one was not saved. "
            "Wait an hour and send it again, or call the market regulator's hotline 12315."
        ),
    )
    return Response(html, status=429, content_type="text/html; charset=utf-8")


def _too_many_lookups(_limit: RequestLimit) -> Response:
    html = render_template(
        "complaints/too_many.html",
        message=_(
            "Too many references were looked up from your connection in a short time. Wait a minute, then try again."
        ),
    )
    return Response(html, status=429, content_type="text/html; charset=utf-8")


@bp.errorhandler(429)
def _too_many(error: HTTPException) -> ResponseReturnValue:
    """The page ``on_breach`` made, in the reader's language (the app's own 429 page speaks of sign-in attempts)."""
    if error.response is not None:
        return error.response
    from registry.errors import render_error

    return render_error(429)


def _follow_up_link(reference: str) -> str:
    return url_for("complaints.follow_up", reference=reference, _external=True)


@bp.route("/l/<public_id>/report", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["COMPLAINT_LIMIT_PER_ADDRESS"], methods=["POST"], on_breach=_too_many_reports)
def report(public_id: str) -> ResponseReturnValue:
    """Anyone may report a label, without an account; the reference number is shown once, on the answer."""
    label = label_by_public_id(db.session, public_id)
    if label is None:
        abort(404)
    form = ReportForm()
    form.photo.description = _(
        "JPEG or PNG, at most %(size)s.", size=services.photo_size(int(current_app.config["COMPLAINT_PHOTO_MAX_BYTES"]))
    )

    def action() -> Complaint:
        upload = form.photo.data
        photo = services.Photo(upload.stream, upload.filename) if upload and upload.filename else None
        return services.report(
            db.session,
            current_actor(),
            label,
            category=form.category.data or "",
            description=form.description.data or "",
            seen_at=form.seen_at.data,
            contact_name=form.contact_name.data,
            contact_email=form.contact_email.data,
            contact_phone=form.contact_phone.data,
            photo=photo,
            upload_dir=Path(current_app.config["UPLOAD_DIR"]),
            max_photo_bytes=int(current_app.config["COMPLAINT_PHOTO_MAX_BYTES"]),
            follow_up_link=_follow_up_link,
        )

    outcome = submit(form, action)
    if outcome.done:
        # Shown once, in this answer (not a page one could reload or share by accident).
        response = Response(
            render_template(
                "complaints/received.html", complaint=outcome.result, link=_follow_up_link(outcome.result.reference)
            ),
            status=201,
            content_type="text/html; charset=utf-8",
        )
        response.cache_control.no_store = True
        return response
    return render_template("complaints/report.html", form=form, label=label), outcome.status


@bp.route("/complaints")
@public
@limiter.limit(
    lambda: current_app.config["COMPLAINT_LOOKUP_LIMIT_PER_ADDRESS"],
    on_breach=_too_many_lookups,
    exempt_when=lambda: request.args.get("reference") is None,
)
def lookup() -> ResponseReturnValue:
    """The form to type a reference; a reference typed with spaces, dashes or lower case opens its page."""
    form = LookupForm(request.args)
    if request.args.get("reference") is not None and form.validate():
        complaint = services.find_by_reference(db.session, form.reference.data or "")
        if complaint is not None:
            return redirect(url_for("complaints.follow_up", reference=complaint.reference))
        return render_template("complaints/lookup.html", form=form, unknown=True), 404
    return render_template("complaints/lookup.html", form=form, unknown=False)


@bp.route("/complaints/<reference>")
@public
@limiter.limit(lambda: current_app.config["COMPLAINT_LOOKUP_LIMIT_PER_ADDRESS"], on_breach=_too_many_lookups)
def follow_up(reference: str) -> ResponseReturnValue:
    """What anyone holding the reference reads: the label, the dates, the status and the published outcome. Never
    the reporter's contact details, photo or the handlers' notes."""
    complaint = services.find_by_reference(db.session, reference)
    if complaint is None:
        return render_template("complaints/lookup.html", form=LookupForm(), unknown=True), 404
    if complaint.reference != reference:
        return redirect(url_for("complaints.follow_up", reference=complaint.reference))
    response = Response(
        render_template(
            "complaints/follow_up.html", complaint=complaint, steps=services.history(db.session, complaint)
        ),
        content_type="text/html; charset=utf-8",
    )
    response.cache_control.no_store = True  # a reference is for its holder: no shared cache keeps the page
    return response


# --- the handlers ---------------------------------------------------------------------------------------------


@bp.route("/complaints/manage")
@requires(Permission.HANDLE_COMPLAINTS)
def queue() -> ResponseReturnValue:
    status = request.args.get("status")
    chosen = ComplaintStatus(status) if status in set(ComplaintStatus) else None
    complaints = services.list_complaints(db.session, current_user, status=chosen)
    return render_template(
        "complaints/queue.html", complaints=complaints, status=chosen, statuses=list(ComplaintStatus)
    )


def _own(complaint_id: int) -> Complaint:
    complaint = services.viewable(current_user, db.session.get(Complaint, complaint_id))
    if complaint is None:
        abort(404)
    return complaint


def _render_detail(complaint: Complaint, status: int = 200, **forms: object) -> ResponseReturnValue:
    context = {
        "review_form": ReviewForm(prefix="review"),
        "note_form": NoteForm(prefix="note"),
        "assign_form": AssignForm(prefix="assign", handler=complaint.handler.value),
        "close_form": CloseForm(prefix="close"),
        **forms,
    }
    response = Response(
        render_template(
            "complaints/detail.html",
            complaint=complaint,
            steps=services.history(db.session, complaint),
            notes=services.notes(db.session, complaint),
            may_handle=can_handle_complaint(current_user, complaint),
            may_assign=can_assign_complaint(current_user, complaint),
            may_note=can_note_complaint(current_user, complaint),
            **context,
        ),
        status=status,
        content_type="text/html; charset=utf-8",
    )
    response.cache_control.no_store = True  # the reporter's contact details
    return response


@bp.route("/complaints/manage/<int:complaint_id>")
@requires(Permission.HANDLE_COMPLAINTS)
def detail(complaint_id: int) -> ResponseReturnValue:
    return _render_detail(_own(complaint_id))


@bp.route("/complaints/manage/<int:complaint_id>/photo")
@requires(Permission.HANDLE_COMPLAINTS)
def photo(complaint_id: int) -> ResponseReturnValue:
    from flask import send_file

    complaint = _own(complaint_id)
    path = services.photo_path(Path(current_app.config["UPLOAD_DIR"]), complaint)
    if path is None or not path.is_file():
        abort(404)
    extension = "png" if complaint.photo_content_type == "image/png" else "jpg"
    return send_file(
        path,
        mimetype=complaint.photo_content_type,
        as_attachment=True,
        download_name=f"{complaint.reference}.{extension}",
        max_age=0,
    )


@bp.route("/complaints/manage/<int:complaint_id>/review", methods=["POST"])
@requires(Permission.HANDLE_COMPLAINTS)
def review(complaint_id: int) -> ResponseReturnValue:
    complaint = _own(complaint_id)
    form = ReviewForm(prefix="review")
    outcome = submit(form, lambda: services.start_review(db.session, current_actor(), complaint))
    if outcome.done:
        flash(_("The review has started; the reporter's page now says so."), "success")
        return redirect(url_for("complaints.detail", complaint_id=complaint.id))
    return _refused(complaint, outcome.status, review_form=form)


@bp.route("/complaints/manage/<int:complaint_id>/note", methods=["POST"])
@requires(Permission.HANDLE_COMPLAINTS)
def note(complaint_id: int) -> ResponseReturnValue:
    complaint = _own(complaint_id)
    form = NoteForm(prefix="note")
    outcome = submit(form, lambda: services.add_note(db.session, current_actor(), complaint, form.text.data or ""))
    if outcome.done:
        flash(_("The note was added."), "success")
        return redirect(url_for("complaints.detail", complaint_id=complaint.id) + "#notes")
    return _refused(complaint, outcome.status, note_form=form)


@bp.route("/complaints/manage/<int:complaint_id>/assign", methods=["POST"])
@requires(Permission.HANDLE_COMPLAINTS)
def assign(complaint_id: int) -> ResponseReturnValue:
    complaint = _own(complaint_id)
    form = AssignForm(prefix="assign")
    outcome = submit(form, lambda: services.assign(db.session, current_actor(), complaint, form.handler.data or ""))
    if outcome.done:
        flash(_("The complaint is now handled by: %(handler)s.", handler=complaint.handler.label), "success")
        return redirect(url_for("complaints.detail", complaint_id=complaint.id))
    return _refused(complaint, outcome.status, assign_form=form)


@bp.route("/complaints/manage/<int:complaint_id>/close", methods=["POST"])
@requires(Permission.HANDLE_COMPLAINTS)
def close(complaint_id: int) -> ResponseReturnValue:
    complaint = _own(complaint_id)
    form = CloseForm(prefix="close")
    outcome = submit(
        form,
        lambda: services.close(
            db.session,
            current_actor(),
            complaint,
            outcome=form.outcome.data or "",
            outcome_text=form.outcome_text.data or "",
            follow_up_link=_follow_up_link,
        ),
    )
    if outcome.done:
        flash(_("The complaint is closed and its outcome published."), "success")
        if complaint.outcome is ComplaintOutcome.SUBSTANTIATED:
            flash(
                _(
                    "The complaint was substantiated: suspend or withdraw the label from its record page if it calls for it."
                ),
                "info",
            )
        return redirect(url_for("complaints.detail", complaint_id=complaint.id))
    return _refused(complaint, outcome.status, close_form=form)


def _refused(complaint: Complaint, status: int, **forms: object) -> ResponseReturnValue:
    db.session.refresh(complaint)
    return _render_detail(complaint, status=status, **forms)
