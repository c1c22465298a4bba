"""The organisations directory for regulators and the site administrator (read / manage)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.accounts import services as accounts
from registry.accounts.models import ROLE_ORGANISATION_KIND, Role
from registry.database import db
from registry.edge import commit, current_actor
from registry.errors import ServiceError
from registry.forms import attach_service_error
from registry.organisations import services
from registry.organisations.forms import InviteFirstMemberForm, OrganisationForm
from registry.organisations.models import Organisation, OrganisationKind
from registry.permissions import Permission, has_permission, requires

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.route("/")
@requires(Permission.VIEW_ORGANISATIONS)
def index():
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
def create():
    form = OrganisationForm()
    status = 200
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(
                db.session,
                current_actor(),
                kind=OrganisationKind(form.kind.data),
                name_zh=form.name_zh.data,
                name_en=form.name_en.data,
                uscc=form.uscc.data,
                accreditation_number=form.accreditation_number.data,
                body_code=form.body_code.data,
                contact_email=form.contact_email.data,
                website=form.website.data,
            )
        except ServiceError as error:
            db.session.rollback()
            attach_service_error(form, error)
            status = 400
        else:
            commit()
            return redirect(url_for("organisations.detail", organisation_id=organisation.id))
    elif request.method == "POST":
        status = 400
    return render_template("organisations/create.html", form=form), status


def _invite_form(organisation: Organisation) -> InviteFirstMemberForm:
    form = InviteFirstMemberForm()
    form.role.choices = [
        (str(role), role.label) for role, kind in ROLE_ORGANISATION_KIND.items() if kind == organisation.kind
    ]
    return form


@bp.route("/<int:organisation_id>", methods=["GET", "POST"])
@requires(Permission.VIEW_ORGANISATIONS)
def detail(organisation_id: int):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    form = _invite_form(organisation)
    invitation_link = None
    status = 200
    if request.method == "POST":
        if not has_permission(current_user, Permission.MANAGE_ORGANISATIONS):
            abort(403)
        if form.validate_on_submit():
            try:
                _invitation, token = accounts.invite_member(
                    db.session,
                    current_actor(),
                    organisation=organisation,
                    email=form.email.data,
                    role=Role(form.role.data),
                    valid_hours=current_app.config["INVITATION_VALID_HOURS"],
                )
            except ServiceError as error:
                db.session.rollback()
                attach_service_error(form, error)
                status = error.status
            else:
                commit()
                invitation_link = url_for("accounts.accept_invitation", token=token, _external=True)
        else:
            status = 400
    return (
        render_template(
            "organisations/detail.html",
            organisation=organisation,
            members=accounts.list_members(db.session, organisation),
            invitations=accounts.list_open_invitations(db.session, organisation),
            form=form,
            invitation_link=invitation_link,
            message=_("Send this link to the person you invited; it works once.") if invitation_link else None,
        ),
        status,
    )
