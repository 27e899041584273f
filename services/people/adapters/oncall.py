"""Loading and storing the on-call roster: shifts, cover requirements and the gaps last reported."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.people.adapters.repository import StaleVersion, put_versioned
from services.people.adapters.tables import localities, on_call_cover, on_call_gap_reports, on_call_shifts
from services.people.domain.oncall import CoverRequirement, CoverWindow, Gap, OnCallShift, ShiftStatus

ShiftKey = tuple[datetime, UUID]


class OnCallRepository:
    """The roster in the people database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_locality(self, name: str) -> bool:
        """Hold the locality's row until commit, so two roster changes to it cannot interleave.

        Clashes and gaps are judged on the roster as read, so a second writer must wait for the first
        (Postgres: a row lock; SQLite serialises writers anyway). False when no such locality exists.
        """
        row = (
            await self._session.execute(
                sa.select(localities.c.id).where(localities.c.name == name).with_for_update()
            )
        ).first()
        return row is not None

    async def add(self, shift: OnCallShift) -> None:
        """Store a new shift."""
        await self._session.execute(sa.insert(on_call_shifts).values(id=shift.id, **_columns(shift)))

    async def update(self, shift: OnCallShift, *, expected_version: int) -> None:
        """Store ``shift`` over the row still at ``expected_version``; :class:`StaleVersion` otherwise."""
        result = await self._session.execute(
            sa.update(on_call_shifts)
            .where(on_call_shifts.c.id == shift.id, on_call_shifts.c.version == expected_version)
            .values(**_columns(shift))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(str(shift.id))

    async def get(self, shift_id: UUID) -> OnCallShift | None:
        """The shift with this id, if any."""
        row = (
            await self._session.execute(sa.select(on_call_shifts).where(on_call_shifts.c.id == shift_id))
        ).first()
        return _shift(row._mapping) if row else None

    async def overlapping(self, localities_: list[str], start: datetime, end: datetime) -> list[OnCallShift]:
        """Scheduled shifts of these localities that share any instant with ``[start, end)``."""
        rows = await self._session.execute(
            sa.select(on_call_shifts)
            .where(
                on_call_shifts.c.locality.in_(localities_),
                on_call_shifts.c.status == ShiftStatus.SCHEDULED.value,
                on_call_shifts.c.starts_at < end,
                on_call_shifts.c.ends_at > start,
            )
            .order_by(on_call_shifts.c.starts_at, on_call_shifts.c.id)
        )
        return [_shift(r._mapping) for r in rows]

    async def overlapping_for_worker(
        self, worker_id: UUID, start: datetime, end: datetime
    ) -> list[OnCallShift]:
        """The worker's scheduled shifts that share any instant with ``[start, end)``."""
        rows = await self._session.execute(
            sa.select(on_call_shifts).where(
                on_call_shifts.c.worker_id == worker_id,
                on_call_shifts.c.status == ShiftStatus.SCHEDULED.value,
                on_call_shifts.c.starts_at < end,
                on_call_shifts.c.ends_at > start,
            )
        )
        return [_shift(r._mapping) for r in rows]

    async def of_worker(self, worker_id: UUID) -> list[OnCallShift]:
        """Every shift the worker was ever given, by start (for their subject access export)."""
        rows = await self._session.execute(
            sa.select(on_call_shifts)
            .where(on_call_shifts.c.worker_id == worker_id)
            .order_by(on_call_shifts.c.starts_at, on_call_shifts.c.id)
        )
        return [_shift(r._mapping) for r in rows]

    async def page(
        self,
        locality: str,
        *,
        limit: int,
        after: ShiftKey | None,
        ending_after: datetime | None,
        starting_before: datetime | None,
        level: int | None,
        worker_id: UUID | None,
        status: ShiftStatus | None,
    ) -> list[OnCallShift]:
        """A page of a locality's shifts by start, after the cursor ``after``, filtered."""
        query = sa.select(on_call_shifts).where(on_call_shifts.c.locality == locality)
        if after is not None:
            query = query.where(
                sa.tuple_(on_call_shifts.c.starts_at, on_call_shifts.c.id)
                > sa.tuple_(
                    sa.literal(after[0], type_=on_call_shifts.c.starts_at.type),
                    sa.literal(after[1], type_=sa.Uuid()),
                )
            )
        if ending_after is not None:
            query = query.where(on_call_shifts.c.ends_at > ending_after)
        if starting_before is not None:
            query = query.where(on_call_shifts.c.starts_at < starting_before)
        if level is not None:
            query = query.where(on_call_shifts.c.level == level)
        if worker_id is not None:
            query = query.where(on_call_shifts.c.worker_id == worker_id)
        if status is not None:
            query = query.where(on_call_shifts.c.status == status.value)
        rows = await self._session.execute(
            query.order_by(on_call_shifts.c.starts_at, on_call_shifts.c.id).limit(limit)
        )
        return [_shift(r._mapping) for r in rows]

    async def cover(self, locality: str) -> tuple[CoverRequirement, int] | None:
        """The locality's cover requirement and its version, if one was set."""
        row = (
            await self._session.execute(sa.select(on_call_cover).where(on_call_cover.c.locality == locality))
        ).first()
        if row is None:
            return None
        windows = tuple(
            CoverWindow(
                frozenset(w["weekdays"]), time.fromisoformat(w["start"]), time.fromisoformat(w["end"])
            )
            for w in row.windows
        )
        return CoverRequirement(windows, row.levels_required), row.version

    async def put_cover(self, locality: str, cover: CoverRequirement, version: int) -> None:
        """Store the locality's cover requirement at ``version`` (1: a new one)."""
        values: dict[str, Any] = {
            "windows": [
                {
                    "weekdays": sorted(w.weekdays),
                    "start": w.start.isoformat("minutes"),
                    "end": w.end.isoformat("minutes"),
                }
                for w in cover.windows
            ],
            "levels_required": cover.levels_required,
            "version": version,
        }
        await put_versioned(self._session, on_call_cover, on_call_cover.c.locality, locality, values)

    async def last_gaps(self, locality: str) -> list[Gap] | None:
        """The gaps last announced for the locality (None: never announced)."""
        row = (
            await self._session.execute(
                sa.select(on_call_gap_reports.c.gaps).where(on_call_gap_reports.c.locality == locality)
            )
        ).first()
        if row is None:
            return None
        return [
            Gap(g["level"], datetime.fromisoformat(g["starts_at"]), datetime.fromisoformat(g["ends_at"]))
            for g in row.gaps
        ]

    async def record_gaps(self, locality: str, gaps: list[Gap], checked_at: datetime) -> None:
        """Remember the gaps just announced."""
        stored = [
            {"level": g.level, "starts_at": g.starts_at.isoformat(), "ends_at": g.ends_at.isoformat()}
            for g in gaps
        ]
        updated = await self._session.execute(
            sa.update(on_call_gap_reports)
            .where(on_call_gap_reports.c.locality == locality)
            .values(gaps=stored, checked_at=checked_at)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            await self._session.execute(
                sa.insert(on_call_gap_reports).values(locality=locality, gaps=stored, checked_at=checked_at)
            )


def _columns(shift: OnCallShift) -> dict[str, Any]:
    return {
        "locality": shift.locality,
        "level": shift.level,
        "worker_id": shift.worker_id,
        "worker_name": shift.worker_name,
        "role": shift.role,
        "contact_phone": shift.contact_phone,
        "contact_email": shift.contact_email,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "status": shift.status.value,
        "version": shift.version,
    }


def _shift(row: Any) -> OnCallShift:
    return OnCallShift(
        id=row["id"],
        locality=row["locality"],
        level=row["level"],
        worker_id=row["worker_id"],
        worker_name=row["worker_name"],
        role=row["role"],
        contact_phone=row["contact_phone"],
        contact_email=row["contact_email"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        status=ShiftStatus(row["status"]),
        version=row["version"],
    )
