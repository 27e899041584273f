"""Calendar arithmetic for supervision timelines, in the provider's own zone.

The policy counts in calendar months from a start date ("month 3", "at six months"); a start on
31 January has its first month on 28 (or 29) February, not 3 March. Deadlines are whole local days:
a review due on 30 June is overdue from the first moment of 1 July in Europe/London, which is
23:00 UTC on 30 June while summer time runs.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo


def add_months(start: date, months: int) -> date:
    """``start`` moved by ``months`` calendar months, clamped to the last day of a shorter month."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date in ``zone`` at ``instant`` (which must be timezone-aware)."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no place in time: pass a timezone-aware value")
    return instant.astimezone(zone).date()
