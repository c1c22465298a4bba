"""Object-level permissions for organisations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.accounts.models import Role

if TYPE_CHECKING:
    from registry.accounts.models import User
    from registry.organisations.models import Organisation


def can_view_organisation_private(user: User, organisation: Organisation) -> bool:
    """Members, invitations and the audit trail of an organisation: its own people, regulators, site admins."""
    if user.role in (Role.SITE_ADMIN, Role.REGULATOR):
        return True
    return user.organisation_id == organisation.id
