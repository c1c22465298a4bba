"""Who may see, assign and evaluate a label's surveillance (object-level; the coarse layer is registry.permissions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.accounts.models import Role

if TYPE_CHECKING:
    from registry.accounts.models import User
    from registry.labels.models import Label
    from registry.surveillance.models import Surveillance

# People of a body who may evaluate (as for certification files: registry.applications.services.review).
EVALUATOR_ROLES = (Role.VERIFIER, Role.DECISION_MAKER)


def can_view_surveillance(user: User, label: Label) -> bool:
    """The issuing body's staff and regulators; the holder sees only the outcome (the label's status)."""
    if not user.is_active_account:
        return False
    if user.role is Role.REGULATOR:
        return True
    return user.role in (Role.BODY_ADMIN, *EVALUATOR_ROLES) and user.organisation_id == label.body_id


def can_assign_surveillance(user: User, label: Label) -> bool:
    """The issuing body's administrators."""
    return user.is_active_account and user.role is Role.BODY_ADMIN and user.organisation_id == label.body_id


def can_evaluate_surveillance(user: User, surveillance: Surveillance) -> bool:
    """The verifier the body assigned, still one of its evaluating staff."""
    return (
        user.is_active_account
        and user.role in EVALUATOR_ROLES
        and surveillance.verifier_id == user.id
        and user.organisation_id == surveillance.label.body_id
    )
