"""The on-call roster (000 P37): who answers for each locality at any instant, and where nobody does.

A shift puts one person on call for a locality at a level between two UTC instants (end exclusive):
level 1 answers first, level 2 is who an unacknowledged alert escalates to, and so on. Locality
``*`` is provider-wide cover backing every locality up. Rosters are written in the provider's local
time; a shift from 17:00 Saturday to 09:00 Sunday on the night the clocks go forward lasts 15 hours,
not 16, and that is right: the cover is for wall-clock hours.

**Gaps.** Each locality says which local hours need cover (by default all of them) and how deep the
chain must be (``levels_required``). At any instant the chain is the distinct people on call for the
locality or provider-wide, by level (the same chain alerts builds). A gap at level ``n`` is a
stretch of required hours when fewer than ``n`` people are on call: a level 1 gap means nobody at all
answers, a level 2 gap means nobody is there to escalate to.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

PROVIDER_WIDE = "*"
MAX_LEVEL = 5
#: A single shift may run a week and a day (a weekly handover with an overlap); longer is a mistake.
MAX_SHIFT = timedelta(days=8)
#: How far ahead gaps are looked for and reported (whole local days after today).
GAP_HORIZON = timedelta(days=14)


class ShiftStatus(StrEnum):
    """Whether a shift still counts."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OnCallShift:
    """One person on call for ``locality`` at ``level`` from ``starts_at`` to ``ends_at`` (UTC)."""

    id: UUID
    locality: str
    level: int
    worker_id: UUID
    worker_name: str
    role: str
    contact_phone: str
    starts_at: datetime
    ends_at: datetime
    contact_email: str | None = None
    status: ShiftStatus = ShiftStatus.SCHEDULED
    version: int = 1

    def covers(self, locality: str, at: datetime) -> bool:
        """Whether this shift answers for ``locality`` at ``at``."""
        return (
            self.status is ShiftStatus.SCHEDULED
            and self.locality in (locality, PROVIDER_WIDE)
            and self.starts_at <= at < self.ends_at
        )

    def overlaps(self, other: OnCallShift) -> bool:
        """Whether the two shifts share any instant (both must be scheduled)."""
        return (
            self.status is ShiftStatus.SCHEDULED
            and other.status is ShiftStatus.SCHEDULED
            and self.starts_at < other.ends_at
            and other.starts_at < self.ends_at
        )


