"""What views share at the edge of a request: the acting person and the one commit per request."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_login import current_user

from registry.audit.services import Actor
from registry.database import db
from registry.extensions import client_address


def current_actor() -> Actor:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user=user, address=client_address())


def commit() -> None:
    """The one commit of a request; the mail the services queued leaves only after it succeeded."""
    from registry.notifications.mail import send_all
    from registry.notifications.services import take_outbox

    db.session.commit()
    send_all(take_outbox(db.session))


def safe_next(target: str | None, default: str) -> str:
    """A local path to return to after a form, never another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
