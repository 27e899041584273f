"""Loading and storing the rota's read model of workers."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.rota.adapters.tables import workers
from services.rota.domain.workforce import RotaWorker


class RotaWorkerRepository:
    """Workers the rota can plan with."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, worker: RotaWorker) -> None:
        """Insert or replace ``worker``."""
        values = {
            "given_name": worker.given_name,
            "family_name": worker.family_name,
            "role": worker.role,
            "locality": worker.locality,
            "skills": worker.skills,
            "contracted_hours_per_week": worker.contracted_hours_per_week,
            "known_since": worker.known_since,
        }
        updated = await self._session.execute(
            sa.update(workers).where(workers.c.id == worker.id).values(values)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            await self._session.execute(sa.insert(workers).values(id=worker.id, **values))

    async def get(self, worker_id: UUID) -> RotaWorker | None:
        """The worker with this id, if the rota knows them."""
        row = (await self._session.execute(sa.select(workers).where(workers.c.id == worker_id))).first()
        return RotaWorker(**row._mapping) if row else None

    async def list(self, *, locality: str | None, limit: int, offset: int) -> list[RotaWorker]:
        """A page of workers, optionally in one locality."""
        query = sa.select(workers).order_by(workers.c.family_name, workers.c.given_name, workers.c.id)
        if locality is not None:
            query = query.where(workers.c.locality == locality)
        rows = await self._session.execute(query.limit(limit).offset(offset))
        return [RotaWorker(**row._mapping) for row in rows]
