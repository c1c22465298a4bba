"""Enterprise registration, confirmed by e-mail.

The form answers the same whether or not the address already has an account ("check your e-mail"), so it does
not tell strangers who has one: a new address receives a link that creates the enterprise and its first
applicant account, an address that has an account receives a warning instead. Every check that does not depend
on the address's owner runs first, in the same order either way, and the password is hashed either way, so
neither the answer nor its timing differs. Services flush, never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.accounts import mails
from registry.accounts.models import Registration, Role, User
from registry.accounts.passwords import hash_password
from registry.accounts.services import (
    add_user,
    find_user_by_email,
    normalise_email,
    refuse_unusable_credentials,
    token_hash,
)
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.errors import ServiceError
from registry.notifications.services import queue_mail
from registry.organisations.models import OrganisationKind
from registry.organisations.services import create_organisation, validated_uscc
from registry.text import refuse_bidi_controls


def register_enterprise(
    session: Session,
    actor: Actor,
    *,
    organisation_name_zh: str,
    organisation_name_en: str | None,
    uscc: str,
    name: str,
    email: str,
    password: str,
    valid_hours: int,
    confirm_link: Callable[[str], str],
    sign_in_link: str,
) -> None:
    """Check the registration and e-mail the address: a confirmation link, or a warning if it has an account."""
    email = normalise_email(email)
    refuse_bidi_controls(
        organisation_name_zh=organisation_name_zh, organisation_name_en=organisation_name_en, name=name
    )
    refuse_unusable_credentials(email, password)
    if not name.strip():
        raise ServiceError(_l("Enter the person's name."), field="name")
    if not organisation_name_zh.strip():
        raise ServiceError(_l("Enter the organisation's registered name in Chinese."), field="organisation_name_zh")
    code, _division = validated_uscc(session, uscc)
    password_hash = hash_password(password)
    now = utcnow()
    session.execute(delete(Registration).where(Registration.expires_at <= now))  # expired ones are worthless

    owner = find_user_by_email(session, email)
    if owner is not None:
        queue_mail(session, mails.address_already_registered(owner.email, sign_in_link=sign_in_link))
        record_event(
            session, actor, "registration:existing_account", subject=owner, organisation_id=owner.organisation_id
        )
        return
    token = secrets.token_urlsafe(32)
    registration = Registration(
        token_hash=token_hash(token),
        email=email,
        name=name.strip(),
        password_hash=password_hash,
        organisation_name_zh=organisation_name_zh.strip(),
        organisation_name_en=(organisation_name_en or "").strip() or None,
        uscc=code,
        expires_at=now + timedelta(hours=valid_hours),
    )
    session.add(registration)
    session.flush()
    record_event(session, actor, "registration:create", subject=registration)
    queue_mail(
        session,
        mails.confirm_registration(
            email,
            registration.organisation_name_zh,
            registration.organisation_name_en,
            hours=valid_hours,
            link=confirm_link(token),
        ),
    )


def find_open_registration(session: Session, token: str) -> Registration | None:
    registration = session.scalar(select(Registration).where(Registration.token_hash == token_hash(token)))
    if registration is None or registration.confirmed_at is not None or registration.expires_at <= utcnow():
        return None
    return registration


def confirm_registration(session: Session, actor: Actor, registration: Registration) -> User:
    """Create the enterprise and its first applicant account from a confirmed registration, both or neither."""
    if registration.confirmed_at is not None:
        raise ServiceError(_l("This registration is already confirmed. Sign in."), status=409)
    # The address or the credit code may have been registered since: these checks run again, and refuse.
    organisation = create_organisation(
        session,
        actor,
        kind=OrganisationKind.ENTERPRISE,
        name_zh=registration.organisation_name_zh,
        name_en=registration.organisation_name_en,
        uscc=registration.uscc,
        contact_email=registration.email,
    )
    user = add_user(
        session,
        actor,
        email=registration.email,
        name=registration.name,
        password_hash=registration.password_hash,
        role=Role.APPLICANT,
        organisation=organisation,
    )
    registration.confirmed_at = utcnow()
    record_event(
        session,
        Actor(user, actor.address),
        "registration:confirm",
        subject=registration,
        organisation_id=organisation.id,
    )
    return user
