"""The organisations directory for regulators and the site administrator (read / manage)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from registry.accounts import services as accounts
from registry.accounts.links import invitation_url
from registry.accounts.models import ROLE_ORGANISATION_KIND, Role
from registry.database import db
from registry.edge import current_actor
from registry.forms import filled, submit
from registry.organisations import services
from registry.organisations.forms import InviteFirstMemberForm, OrganisationForm
from registry.organisations.models import Organisation, OrganisationKind
from registry.permissions import Permission, has_permission, requires

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.route("/")
@requires(Permission.VIEW_ORGANISATIONS)
def index() -> ResponseReturnValue:
    kind_value = request.args.get("kind") or None
    kind = OrganisationKind(kind_value) if kind_value in set(OrganisationKind) else None
    query = (request.args.get("q") or "").strip()[:100]
    organisations = services.list_organisations(db.session, kind=kind, query=query or None)
    return render_template(
        "organisations/index.html",
        organisations=organisations,
        kind=kind,
        query=query,
        kinds=list(OrganisationKind),
        counts=services.count_by_kind(db.session),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_ORGANISATIONS)
def create() -> ResponseReturnValue:
    form = OrganisationForm()
    outcome = submit(
        form,
        lambda: services.create_organisation(
            db.session,
            current_actor(),
            kind=OrganisationKind(form.kind.data),
            name_zh=filled(form.name_zh),
            name_en=form.name_en.data,
            uscc=form.uscc.data,
            accreditation_number=form.accreditation_number.data,
            body_code=form.body_code.data,
            contact_email=form.contact_email.data,
            website=form.website.data,
        ),
    )
    if outcome.done:
        return redirect(url_for("organisations.detail", organisation_id=outcome.result.id))
    return render_template("organisations/create.html", form=form), outcome.status


def _invite_form(organisation: Organisation) -> InviteFirstMemberForm:
    form = InviteFirstMemberForm()
    form.role.choices = [
        (str(role), role.label) for role, kind in ROLE_ORGANISATION_KIND.items() if kind == organisation.kind
    ]
    return form


@bp.route("/<int:organisation_id>", methods=["GET", "POST"])
@requires(Permission.VIEW_ORGANISATIONS)
def detail(organisation_id: int) -> ResponseReturnValue:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    if request.method == "POST" and not has_permission(current_user, Permission.MANAGE_ORGANISATIONS):
        abort(403)
    form = _invite_form(organisation)
    outcome = submit(
        form,
        lambda: accounts.invite_member(
            db.session,
            current_actor(),
            organisation=organisation,
            email=filled(form.email),
            role=Role(form.role.data),
            valid_hours=current_app.config["INVITATION_VALID_HOURS"],
        ),
    )
    invitation_link = None
    if outcome.done:
        _invitation, token = outcome.result
        invitation_link = invitation_url(token)
    status = outcome.status
    return (
        render_template(
            "organisations/detail.html",
            organisation=organisation,
            members=accounts.list_members(db.session, organisation),
            invitations=accounts.list_open_invitations(db.session, organisation),
            form=form,
            invitation_link=invitation_link,
        ),
        status,
    )
