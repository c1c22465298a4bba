"""Known devices: OWASP's "device cookie" against account lock-out.

Five wrong passwords limit an account for everyone, so anyone who knows an e-mail address could keep its owner
out. A browser the owner signed in from before carries a signed cookie naming the account; its attempts are
counted under the device's own key instead of the account's, so a stranger's failures do not lock the owner out
of their own devices, while a stranger still gets only five guesses per account (and a thief of the cookie five
per device). The signature binds the account's password hash: a password change retires every device cookie.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from registry.accounts.models import User
from registry.accounts.services import find_user_by_email

COOKIE_NAME = "registry_device"
_SALT = "registry.accounts.device"


def _serializer(user: User) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"{_SALT}:{user.password_hash}")  # type: ignore[arg-type]


def _max_age() -> timedelta:
    return timedelta(days=int(current_app.config["KNOWN_DEVICE_DAYS"]))


def _device_id(user: User, cookie: str | None) -> str | None:
    if not cookie:
        return None
    try:
        payload = _serializer(user).loads(cookie, max_age=int(_max_age().total_seconds()))
    except BadData:
        return None
    if not isinstance(payload, dict) or payload.get("account") != user.id:
        return None
    device = payload.get("device")
    return device if isinstance(device, str) else None


def known_device(session: Session, email: str, cookie: str | None) -> str | None:
    """The device id of ``cookie`` if it is a valid device cookie for the account of ``email``, else None."""
    if not cookie:
        return None
    user = find_user_by_email(session, email)
    return _device_id(user, cookie) if user is not None else None


def remember_device(response: Response, user: User, cookie: str | None) -> None:
    """Set (or renew, keeping its id) the device cookie of ``user`` on a successful sign-in's ``response``."""
    device = _device_id(user, cookie) or secrets.token_urlsafe(16)
    response.set_cookie(
        COOKIE_NAME,
        _serializer(user).dumps({"account": user.id, "device": device}),
        max_age=_max_age(),
        path=url_for("accounts.login"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
