"""Calendar arithmetic shared by the domains."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TypeVar

D = TypeVar("D", bound=date)

# China Standard Time, the zone people using the registry read times in (the data and APIs keep UTC).
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))


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


def in_china(moment: datetime) -> datetime:
    """``moment`` in China Standard Time; a naive time is taken to be UTC (as the database returns it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA_STANDARD_TIME)


def china_date(moment: datetime) -> str:
    """The day of ``moment`` in China, as people there date it (2026-12-04 for 2026-12-03T20:00Z)."""
    return in_china(moment).date().isoformat()


def china_time(moment: datetime) -> str:
    """A time as the interface shows it: China Standard Time to the minute, with the zone named."""
    return in_china(moment).strftime("%Y-%m-%d %H:%M") + " (UTC+8)"
