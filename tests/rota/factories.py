"""Care packages and workers for the rota's tests, built the way a coordinator would describe them."""

from __future__ import annotations

import uuid
from datetime import date, time
from uuid import UUID

from services.rota.domain.geo import Location
from services.rota.domain.packages import CarePackage, RecurringVisit

EVERY_DAY = frozenset(range(7))


def recurring(
    line_id: str = "morning",
    at: time = time(8, 0),
    minutes: int = 45,
    *,
    weekdays: frozenset[int] = EVERY_DAY,
    flex: int = 30,
    workers: int = 1,
    skills: frozenset[str] = frozenset(),
    tasks: tuple[str, ...] = ("personal care",),
) -> RecurringVisit:
    """One recurring visit line."""
    return RecurringVisit(
        id=line_id,
        weekdays=weekdays,
        preferred_start=at,
        duration_minutes=minutes,
        flexibility_minutes=flex,
        tasks=tasks,
        workers_required=workers,
        required_skills=skills,
    )


def package(
    *lines: RecurringVisit,
    start: date = date(2026, 1, 1),
    end: date | None = None,
    package_id: UUID | None = None,
    version: int = 1,
    gender: str | None = None,
    refused: frozenset[UUID] = frozenset(),
) -> CarePackage:
    """A package for one individual in Leeds."""
    return CarePackage(
        id=package_id or uuid.uuid4(),
        individual_id=uuid.uuid4(),
        locality="leeds",
        location=Location(53.80, -1.55),
        visits=lines or (recurring(),),
        start_date=start,
        end_date=end,
        carer_gender=gender,
        refused_workers=refused,
        version=version,
    )
