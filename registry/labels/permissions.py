"""Who may see a label record before it is public: its holder, its issuing body and regulators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.accounts.models import Role

if TYPE_CHECKING:
    from registry.accounts.models import User
    from registry.labels.models import Label


def can_view_label(user: User, label: Label) -> bool:
    """Until the public pages exist: its holder, its body and regulators."""
    if user.role is Role.REGULATOR:
        return True
    if user.role is Role.APPLICANT:
        return user.organisation_id == label.holder_id
    return user.role in (Role.BODY_ADMIN, Role.VERIFIER, Role.DECISION_MAKER) and user.organisation_id == label.body_id
