"""Visits generated from care packages over a horizon, in the provider's time zone.

Times are resolved from local wall-clock times to UTC once, here, with a deliberate rule for the two
days a year when the clocks change (Europe/London: last Sunday of March and of October at 01:00 UTC):

* **Spring forward** (01:00 -> 02:00 local, so 01:30 does not exist): the visit starts at the same
  instant 01:30 would have been on the old offset, i.e. **02:30 local** (01:30 UTC). The visit moves
  later by the length of the gap, never earlier, so it never collides with a visit that ended just
  before the gap; the allowed window keeps its width around the resolved start.
* **Fall back** (02:00 -> 01:00 local, so 01:30 happens twice): the visit happens **once**, at the
  **first** 01:30 (still on summer time, 00:30 UTC). It is never generated twice, and the first
  occurrence keeps the gap since the previous evening's visit as agreed, not an hour longer.

Both rules are what Python's ``zoneinfo`` does with ``fold=0``; they are spelt out here (and tested)
so that a change of library cannot silently change when a vulnerable person is visited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

from services.rota.domain.geo import Location
from services.rota.domain.packages import CarePackage, RecurringVisit

DEFAULT_TIME_ZONE = "Europe/London"


class VisitStatus(StrEnum):
    """Where a visit stands in the rota."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Visit:
    """One planned visit to an individual, times in UTC (aware datetimes)."""

    id: UUID
    package_id: UUID
    package_version: int
    line_id: str
    individual_id: UUID
    locality: str
    location: Location
    local_date: date
    planned_start: datetime  # the preferred start, resolved to UTC
    duration_minutes: int
    window_start: datetime  # earliest allowed start
    window_end: datetime  # latest allowed start
    tasks: tuple[str, ...]
    workers_required: int
    required_skills: frozenset[str]
    carer_gender: str | None
    refused_workers: frozenset[UUID]
    status: VisitStatus = VisitStatus.SCHEDULED
    workers: tuple[UUID, ...] = ()  # allocated workers (empty = not allocated)
    allocated_start: datetime | None = None

    @property
    def planned_end(self) -> datetime:
        """When the visit is due to end if it starts at its preferred time."""
        return self.planned_start + timedelta(minutes=self.duration_minutes)

    def requirements(self) -> tuple[object, ...]:
        """What an allocation depends on: if any of it changes, the allocation must be made again."""
        return (
            self.window_start,
            self.window_end,
            self.duration_minutes,
            self.workers_required,
            self.required_skills,
            self.carer_gender,
            self.refused_workers,
            self.location,
            self.status,
        )


def visit_id(package_id: UUID, line_id: str, day: date) -> UUID:
    """A visit's id: the same package line on the same local day always has the same id."""
    return uuid.uuid5(package_id, f"{line_id}/{day.isoformat()}")


def resolve_local(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``wall`` on ``day`` in ``zone`` (see the module's DST rules)."""
    # fold=0: a missing time is read on the offset before the gap (so it lands after the gap),
    # an ambiguous time is its first occurrence.
    local = datetime.combine(day, wall.replace(fold=0), tzinfo=zone)
    return local.astimezone(UTC)


def _visit_on(package: CarePackage, line: RecurringVisit, day: date, zone: ZoneInfo) -> Visit:
    start = resolve_local(day, line.preferred_start, zone)
    flex = timedelta(minutes=line.flexibility_minutes)
    return Visit(
        id=visit_id(package.id, line.id, day),
        package_id=package.id,
        package_version=package.version,
        line_id=line.id,
        individual_id=package.individual_id,
        locality=package.locality,
        location=package.location,
        local_date=day,
        planned_start=start,
        duration_minutes=line.duration_minutes,
        window_start=start - flex,
        window_end=start + flex,
        tasks=line.tasks,
        workers_required=line.workers_required,
        required_skills=line.required_skills,
        carer_gender=package.carer_gender,
        refused_workers=package.refused_workers,
    )


def generate_visits(
    package: CarePackage, first_day: date, last_day: date, zone_name: str = DEFAULT_TIME_ZONE
) -> list[Visit]:
    """Every visit of ``package`` on local days ``first_day`` to ``last_day`` inclusive, by start."""
    zone = ZoneInfo(zone_name)
    visits: list[Visit] = []
    day = first_day
    while day <= last_day:
        if package.active_on(day):
            visits.extend(
                visit
                for line in package.visits
                if day.weekday() in line.weekdays
                for visit in [_visit_on(package, line, day, zone)]
                if not package.paused_at(visit.window_start)
            )
        day += timedelta(days=1)
    return sorted(visits, key=lambda v: (v.planned_start, str(v.id)))


@dataclass(frozen=True)
class Regeneration:
    """What changes when a package changes: only visits that start after ``now`` are touched."""

    added: list[Visit]
    changed: list[Visit]  # same id, new details; allocation kept only if its requirements did not change
    cancelled: list[Visit]
    unchanged: list[Visit]


def regenerate(
    existing: list[Visit],
    package: CarePackage,
    now: datetime,
    last_day: date,
    zone_name: str = DEFAULT_TIME_ZONE,
) -> Regeneration:
    """Bring the future visits of ``package`` in line with its new version, leaving the past alone.

    A visit is past (frozen) once its window has opened (``window_start <= now``): the worker may
    already be on the way. Future visits that the new version no longer produces are cancelled;
    those it still produces keep their id, and keep their allocation unless something the
    allocation depends on (times, duration, skills, workers needed, gender, refusals) changed.
    """
    zone = ZoneInfo(zone_name)
    today = now.astimezone(zone).date()
    wanted = {v.id: v for v in generate_visits(package, today, last_day, zone_name) if v.window_start > now}
    added: list[Visit] = []
    changed: list[Visit] = []
    cancelled: list[Visit] = []
    unchanged: list[Visit] = []
    for old in existing:
        if old.window_start <= now or old.status is VisitStatus.CANCELLED:
            continue
        new = wanted.pop(old.id, None)
        if new is None:
            cancelled.append(replace(old, status=VisitStatus.CANCELLED, workers=(), allocated_start=None))
            continue
        if new.requirements() == old.requirements():
            new = replace(new, workers=old.workers, allocated_start=old.allocated_start)
        if replace(new, package_version=old.package_version) == old:
            unchanged.append(old)
        else:
            changed.append(new)
    added = sorted(wanted.values(), key=lambda v: (v.planned_start, str(v.id)))
    return Regeneration(added=added, changed=changed, cancelled=cancelled, unchanged=unchanged)
