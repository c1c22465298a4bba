"""Labels for the people entitled to them until the public pages exist: holder, issuing body, regulators."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from registry.database import db
from registry.labels.models import Label
from registry.labels.permissions import can_view_label
from registry.labels.services import list_labels
from registry.permissions import Permission, requires

bp = Blueprint("labels", __name__, url_prefix="/labels")


@bp.route("/")
@requires(Permission.VIEW_LABELS)
def index():
    return render_template("labels/index.html", labels=list_labels(db.session, current_user))


@bp.route("/<public_id>")
@requires(Permission.VIEW_LABELS)
def detail(public_id: str):
    label = db.session.scalar(select(Label).where(Label.public_id == public_id))
    if label is None or not can_view_label(current_user, label):
        abort(404)
    return render_template("labels/detail.html", label=label)
