"""Who may do what with spot checks: regulators draw for their own organisation; the inspector a label was
assigned to, or the regulator who made the draw, records its result. The published draw is public."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.accounts.models import Role

if TYPE_CHECKING:
    from registry.accounts.models import User
    from registry.inspections.models import SpotCheckDraw, SpotCheckItem


def _regulator(user: User | None) -> bool:
    return user is not None and user.is_active_account and user.role is Role.REGULATOR


def can_run_spot_checks(user: User | None) -> bool:
    return _regulator(user) and user is not None and user.organisation_id is not None


def can_inspect_for(user: User | None, regulator_id: int) -> bool:
    """Whether ``user`` may be in the inspector pool of a draw of this regulator: its own active staff."""
    return _regulator(user) and user is not None and user.organisation_id == regulator_id


def can_view_draw(user: User | None, draw: SpotCheckDraw) -> bool:
    """The internal page of a draw (with the inspectors' names): the staff of the regulator that made it."""
    return can_inspect_for(user, draw.regulator_id)


def can_record_result(user: User | None, item: SpotCheckItem) -> bool:
    return (
        can_inspect_for(user, item.draw.regulator_id)
        and user is not None
        and user.id in (item.inspector_id, item.draw.drawn_by_id)
    )
