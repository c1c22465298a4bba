"""Who may use the regulator's console: an active regulator's account, whatever the object (a regulator supervises
every body and enterprise; the console holds nothing another regulator may not see)."""

from __future__ import annotations

from registry.accounts.models import Role, User


def is_regulator(user: User | None) -> bool:
    return user is not None and user.role is Role.REGULATOR and user.is_active_account


def can_order(user: User | None) -> bool:
    """Order a label suspended or withdrawn."""
    return is_regulator(user)


def can_manage_list(user: User | None) -> bool:
    """List an enterprise as seriously dishonest, or remove it on credit repair."""
    return is_regulator(user)
