"""When a worker works: their weekly pattern and their absences (000 P43; 004's 7-day 08:00-20:00 rota).

A pattern is in local wall-clock time (the rota keeps 07:00-14:00 as 07:00-14:00 across a clock
change). An absence is a stretch of real time, stored as UTC instants; one recorded on the day it
starts (or after: sickness reported late) is short notice, and the rota repairs affected visits at once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

#: The longest single absence recorded in one go (a year); longer ones are recorded again.
MAX_ABSENCE = timedelta(days=366)


@dataclass(frozen=True)
class WorkingHours:
    """Hours worked on one weekday (0 = Monday), local wall-clock, ``end`` after ``start``."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class WorkingPattern:
    """A worker's week; an empty pattern means they are not to be planned."""

    hours: tuple[WorkingHours, ...] = ()
    max_working_minutes_per_day: int | None = None


class AvailabilityRuleBroken(ValueError):
    """A pattern or absence that cannot stand, with the field at fault."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


def check_pattern(pattern: WorkingPattern) -> None:
    """Raise :class:`AvailabilityRuleBroken` for a pattern the rota could not read."""
    by_day: dict[int, list[tuple[time, time, int]]] = {}
    for index, hours in enumerate(pattern.hours):
        if not 0 <= hours.weekday <= 6:
            raise AvailabilityRuleBroken(f"hours.{index}.weekday", "must be 0 (Monday) to 6 (Sunday)")
        if hours.end <= hours.start:
            raise AvailabilityRuleBroken(
                f"hours.{index}.end", "must be after start (split a night across two days)"
            )
        by_day.setdefault(hours.weekday, []).append((hours.start, hours.end, index))
    for spans in by_day.values():
        spans.sort()
        for (_, end, _), (start, _, index) in itertools.pairwise(spans):
            if start < end:
                raise AvailabilityRuleBroken(f"hours.{index}.start", "overlaps other hours on the same day")
    limit = pattern.max_working_minutes_per_day
    if limit is not None and not 30 <= limit <= 16 * 60:
        raise AvailabilityRuleBroken("max_working_minutes_per_day", "must be between 30 and 960 minutes")


class AbsenceKind(StrEnum):
    """Why a worker is away."""

    ANNUAL_LEAVE = "annual_leave"
    SICKNESS = "sickness"
    TRAINING = "training"
    COMPASSIONATE = "compassionate"
    OTHER = "other"


class AbsenceStatus(StrEnum):
    """Whether the absence still stands."""

    RECORDED = "recorded"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Absence:
    """A worker away from ``starts_at`` to ``ends_at`` (UTC, end exclusive)."""

    id: UUID
    worker_id: UUID
    kind: AbsenceKind
    starts_at: datetime
    ends_at: datetime
    recorded_at: datetime
    short_notice: bool
    note: str | None = None
    status: AbsenceStatus = AbsenceStatus.RECORDED
    version: int = 1

    def overlaps(self, other: Absence) -> bool:
        """Whether two standing absences share any instant."""
        return (
            self.status is AbsenceStatus.RECORDED
            and other.status is AbsenceStatus.RECORDED
            and self.starts_at < other.ends_at
            and other.starts_at < self.ends_at
        )


def is_short_notice(starts_at: datetime, recorded_at: datetime, zone: str) -> bool:
    """Recorded on the local day it starts, or later (sickness reported late): the rota repairs at once."""
    tz = ZoneInfo(zone)
    return starts_at.astimezone(tz).date() <= recorded_at.astimezone(tz).date()


def check_absence(absence: Absence, others: list[Absence]) -> None:
    """Raise :class:`AvailabilityRuleBroken` for an absence that cannot stand beside the others."""
    if absence.ends_at <= absence.starts_at:
        raise AvailabilityRuleBroken("ends_at", "must be after starts_at")
    if absence.ends_at - absence.starts_at > MAX_ABSENCE:
        raise AvailabilityRuleBroken("ends_at", "record at most a year at a time")
    for other in others:
        if other.id != absence.id and absence.overlaps(other):
            raise AvailabilityRuleBroken(
                "starts_at", f"overlaps the {other.kind.value} absence {other.id}: change that one instead"
            )
