"""Accounts: registration, sign-in, passwords and staff invitations. Services flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.mails import invitation_to_existing_account
from registry.accounts.models import ROLE_ORGANISATION_KIND, Invitation, Role, User
from registry.accounts.passwords import hash_password, password_problem, verify_password
from registry.accounts.permissions import can_invite
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.errors import ServiceError
from registry.notifications.services import queue_mail
from registry.organisations.models import Organisation
from registry.text import refuse_bidi_controls


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _new_session_token() -> str:
    return secrets.token_hex(16)


def load_user_from_session_id(session: Session, session_id: str) -> User | None:
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = session.get(User, int(user_id))
    if user is None or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def refuse_unusable_credentials(email: str, password: str) -> None:
    """A ServiceError if the address cannot be an e-mail address or the password is too weak."""
    if "@" not in email or len(email) > 254:
        raise ServiceError(_l("Enter a valid e-mail address."), field="email")
    problem = password_problem(password, email=email)
    if problem:
        raise ServiceError(problem, field="password")


def _refuse_taken_email(session: Session, email: str) -> None:
    if find_user_by_email(session, email) is not None:
        raise ServiceError(
            _l("An account with this e-mail address already exists. Sign in instead, or use another address."),
            field="email",
        )


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    organisation: Organisation | None,
    is_demo: bool = False,
) -> User:
    email = normalise_email(email)
    refuse_bidi_controls(name=name, email=email)
    if not name.strip():
        raise ServiceError(_l("Enter the person's name."), field="name")
    refuse_unusable_credentials(email, password)
    return add_user(
        session,
        actor,
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        organisation=organisation,
        is_demo=is_demo,
    )


def add_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    password_hash: str,
    role: Role,
    organisation: Organisation | None,
    is_demo: bool = False,
) -> User:
    """The account, once its password is hashed (at registration, the hash waits for the confirmation)."""
    email = normalise_email(email)
    _refuse_taken_email(session, email)
    expected_kind = ROLE_ORGANISATION_KIND[role]
    actual_kind = organisation.kind if organisation is not None else None
    if expected_kind != actual_kind:
        raise ServiceError(_l("This role does not belong to this kind of organisation."), field="role")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=password_hash,
        role=role,
        organisation_id=organisation.id if organisation else None,
        organisation_kind=organisation.kind if organisation else None,
        session_token=_new_session_token(),
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor,
        "user:create",
        subject=user,
        organisation_id=user.organisation_id,
        payload={"role": str(role)},
    )
    return user


class SignInRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def authenticate(session: Session, actor: Actor, *, email: str, password: str, demo_mode: bool) -> User:
    """The user whose credentials these are, or SignInRefused; either way an audit event is written."""
    user = find_user_by_email(session, email)
    reason = None
    if not verify_password(user.password_hash if user else None, password):
        reason = "unknown_account" if user is None else "wrong_password"
    elif user is not None and not user.is_active_account:
        reason = "inactive"
    elif user is not None and user.is_demo and not demo_mode:
        reason = "demo_disabled"
    if reason is not None:
        record_event(
            session,
            actor,
            "user:login:failure",
            subject=user,
            organisation_id=user.organisation_id if user else None,
            payload={"reason": reason},
        )
        raise SignInRefused(reason)
    assert user is not None
    user.last_login_at = utcnow()
    record_event(session, Actor(user, actor.address), "user:login:success", subject=user)
    return user


def record_logout(session: Session, actor: Actor) -> None:
    """Sign the user out on the server too: a copy of the session cookie kept from before opens nothing after."""
    if actor.user is not None:
        # The cookie is signed but holds no server state, so only a new token makes the old one worthless; this
        # ends the user's other sessions as well, which is what a person who signs out expects.
        actor.user.session_token = _new_session_token()
        record_event(session, actor, "user:logout", subject=actor.user)


def change_password(session: Session, actor: Actor, user: User, *, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ServiceError(_l("The current password is not right."), field="current_password")
    problem = password_problem(new, email=user.email)
    if problem:
        raise ServiceError(problem, field="new_password")
    if verify_password(user.password_hash, new):
        raise ServiceError(_l("Choose a password different from the current one."), field="new_password")
    user.password_hash = hash_password(new)
    user.session_token = _new_session_token()  # ends every other session of this user
    user.password_changed_at = utcnow()
    record_event(session, actor, "user:password:change", subject=user)


def token_hash(token: str) -> str:
    """What is stored of a one-time link code (an invitation's, a registration's): never the code itself."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def invite_member(
    session: Session,
    actor: Actor,
    *,
    organisation: Organisation,
    email: str,
    role: Role,
    valid_hours: int,
) -> tuple[Invitation, str]:
    """Invite someone to ``organisation`` in ``role``; returns the invitation and its one-time token."""
    inviter = actor.user
    if inviter is None or not can_invite(inviter, organisation, role):
        raise ServiceError(_l("You may not invite people to this organisation in this role."), field="role", status=403)
    email = normalise_email(email)
    refuse_bidi_controls(email=email)
    if "@" not in email:
        raise ServiceError(_l("Enter a valid e-mail address."), field="email")
    now = utcnow()
    for pending in session.scalars(
        select(Invitation).where(
            Invitation.email == email, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)
        )
    ):
        pending.revoked_at = now  # the newest invitation is the only one that works
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=token_hash(token),
        email=email,
        role=role,
        organisation_id=organisation.id,
        invited_by_id=inviter.id,
        expires_at=now + timedelta(hours=valid_hours),
    )
    session.add(invitation)
    session.flush()
    record_event(
        session,
        actor,
        "invitation:create",
        subject=invitation,
        organisation_id=organisation.id,
        payload={"role": str(role)},
    )
    # An address that has an account is invited like any other, so the form does not tell the inviting
    # administrator who has an account elsewhere; its owner is told instead, and accepting is refused.
    owner = find_user_by_email(session, email)
    if owner is not None:
        queue_mail(session, invitation_to_existing_account(owner.email, organisation, role))
    return invitation, token


def find_open_invitation(session: Session, token: str) -> Invitation | None:
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None or invitation.accepted_at or invitation.revoked_at or invitation.expires_at <= utcnow():
        return None
    return invitation


def accept_invitation(session: Session, actor: Actor, invitation: Invitation, *, name: str, password: str) -> User:
    user = create_user(
        session,
        actor,
        email=invitation.email,
        name=name,
        password=password,
        role=invitation.role,
        organisation=invitation.organisation,
    )
    invitation.accepted_at = utcnow()
    record_event(
        session,
        Actor(user, actor.address),
        "invitation:accept",
        subject=invitation,
        organisation_id=invitation.organisation_id,
    )
    return user


def revoke_invitation(session: Session, actor: Actor, invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise ServiceError(_l("This invitation was already accepted."), status=409)
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        record_event(
            session, actor, "invitation:revoke", subject=invitation, organisation_id=invitation.organisation_id
        )


def list_members(session: Session, organisation: Organisation) -> list[User]:
    return list(session.scalars(select(User).where(User.organisation_id == organisation.id).order_by(User.name)))


def list_open_invitations(session: Session, organisation: Organisation) -> list[Invitation]:
    return list(
        session.scalars(
            select(Invitation)
            .where(
                Invitation.organisation_id == organisation.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        )
    )
