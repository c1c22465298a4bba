"""Object-level permissions for accounts (the fine layer; see registry/permissions.py for the coarse one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.accounts.models import BODY_STAFF_ROLES, ROLE_ORGANISATION_KIND, Role

if TYPE_CHECKING:
    from registry.accounts.models import User
    from registry.organisations.models import Organisation


def can_invite(user: User, organisation: Organisation, role: Role) -> bool:
    """A body's administrator invites its staff; the site administrator invites anyone's first member."""
    if ROLE_ORGANISATION_KIND.get(role) != organisation.kind:
        return False
    if user.role is Role.SITE_ADMIN:
        return True
    return user.role is Role.BODY_ADMIN and user.organisation_id == organisation.id and role in BODY_STAFF_ROLES
