"""Deadline arithmetic: notification fiction (§ 37 Abs. 2 SGB X), months and days
(§ 26 SGB X with §§ 187 ff. BGB), and moving an end on a weekend or public holiday to the
next working day (§ 26 Abs. 3 SGB X, § 64 Abs. 3 SGG). The rules' numbers are data
(FristRegel), the calendar arithmetic is here."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import holidays


@lru_cache(maxsize=16)
def _holidays(state: str, year: int) -> holidays.HolidayBase:
    # Imported at first use: the package loads every country's calendars (a start of
    # koffer should not wait for the Tibetan one).
    import holidays

    return holidays.country_holidays("DE", subdiv=state or None, years=year)


def is_workday(day: date, state: str | None = None) -> bool:
    region = state if state is not None else getattr(settings, "KOFFER_HOLIDAY_STATE", "")
    return day.weekday() < 5 and day not in _holidays(region, day.year)


def next_workday(day: date, state: str | None = None) -> date:
    while not is_workday(day, state):
        day += timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    """§ 188 Abs. 2, 3 BGB: same day number, or the month's last day if it has no such day."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def notification_date(posted: date, days: int, *, shift: bool, state: str | None = None) -> date:
    """The day a letter counts as received: ``days`` after posting, moved to a working day
    if ``shift`` (BSG, 6.5.2010, B 14 AS 12/09 R applies § 26 Abs. 3 SGB X to the fiction)."""
    received = posted + timedelta(days=days)
    return next_workday(received, state) if shift else received


def due_date(
    base: date,
    *,
    notification_days: int,
    months: int,
    days: int,
    shift: bool,
    state: str | None = None,
) -> date:
    """End of a deadline that starts with an event on ``base`` (posting or receipt)."""
    start = (
        notification_date(base, notification_days, shift=shift, state=state)
        if notification_days
        else base
    )
    end = add_months(start, months) if months else start
    end += timedelta(days=days)
    return next_workday(end, state) if shift else end
