"""Calendar arithmetic shared by the domains."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import TypeVar

D = TypeVar("D", bound=date)


def add_months(start: D, months: int) -> D:
    """The same day ``months`` later, or the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb).
    Works on dates and datetimes (a datetime keeps its time of day)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def iso_utc(moment: datetime) -> str:
    """A time as the published documents write it: UTC, whole seconds, "Z" (2026-11-23T08:00:00Z). A naive time
    is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
