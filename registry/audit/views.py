"""The audit trail: everything for regulators and the site administrator, one's own organisation otherwise."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from registry.audit.names import role_name, subject_name
from registry.audit.services import list_events
from registry.database import db
from registry.permissions import Permission, has_permission, requires

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50


@bp.route("/")
@requires(Permission.VIEW_OWN_AUDIT)
def index() -> ResponseReturnValue:
    sees_all = has_permission(current_user, Permission.VIEW_ALL_AUDIT)
    before = request.args.get("before", type=int)
    events = list_events(
        db.session,
        organisation_id=None if sees_all else current_user.organisation_id,
        limit=PAGE_SIZE + 1,
        before_id=before,
    )
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    return render_template(
        "audit/index.html",
        events=events,
        sees_all=sees_all,
        next_before=events[-1].id if more and events else None,
        role_name=role_name,
        subject_name=subject_name,
    )
