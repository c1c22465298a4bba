"""One dashboard per role: what this person can do now, and what comes next."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from registry.accounts import services as accounts
from registry.accounts.models import Role, User
from registry.applications.models import Application
from registry.applications.services.applicant import list_applications
from registry.applications.workflow import assignments_of, available_actions, statuses_to_act
from registry.audit.services import list_events
from registry.complaints.services import count_open
from registry.database import db
from registry.labels.services import list_labels
from registry.organisations.services import count_by_kind
from registry.permissions import Permission, has_permission, requires
from registry.products.services import count_products, list_products
from registry.schemes.services import list_schemes
from registry.supervision import services as supervision
from registry.supervision.models import DemandStatus
from registry.surveillance.services import due_list

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.route("/")
@requires(Permission.VIEW_DASHBOARD)
def index() -> ResponseReturnValue:
    user = current_user
    context: dict[str, object] = {"user": user, "organisation": user.organisation}
    if user.role is Role.APPLICANT:
        context["products"] = list_products(db.session, user.organisation_id)[:5]
        context["product_count"] = count_products(db.session, user.organisation_id)
        context["scheme_count"] = len(list_schemes(db.session))
    elif user.role is Role.BODY_ADMIN:
        context["members"] = accounts.list_members(db.session, user.organisation)
        context["invitations"] = accounts.list_open_invitations(db.session, user.organisation)
        context["withdrawal_demands"] = supervision.open_demands(db.session, body_id=user.organisation_id)
    elif user.role in (Role.REGULATOR, Role.SITE_ADMIN):
        context["counts"] = count_by_kind(db.session)
        context["product_count"] = count_products(db.session)
        context["recent_events"] = list_events(db.session, limit=10)
        if user.role is Role.REGULATOR:
            context["overdue_demands"] = sum(
                1 for demand in supervision.open_demands(db.session) if demand.status is DemandStatus.OVERDUE
            )
    if user.role in (Role.BODY_ADMIN, Role.REGULATOR):
        context["surveillance_due"] = due_list(db.session, user)
    if has_permission(user, Permission.HANDLE_COMPLAINTS):
        context["open_complaints"] = count_open(db.session, user)
    if has_permission(user, Permission.VIEW_APPLICATIONS):
        context["queue"] = _waiting_for(user)
        context["labels"] = list_labels(db.session, user)[:5]
    return render_template(f"dashboard/{user.role.value}.html", **context)


def _waiting_for(user: User) -> list[Application]:
    """The files in which this person can act now (a verifier's unsigned declaration counts). The database
    narrows to the statuses the role acts in; the per-file check then asks the workflow itself."""
    waiting = []
    statuses = statuses_to_act(user.role)
    for application in list_applications(db.session, user, statuses=statuses) if statuses else []:
        if available_actions(db.session, user, application) or any(
            a.verifier_id == user.id and a.declaration is None for a in assignments_of(db.session, application)
        ):
            waiting.append(application)
    return waiting
