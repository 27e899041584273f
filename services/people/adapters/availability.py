"""Loading and storing workers' availability patterns and absences."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.people.adapters.repository import StaleVersion, put_versioned
from services.people.adapters.tables import worker_absences, worker_availability
from services.people.domain.availability import (
    Absence,
    AbsenceKind,
    AbsenceStatus,
    WorkingHours,
    WorkingPattern,
)
from services.people.domain.oncall import Away

AbsenceKey = tuple[datetime, UUID]


class AvailabilityRepository:
    """Patterns and absences in the people database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def pattern(self, worker_id: UUID) -> tuple[WorkingPattern, int] | None:
        """The worker's pattern and its version, if one was set."""
        row = (
            await self._session.execute(
                sa.select(worker_availability).where(worker_availability.c.worker_id == worker_id)
            )
        ).first()
        if row is None:
            return None
        hours = tuple(
            WorkingHours(h["weekday"], time.fromisoformat(h["start"]), time.fromisoformat(h["end"]))
            for h in row.hours
        )
        return WorkingPattern(hours, row.max_working_minutes_per_day), row.version

    async def put_pattern(self, worker_id: UUID, pattern: WorkingPattern, version: int) -> None:
        """Store the pattern at ``version`` (1: the first); :class:`StaleVersion` if it moved meanwhile."""
        values: dict[str, Any] = {
            "hours": [
                {
                    "weekday": h.weekday,
                    "start": h.start.isoformat("minutes"),
                    "end": h.end.isoformat("minutes"),
                }
                for h in pattern.hours
            ],
            "max_working_minutes_per_day": pattern.max_working_minutes_per_day,
            "version": version,
        }
        await put_versioned(
            self._session, worker_availability, worker_availability.c.worker_id, worker_id, values
        )

    async def add_absence(self, absence: Absence) -> None:
        """Store a new absence."""
        await self._session.execute(sa.insert(worker_absences).values(id=absence.id, **_columns(absence)))

    async def update_absence(self, absence: Absence, *, expected_version: int) -> None:
        """Store over the absence still at ``expected_version``; :class:`StaleVersion` otherwise."""
        result = await self._session.execute(
            sa.update(worker_absences)
            .where(worker_absences.c.id == absence.id, worker_absences.c.version == expected_version)
            .values(**_columns(absence))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(str(absence.id))

    async def absence(self, worker_id: UUID, absence_id: UUID) -> Absence | None:
        """The worker's absence with this id, if any."""
        row = (
            await self._session.execute(
                sa.select(worker_absences).where(
                    worker_absences.c.id == absence_id, worker_absences.c.worker_id == worker_id
                )
            )
        ).first()
        return _absence(row._mapping) if row else None

    async def overlapping(self, worker_id: UUID, start: datetime, end: datetime) -> list[Absence]:
        """The worker's standing absences that share any instant with ``[start, end)``."""
        rows = await self._session.execute(
            sa.select(worker_absences).where(
                worker_absences.c.worker_id == worker_id,
                worker_absences.c.status == AbsenceStatus.RECORDED.value,
                worker_absences.c.starts_at < end,
                worker_absences.c.ends_at > start,
            )
        )
        return [_absence(r._mapping) for r in rows]

    async def away_between(self, worker_ids: list[UUID], start: datetime, end: datetime) -> list[Away]:
        """When any of these workers is absent within ``[start, end)`` (on-call chains leave them out)."""
        if not worker_ids:
            return []
        rows = await self._session.execute(
            sa.select(
                worker_absences.c.worker_id, worker_absences.c.starts_at, worker_absences.c.ends_at
            ).where(
                worker_absences.c.worker_id.in_(worker_ids),
                worker_absences.c.status == AbsenceStatus.RECORDED.value,
                worker_absences.c.starts_at < end,
                worker_absences.c.ends_at > start,
            )
        )
        return [Away(r.worker_id, r.starts_at, r.ends_at) for r in rows]

    async def all_of(self, worker_id: UUID) -> list[Absence]:
        """Every absence recorded for the worker, by start (for their subject access export)."""
        rows = await self._session.execute(
            sa.select(worker_absences)
            .where(worker_absences.c.worker_id == worker_id)
            .order_by(worker_absences.c.starts_at, worker_absences.c.id)
        )
        return [_absence(r._mapping) for r in rows]

    async def page(
        self, worker_id: UUID, *, limit: int, after: AbsenceKey | None, ending_after: datetime | None
    ) -> list[Absence]:
        """A page of the worker's absences by start, after the cursor ``after``."""
        query = sa.select(worker_absences).where(worker_absences.c.worker_id == worker_id)
        if after is not None:
            query = query.where(
                sa.tuple_(worker_absences.c.starts_at, worker_absences.c.id)
                > sa.tuple_(
                    sa.literal(after[0], type_=worker_absences.c.starts_at.type),
                    sa.literal(after[1], type_=sa.Uuid()),
                )
            )
        if ending_after is not None:
            query = query.where(worker_absences.c.ends_at > ending_after)
        rows = await self._session.execute(
            query.order_by(worker_absences.c.starts_at, worker_absences.c.id).limit(limit)
        )
        return [_absence(r._mapping) for r in rows]


def _columns(absence: Absence) -> dict[str, Any]:
    return {
        "worker_id": absence.worker_id,
        "kind": absence.kind.value,
        "starts_at": absence.starts_at,
        "ends_at": absence.ends_at,
        "recorded_at": absence.recorded_at,
        "short_notice": absence.short_notice,
        "note": absence.note,
        "status": absence.status.value,
        "version": absence.version,
    }


def _absence(row: Any) -> Absence:
    return Absence(
        id=row["id"],
        worker_id=row["worker_id"],
        kind=AbsenceKind(row["kind"]),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        recorded_at=row["recorded_at"],
        short_notice=row["short_notice"],
        note=row["note"],
        status=AbsenceStatus(row["status"]),
        version=row["version"],
    )
