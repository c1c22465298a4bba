"""Working days in China: the deadline a listing sets the bodies (five working days to withdraw the labels).

China's working days are not Monday to Friday: the public holidays move with the lunar calendar and the State
Council shifts weekend days to make them longer (调休: some Saturdays and Sundays are working days). The
``chinesecalendar`` package (module ``chinese_calendar``) holds each year's arrangement as the State Council
announces it, usually in November for the next year, and refuses a year it does not know; it was chosen over
``holidays`` for that refusal: ``holidays`` answers for any year from the rules, which for China are not the
announced arrangement. For a year the package does not know yet, the count falls back to Monday to Friday, and
the demand says so (``DueCalendar.WEEKDAYS``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import chinese_calendar  # type: ignore[import-untyped]

from registry.supervision.models import DueCalendar


def is_china_workday(day: date) -> bool:
    """Whether ``day`` is a working day in China. ``chinese_calendar`` signals a year whose arrangement the State
    Council has not announced yet with its NotImplementedError, which ``add_working_days`` turns into the
    Monday-to-Friday count."""
    return bool(chinese_calendar.is_workday(day))


def add_working_days(start: date, count: int) -> tuple[date, DueCalendar]:
    """The ``count``-th working day after ``start`` (``start`` itself not counted), and the calendar counted by."""
    try:
        return _add(start, count, is_china_workday), DueCalendar.CHINA
    except NotImplementedError:
        return _add(start, count, lambda day: day.weekday() < 5), DueCalendar.WEEKDAYS


def _add(start: date, count: int, is_workday: Callable[[date], bool]) -> date:
    day = start
    left = count
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day
