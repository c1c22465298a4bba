"""Object-level permissions for products: the holder's people, and regulators read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.accounts.models import Role

if TYPE_CHECKING:
    from registry.accounts.models import User
    from registry.products.models import Product


def can_view_product(user: User, product: Product) -> bool:
    if user.role is Role.REGULATOR:
        return True
    return user.role is Role.APPLICANT and user.organisation_id == product.organisation_id


def can_edit_product(user: User, product: Product) -> bool:
    return user.role is Role.APPLICANT and user.organisation_id == product.organisation_id
