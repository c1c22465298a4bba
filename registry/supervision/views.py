"""The regulator's console (/supervision/): orders on labels, the dishonest-entity list, the withdrawal demands;
and the public list (/dishonest)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from registry.applications.services.documents import path_of
from registry.database import db, utcnow
from registry.edge import current_actor
from registry.forms import submit
from registry.labels.models import Label, LabelStatus
from registry.organisations.models import BarredOrganisation
from registry.permissions import Permission, public, requires
from registry.supervision import services
from registry.supervision.forms import ListingForm, OrderForm, RemovalForm
from registry.supervision.models import OrderAction, SupervisionOrder

bp = Blueprint("supervision", __name__)


@bp.context_processor
def _dates() -> dict[str, object]:
    """The list's dates as people read them: days in China."""
    return {"first_day": services.first_day, "last_day": services.last_day, "china_day": services.china_day}


def _upload(field: object) -> services.Upload | None:
    data = getattr(field, "data", None)
    if data is None or not getattr(data, "filename", None):
        return None
    return services.Upload(
        stream=data.stream,
        name=data.filename,
        folder=Path(current_app.config["UPLOAD_DIR"]),
        max_bytes=int(current_app.config["UPLOAD_MAX_BYTES"]),
    )


@bp.route("/supervision/")
@requires(Permission.MANAGE_DISHONEST_LIST)
def console(
    listing_form: ListingForm | None = None, removal_forms: dict[int, RemovalForm] | None = None, status: int = 200
) -> ResponseReturnValue:
    listings = services.listings(db.session)
    removal_forms = removal_forms or {}
    return render_template(
        "supervision/console.html",
        orders=services.orders(db.session),
        listings=listings,
        demands=services.open_demands(db.session),
        listing_form=listing_form or ListingForm(formdata=None),
        removal_forms={
            listing.id: removal_forms.get(listing.id) or RemovalForm(prefix=f"remove-{listing.id}", formdata=None)
            for listing in listings
            if listing.removed_at is None
        },
        now=utcnow(),
    ), status


@bp.route("/supervision/list", methods=["POST"])
@requires(Permission.MANAGE_DISHONEST_LIST)
def add_listing() -> ResponseReturnValue:
    form = ListingForm()

    def action() -> BarredOrganisation:
        enterprise = services.find_enterprise(db.session, form.uscc.data)
        return services.list_enterprise(
            db.session,
            current_actor(),
            enterprise,
            reason=form.reason.data,
            decision_number=form.decision_number.data,
            listed_from=form.listed_from.data,
            listed_until=form.listed_until.data,
            document=_upload(form.document),
        )

    outcome = submit(form, action)
    if outcome.done:
        flash(
            _("The enterprise is on the dishonest-entity list; its labels' bodies were told to withdraw them."),
            "success",
        )
        return redirect(url_for("supervision.console"))
    return console(listing_form=form, status=outcome.status)


@bp.route("/supervision/list/<int:listing_id>/remove", methods=["POST"])
@requires(Permission.MANAGE_DISHONEST_LIST)
def remove_listing(listing_id: int) -> ResponseReturnValue:
    listing = db.session.get(BarredOrganisation, listing_id)
    if listing is None:
        abort(404)
    form = RemovalForm(prefix=f"remove-{listing_id}")
    outcome = submit(
        form, lambda: services.remove_listing(db.session, current_actor(), listing, reason=form.reason.data)
    )
    if outcome.done:
        flash(_("The enterprise was removed from the dishonest-entity list."), "success")
        return redirect(url_for("supervision.console"))
    return console(removal_forms={listing_id: form}, status=outcome.status)


def _label(public_id: str) -> Label:
    label = db.session.scalar(select(Label).where(Label.public_id == public_id))
    if label is None:
        abort(404)
    return label


def _order_forms(label: Label) -> dict[OrderAction, OrderForm]:
    actions = []
    if label.status is LabelStatus.VALID:
        actions.append(OrderAction.SUSPEND)
    if label.status in services.LIVE:
        actions.append(OrderAction.WITHDRAW)
    return {action: OrderForm.for_action(action, formdata=None) for action in actions}


@bp.route("/supervision/labels/<public_id>/order")
@requires(Permission.ISSUE_ORDERS)
def order_page(public_id: str) -> ResponseReturnValue:
    label = _label(public_id)
    return render_template("supervision/order.html", label=label, forms=_order_forms(label), failed=None)


@bp.route("/supervision/labels/<public_id>/order/<any(suspend, withdraw):action>", methods=["POST"])
@requires(Permission.ISSUE_ORDERS)
def order(public_id: str, action: str) -> ResponseReturnValue:
    label = _label(public_id)
    chosen = OrderAction(action)
    form = OrderForm.for_action(chosen)
    outcome = submit(
        form,
        lambda: services.order(
            db.session,
            current_actor(),
            label,
            chosen,
            legal_basis=form.legal_basis.data,
            decision_number=form.decision_number.data,
            reason_code=form.reason_code.data,
            public_reason=form.public_reason.data,
            resolve_by=form.resolve_by.data if chosen is OrderAction.SUSPEND else None,
            document=_upload(form.document),
        ),
    )
    if outcome.done:
        flash(
            _(
                "Order carried out: the label is now “%(status)s”. Every reader sees this within a minute.",
                status=label.status.label,
            ),
            "success",
        )
        return redirect(url_for("labels.detail", public_id=label.public_id))
    forms = _order_forms(label)
    forms[chosen] = form
    return render_template("supervision/order.html", label=label, forms=forms, failed=chosen), outcome.status


def _private_pdf(storage_name: str, name: str, sha256: str) -> ResponseReturnValue:
    path = path_of(Path(current_app.config["UPLOAD_DIR"]), storage_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=name,
        conditional=True,
        etag=sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/supervision/orders/<int:order_id>/document")
@requires(Permission.ISSUE_ORDERS)
def order_document(order_id: int) -> ResponseReturnValue:
    row = db.session.get(SupervisionOrder, order_id)
    if row is None:
        abort(404)
    return _private_pdf(row.document_storage, row.document_name, row.document_sha256)


@bp.route("/supervision/list/<int:listing_id>/document")
@requires(Permission.MANAGE_DISHONEST_LIST)
def listing_document(listing_id: int) -> ResponseReturnValue:
    listing = db.session.get(BarredOrganisation, listing_id)
    if listing is None or listing.document_storage is None or listing.document_sha256 is None:
        abort(404)
    return _private_pdf(listing.document_storage, listing.document_name or "decision.pdf", listing.document_sha256)


@bp.route("/dishonest")
@public
def dishonest() -> ResponseReturnValue:
    """The public dishonest-entity list: who, why, under which decision, from when to when; removed entries stay,
    shown as removed with the date. Nothing confidential: the decision PDFs stay with the regulators."""
    return render_template("supervision/dishonest.html", listings=services.listings(db.session), now=utcnow())
