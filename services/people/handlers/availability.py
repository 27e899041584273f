"""A worker's working pattern and absences; each change is announced for the rota (000 P43)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from rounds.contracts.people import (
    WorkerAbsenceChanged,
    WorkerAbsenceRecorded,
    WorkerAvailabilityChanged,
    WorkingHours,
)
from rounds.infra.problems import Conflict, NotFound
from services.people.adapters.repository import StaleVersion
from services.people.domain.availability import (
    Absence,
    AbsenceKind,
    AbsenceStatus,
    AvailabilityRuleBroken,
    WorkingPattern,
    check_absence,
    check_pattern,
    is_short_notice,
)
from services.people.domain.workers import EmploymentStatus, Worker
from services.people.errors import Invalid, stale
from services.people.handlers.common import check_version, provider_time_zone
from services.people.handlers.oncall import report_gaps_after_absence
from services.people.unit_of_work import PeopleUnitOfWork


async def _worker(uow: PeopleUnitOfWork, worker_id: UUID) -> Worker:
    worker = await uow.workers.get(worker_id)
    if worker is None:
        raise NotFound(f"No worker has id {worker_id}.")
    return worker


async def pattern_of(uow: PeopleUnitOfWork, worker_id: UUID) -> tuple[WorkingPattern, int]:
    """The worker's pattern and its version (an empty pattern at version 0 when none was set)."""
    await _worker(uow, worker_id)
    found = await uow.availability.pattern(worker_id)
    return found if found is not None else (WorkingPattern(), 0)


async def set_pattern(
    uow: PeopleUnitOfWork, worker_id: UUID, pattern: WorkingPattern, expected_version: int | None
) -> tuple[WorkingPattern, int]:
    """Replace the worker's week; announces ``rounds.worker.availability.changed.v1``."""
    try:
        check_pattern(pattern)
    except AvailabilityRuleBroken as broken:
        raise Invalid.on(f"body.{broken.field}", broken.reason) from None
    async with uow:
        worker = await _worker(uow, worker_id)
        _, version = await pattern_of(uow, worker_id)
        check_version("working pattern", version, expected_version)
        try:
            await uow.availability.put_pattern(worker_id, pattern, version + 1)
        except StaleVersion:
            raise stale("working pattern", version + 1) from None
        uow.publish(
            WorkerAvailabilityChanged(
                worker_id=worker_id,
                locality=worker.locality,
                version=version + 1,
                hours=[
                    WorkingHours(
                        weekday=h.weekday, start=h.start.isoformat("minutes"), end=h.end.isoformat("minutes")
                    )
                    for h in sorted(pattern.hours, key=lambda h: (h.weekday, h.start))
                ],
                max_working_minutes_per_day=pattern.max_working_minutes_per_day,
                time_zone=provider_time_zone(),
            )
        )
        await uow.commit()
    return pattern, version + 1


async def _checked(uow: PeopleUnitOfWork, absence: Absence) -> Absence:
    others = await uow.availability.overlapping(absence.worker_id, absence.starts_at, absence.ends_at)
    try:
        check_absence(absence, others)
    except AvailabilityRuleBroken as broken:
        if broken.field == "starts_at" and others:
            raise Conflict(
                broken.reason, errors=[{"field": "body.starts_at", "reason": broken.reason}]
            ) from None
        raise Invalid.on(f"body.{broken.field}", broken.reason) from None
    return absence


async def record_absence(
    uow: PeopleUnitOfWork,
    worker_id: UUID,
    kind: AbsenceKind,
    starts_at: datetime,
    ends_at: datetime,
    note: str | None,
) -> Absence:
    """Record leave in advance or sickness on the day; announces ``rounds.worker.absence.recorded.v1``."""
    async with uow:
        worker = await _worker(uow, worker_id)
        if worker.status is not EmploymentStatus.ACTIVE:
            raise Conflict(f"{worker.full_name} has left the provider; no absence can be recorded.")
        now = uow.clock.now()
        absence = Absence(
            id=uuid4(),
            worker_id=worker_id,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            recorded_at=now,
            short_notice=is_short_notice(starts_at, now, provider_time_zone()),
            note=note,
        )
        await uow.availability.add_absence(await _checked(uow, absence))
        uow.publish(absence_event(WorkerAbsenceRecorded, absence, worker.locality))
        await report_gaps_after_absence(uow, worker_id, absence.starts_at, absence.ends_at)
        await uow.commit()
    return absence


async def existing_absence(uow: PeopleUnitOfWork, worker_id: UUID, absence_id: UUID) -> Absence:
    """The worker's absence, or 404."""
    await _worker(uow, worker_id)
    absence = await uow.availability.absence(worker_id, absence_id)
    if absence is None:
        raise NotFound(f"Worker {worker_id} has no absence with id {absence_id}.")
    return absence


async def change_absence(
    uow: PeopleUnitOfWork,
    worker_id: UUID,
    absence_id: UUID,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Absence:
    """Move, shorten (back early), extend or cancel (``status``) an absence; announces the change."""
    async with uow:
        worker = await _worker(uow, worker_id)
        current = await existing_absence(uow, worker_id, absence_id)
        check_version("absence", current.version, expected_version)
        if current.status is AbsenceStatus.CANCELLED:
            raise Conflict("The absence was cancelled; record a new one instead.")
        absence = replace(current, **changes, version=current.version + 1)
        if absence.status is AbsenceStatus.RECORDED:
            await _checked(uow, absence)
        try:
            await uow.availability.update_absence(absence, expected_version=current.version)
        except StaleVersion:
            raise stale("absence", current.version + 1) from None
        uow.publish(absence_event(WorkerAbsenceChanged, absence, worker.locality))
        # Before and after: a shortened absence closes a gap, a moved one may open another.
        start, end = min(current.starts_at, absence.starts_at), max(current.ends_at, absence.ends_at)
        await report_gaps_after_absence(uow, worker_id, start, end)
        await uow.commit()
    return absence


def absence_event(
    kind: type[WorkerAbsenceRecorded] | type[WorkerAbsenceChanged], absence: Absence, locality: str
) -> WorkerAbsenceRecorded | WorkerAbsenceChanged:
    """The state-carried event for ``absence``."""
    return kind(
        absence_id=absence.id,
        worker_id=absence.worker_id,
        locality=locality,
        version=absence.version,
        kind=absence.kind.value,
        starts_at=absence.starts_at,
        ends_at=absence.ends_at,
        short_notice=absence.short_notice,
        status=absence.status.value,
        recorded_at=absence.recorded_at,
    )
