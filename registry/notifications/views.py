"""A person's notifications."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from registry.database import db
from registry.edge import commit
from registry.notifications.services import list_notifications, mark_all_read, message_for
from registry.permissions import signed_in

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@signed_in
def index() -> ResponseReturnValue:
    notifications = list_notifications(db.session, current_user)
    return render_template("notifications/index.html", notifications=notifications, message_for=message_for)


@bp.route("/read", methods=["POST"])
@signed_in
def read() -> ResponseReturnValue:
    mark_all_read(db.session, current_user)
    commit()
    return redirect(url_for("notifications.index"))