class RosterRuleBroken(ValueError):
    """A shift that cannot stand, with the field at fault."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


class RosterClash(ValueError):
    """A shift that clashes with another one already on the roster."""

    def __init__(self, reason: str, other: OnCallShift) -> None:
        super().__init__(reason)
        self.other = other


def check_shift(shift: OnCallShift) -> None:
    """Raise :class:`RosterRuleBroken` for a shift no roster may hold."""
    if not 1 <= shift.level <= MAX_LEVEL:
        raise RosterRuleBroken("level", f"must be between 1 and {MAX_LEVEL}")
    if shift.ends_at <= shift.starts_at:
        raise RosterRuleBroken("ends_at", "must be after starts_at")
    if shift.ends_at - shift.starts_at > MAX_SHIFT:
        raise RosterRuleBroken("ends_at", f"a shift may last at most {MAX_SHIFT.days} days")


def check_clashes(shift: OnCallShift, others: Iterable[OnCallShift]) -> None:
    """Refuse two people at the same level of one locality at once, or one person twice in its chain."""
    for other in others:
        if other.id == shift.id or other.locality != shift.locality or not shift.overlaps(other):
            continue
        if other.level == shift.level:
            raise RosterClash(f"{other.worker_name} is already on call at level {other.level} then", other)
        if other.worker_id == shift.worker_id:
            raise RosterClash(f"{other.worker_name} is already on call at level {other.level} then", other)


@dataclass(frozen=True)
class ChainLink:
    """One place in the escalation chain at an instant."""

    place: int
    shift: OnCallShift


@dataclass(frozen=True)
class Away:
    """A worker absent from ``starts_at`` to ``ends_at`` (leave, sickness): they do not answer on call."""

    worker_id: UUID
    starts_at: datetime
    ends_at: datetime


def chain_at(
    shifts: Sequence[OnCallShift], locality: str, at: datetime, away: Sequence[Away] = ()
) -> list[ChainLink]:
    """Who to call, in order, for ``locality`` at ``at``: by level, the locality's own before provider-wide.

    A person on call at two levels appears once, at their first place (calling them twice helps nobody);
    a person absent at ``at`` is left out (a sick manager cannot answer, whatever the roster says).
    """
    absent = {a.worker_id for a in away if a.starts_at <= at < a.ends_at}
    on = sorted(
        (s for s in shifts if s.covers(locality, at) and s.worker_id not in absent),
        key=lambda s: (s.level, s.locality == PROVIDER_WIDE, s.starts_at, str(s.worker_id)),
    )
    chain: list[ChainLink] = []
    seen: set[UUID] = set()
    for shift in on:
        if shift.worker_id not in seen:
            seen.add(shift.worker_id)
            chain.append(ChainLink(len(chain) + 1, shift))
    return chain


# --- local time ---------------------------------------------------------------------------------


class LocalTimeRefused(ValueError):
    """A wall-clock time that does not name one instant in the zone (skipped or repeated by DST)."""


def local_instant(wall: datetime, zone: str) -> datetime:
    """The UTC instant of a naive local date-time; refuses times the clocks skip or repeat.

    On the night the clocks go forward 01:30 does not happen; on the night they go back it happens
    twice. Guessing would put someone on call an hour early or late, so the caller must give the
    UTC offset for those.
    """
    tz = ZoneInfo(zone)
    first = wall.replace(tzinfo=tz, fold=0)
    if first.utcoffset() == wall.replace(tzinfo=tz, fold=1).utcoffset():
        return first.astimezone(UTC)
    shown = wall.isoformat(timespec="minutes")
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        raise LocalTimeRefused(f"{shown} does not happen in {zone} that day (the clocks go forward)")
    raise LocalTimeRefused(
        f"{shown} happens twice in {zone} that day (the clocks go back): give the UTC offset"
    )
    return first.astimezone(UTC)


def wall_clock_instant(day: date, wall: time, zone: str) -> datetime:
    """The UTC instant of ``wall`` on local ``day``, for a recurring pattern (never refuses).

    A time the clocks skip is read as the same number of minutes after the change (01:30 becomes
    02:30 BST); a repeated time is its first occurrence. Cover windows use this so that a window from
    00:00 to 24:00 covers the whole local day, 23 or 25 hours long.
    """
    return datetime.combine(day, wall, tzinfo=ZoneInfo(zone)).astimezone(UTC)


# --- cover and gaps -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverWindow:
    """Local hours that need cover on some weekdays; ``end`` at or before ``start`` runs past midnight.

    ``start == end == 00:00`` is the whole day.
    """

    weekdays: frozenset[int]
    start: time
    end: time


ALL_DAY = CoverWindow(frozenset(range(7)), time(0), time(0))


@dataclass(frozen=True)
class CoverRequirement:
    """Which local hours of a locality need someone on call, and how deep the chain must be."""

    windows: tuple[CoverWindow, ...] = (ALL_DAY,)
    levels_required: int = 1


def check_cover(cover: CoverRequirement) -> None:
    """Raise :class:`RosterRuleBroken` for a requirement that cannot be met or read."""
    if not 1 <= cover.levels_required <= MAX_LEVEL:
        raise RosterRuleBroken("levels_required", f"must be between 1 and {MAX_LEVEL}")
    for index, window in enumerate(cover.windows):
        if not window.weekdays or not window.weekdays <= set(range(7)):
            raise RosterRuleBroken(f"windows.{index}.weekdays", "must name days 0 (Monday) to 6 (Sunday)")


def required_intervals(
    cover: CoverRequirement, start: datetime, end: datetime, zone: str
) -> list[tuple[datetime, datetime]]:
    """The UTC stretches within ``[start, end)`` that need cover, merged and in order."""
    tz = ZoneInfo(zone)
    first_day = start.astimezone(tz).date() - timedelta(days=1)  # a window from yesterday may run into today
    last_day = end.astimezone(tz).date()
    found: list[tuple[datetime, datetime]] = []
    day = first_day
    while day <= last_day:
        for window in cover.windows:
            if day.weekday() not in window.weekdays:
                continue
            end_day = day + timedelta(days=1) if window.end <= window.start else day
            a = wall_clock_instant(day, window.start, zone)
            b = wall_clock_instant(end_day, window.end, zone)
            a, b = max(a, start), min(b, end)
            if a < b:
                found.append((a, b))
        day += timedelta(days=1)
    return _merge(found)


def _merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


@dataclass(frozen=True)
class Gap:
    """A stretch of required cover with fewer than ``level`` people on call (UTC, end exclusive)."""

    level: int
    starts_at: datetime
    ends_at: datetime


def find_gaps(
    locality: str,
    shifts: Sequence[OnCallShift],
    cover: CoverRequirement,
    start: datetime,
    end: datetime,
    zone: str,
    away: Sequence[Away] = (),
) -> list[Gap]:
    """Every gap in ``locality``'s cover within ``[start, end)``, by level then time (absent people
    on the roster do not count)."""
    required = required_intervals(cover, start, end, zone)
    relevant = [
        s for s in shifts if s.status is ShiftStatus.SCHEDULED and s.locality in (locality, PROVIDER_WIDE)
    ]
    gaps: list[Gap] = []
    for a, b in required:
        # Between two consecutive boundaries the set of people on call does not change.
        bounds = [t for s in relevant for t in (s.starts_at, s.ends_at)]
        bounds += [t for x in away for t in (x.starts_at, x.ends_at)]
        cuts = sorted({a, b, *(t for t in bounds if a < t < b)})
        for left, right in itertools.pairwise(cuts):
            on_call = len(chain_at(relevant, locality, left, away))
            for level in range(on_call + 1, cover.levels_required + 1):
                gaps.append(Gap(level, left, right))
    return _merge_gaps(gaps)


def _merge_gaps(gaps: list[Gap]) -> list[Gap]:
    merged: list[Gap] = []
    for gap in sorted(gaps, key=lambda g: (g.level, g.starts_at)):
        last = merged[-1] if merged else None
        if last and last.level == gap.level and gap.starts_at <= last.ends_at:
            merged[-1] = Gap(gap.level, last.starts_at, max(last.ends_at, gap.ends_at))
        else:
            merged.append(gap)
    return merged


def still_open(gaps: Iterable[Gap], now: datetime) -> list[Gap]:
    """The gaps as they stand at ``now``: those over are dropped, one under way starts now."""
    return [Gap(g.level, max(g.starts_at, now), g.ends_at) for g in gaps if g.ends_at > now]


def horizon_end(now: datetime, zone: str) -> datetime:
    """The end of the gap horizon: local midnight at the end of the 14th day after today.

    It moves on once a day, not with every review, so a gap running to the horizon's end is
    announced again once a day rather than every time anyone looks.
    """
    last_day = now.astimezone(ZoneInfo(zone)).date() + GAP_HORIZON + timedelta(days=1)
    return wall_clock_instant(last_day, time(0), zone)


# --- weekly patterns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternLine:
    """One line of a weekly on-call rota: a person at a level on some weekdays, local wall-clock times.

    ``end`` at or before ``start`` runs into the next day (17:00 to 09:00 is a night on call).
    """

    weekdays: frozenset[int]
    start: time
    end: time
    level: int
    worker_id: UUID
    contact_phone: str
    contact_email: str | None = None


@dataclass(frozen=True)
class PlannedShift:
    """A shift a pattern asks for: which line, which local day, and its UTC instants."""

    line: int
    day: date
    starts_at: datetime
    ends_at: datetime


#: The longest stretch one pattern may be rolled out over.
MAX_PATTERN_DAYS = 62


def expand_pattern(
    lines: Sequence[PatternLine], first_day: date, last_day: date, zone: str
) -> list[PlannedShift]:
    """Every shift the pattern asks for from ``first_day`` to ``last_day`` (local days, inclusive).

    Times are wall-clock: a night from 17:00 to 09:00 is 15 hours when the clocks go forward and 17
    when they go back. A start the clocks skip is read as the same minutes after the change; a
    repeated time as its first occurrence (see :func:`wall_clock_instant`).
    """
    if last_day < first_day:
        raise RosterRuleBroken("last_day", "cannot be before first_day")
    if (last_day - first_day).days + 1 > MAX_PATTERN_DAYS:
        raise RosterRuleBroken(
            "last_day", f"roll a pattern out over at most {MAX_PATTERN_DAYS} days at a time"
        )
    planned: list[PlannedShift] = []
    day = first_day
    while day <= last_day:
        for index, line in enumerate(lines):
            if day.weekday() not in line.weekdays:
                continue
            end_day = day + timedelta(days=1) if line.end <= line.start else day
            planned.append(
                PlannedShift(
                    index,
                    day,
                    wall_clock_instant(day, line.start, zone),
                    wall_clock_instant(end_day, line.end, zone),
                )
            )
        day += timedelta(days=1)
    return planned
