"""Sign-in, sign-out, enterprise registration, password change, staff and invitations."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from registry.accounts import devices, registration, services
from registry.accounts.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    InviteForm,
    LinkCodeForm,
    LoginForm,
    RegisterEnterpriseForm,
)
from registry.accounts.links import invitation_url
from registry.accounts.models import BODY_STAFF_ROLES, Invitation, Role, User
from registry.database import db
from registry.edge import commit, current_actor, safe_next
from registry.errors import ServiceError
from registry.extensions import client_address, limiter
from registry.forms import filled, submit
from registry.permissions import Permission, public, requires, signed_in

bp = Blueprint("accounts", __name__)


def _login_account_key() -> str:
    # A known device of the account is counted apart, so a stranger's failures cannot lock its owner out.
    email = services.normalise_email(request.form.get("email", ""))
    device = devices.known_device(db.session, email, request.cookies.get(devices.COOKIE_NAME))
    return f"device:{device}" if device else f"account:{email}"


def _failed_sign_in(response: object) -> bool:
    # Only failed attempts count against the limits; a successful sign-in redirects.
    return getattr(response, "status_code", 200) != 302


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_failed_sign_in,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    key_func=client_address,
    methods=["POST"],
    deduct_when=_failed_sign_in,
)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                db.session,
                current_actor(),
                email=filled(form.email),
                password=filled(form.password),
                demo_mode=current_app.config["DEMO_MODE"],
            )
        except services.SignInRefused as refused:
            commit()  # the failure is audited
            if refused.reason == "demo_disabled":
                form.form_errors.append(_("Demo accounts are switched off on this registry."))
            else:
                form.form_errors.append(_("The e-mail address or the password is not right."))
            status = 401
        else:
            commit()
            session.clear()  # a new session at sign-in: nothing from before survives
            login_user(user)
            response = redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
            devices.remember_device(response, user, request.cookies.get(devices.COOKIE_NAME))
            return response
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> ResponseReturnValue:
    services.record_logout(db.session, current_actor())
    commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("public.home"))


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["REGISTRATION_LIMIT_PER_ADDRESS"], methods=["POST"])
def register() -> ResponseReturnValue:
    form = RegisterEnterpriseForm()
    outcome = submit(
        form,
        lambda: registration.register_enterprise(
            db.session,
            current_actor(),
            organisation_name_zh=filled(form.organisation_name_zh),
            organisation_name_en=form.organisation_name_en.data,
            uscc=filled(form.uscc),
            name=filled(form.name),
            email=filled(form.email),
            password=filled(form.password),
            valid_hours=current_app.config["REGISTRATION_VALID_HOURS"],
            confirm_link=_confirmation_link,
            sign_in_link=url_for("accounts.login", _external=True),
        ),
    )
    if outcome.done:
        # The same answer whether or not the address has an account: the e-mail tells its owner which.
        return redirect(url_for("accounts.registration_sent"))
    return render_template("accounts/register.html", form=form), outcome.status


def _confirmation_link(token: str) -> str:
    # In the fragment, which browsers never send: the one-time code stays out of access logs.
    return url_for("accounts.confirm_registration", _external=True) + "#" + token


@bp.route("/register/sent")
@public
def registration_sent() -> ResponseReturnValue:
    return render_template("accounts/registration_sent.html")


@bp.route("/register/confirm", methods=["GET", "POST"])
@public
@limiter.limit("30 per hour", methods=["POST"])
def confirm_registration() -> ResponseReturnValue:
    form = LinkCodeForm()
    pending = None
    if form.validate_on_submit():
        pending = registration.find_open_registration(db.session, filled(form.code).strip())
        if pending is None:
            return render_template("accounts/registration_invalid.html"), 404

    def confirm() -> User:
        assert pending is not None  # found above, once the form validated
        return registration.confirm_registration(db.session, current_actor(), pending)

    outcome = submit(form, confirm)
    if outcome.done:
        session.clear()
        login_user(outcome.result)
        flash(_("Your enterprise is registered. Add your products next."), "success")
        return redirect(url_for("dashboard.index"))
    return render_template("accounts/confirm_registration.html", form=form), outcome.status


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Permission.CHANGE_OWN_PASSWORD)
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    outcome = submit(
        form,
        lambda: services.change_password(
            db.session, current_actor(), user, current=filled(form.current_password), new=filled(form.new_password)
        ),
    )
    if outcome.done:
        login_user(user)  # the session id changed with the password; stay signed in here only
        flash(_("Your password is changed. Other sessions have been signed out."), "success")
        return redirect(url_for("dashboard.index"))
    return render_template("accounts/change_password.html", form=form), outcome.status


def _staff_invite_form(**kwargs: object) -> InviteForm:
    form = InviteForm(**kwargs)
    form.role.choices = [(str(role), role.label) for role in BODY_STAFF_ROLES]
    return form


@bp.route("/staff", methods=["GET", "POST"])
@requires(Permission.MANAGE_BODY_STAFF)
def staff() -> ResponseReturnValue:
    organisation = current_user.organisation
    form = _staff_invite_form()
    outcome = submit(
        form,
        lambda: services.invite_member(
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
        form = _staff_invite_form(formdata=None)  # an empty form for the next invitation
    status = outcome.status
    return (
        render_template(
            "accounts/staff.html",
            organisation=organisation,
            members=services.list_members(db.session, organisation),
            invitations=services.list_open_invitations(db.session, organisation),
            form=form,
            invitation_link=invitation_link,
        ),
        status,
    )


@bp.route("/staff/invitations/<int:invitation_id>/revoke", methods=["POST"])
@requires(Permission.MANAGE_BODY_STAFF)
def revoke_invitation(invitation_id: int) -> ResponseReturnValue:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != current_user.organisation_id:
        abort(404)
    try:
        services.revoke_invitation(db.session, current_actor(), invitation)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        commit()
        flash(_("The invitation is revoked; its link no longer works."), "info")
    return redirect(url_for("accounts.staff"))


@bp.route("/invitations", methods=["GET", "POST"])
@public
@limiter.limit("30 per hour", methods=["POST"])
def accept_invitation() -> ResponseReturnValue:
    code_form = LinkCodeForm()
    if not code_form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("accounts/open_invitation.html", form=code_form), status
    code = filled(code_form.code).strip()
    invitation = services.find_open_invitation(db.session, code)
    if invitation is None:
        return render_template("accounts/invitation_invalid.html"), 404
    if "name" not in request.form:
        # The invitation was just opened: show who invites whom, with nothing to correct yet.
        form = AcceptInvitationForm(formdata=None)
        return render_template("accounts/accept_invitation.html", form=form, invitation=invitation, code=code)
    form = AcceptInvitationForm()
    outcome = submit(
        form,
        lambda: services.accept_invitation(
            db.session, current_actor(), invitation, name=filled(form.name), password=filled(form.password)
        ),
    )
    if outcome.done:
        session.clear()
        login_user(outcome.result)
        flash(_("Welcome. Your account is ready."), "success")
        return redirect(url_for("dashboard.index"))
    return (
        render_template("accounts/accept_invitation.html", form=form, invitation=invitation, code=code),
        outcome.status,
    )
