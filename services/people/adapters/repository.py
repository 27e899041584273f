"""Loading and storing workers."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.people.adapters.tables import workers
from services.people.domain.workers import Worker, WorkerRole


class WorkerRepository:
    """Workers in the people database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, worker: Worker) -> None:
        """Store a new worker."""
        await self._session.execute(
            sa.insert(workers).values(
                id=worker.id,
                given_name=worker.given_name,
                family_name=worker.family_name,
                role=worker.role.value,
                locality=worker.locality,
                skills=worker.skills,
                contracted_hours_per_week=worker.contracted_hours_per_week,
                start_date=worker.start_date,
            )
        )

    async def get(self, worker_id: UUID) -> Worker | None:
        """The worker with this id, if any."""
        row = (await self._session.execute(sa.select(workers).where(workers.c.id == worker_id))).first()
        return _worker(row._mapping) if row else None

    async def list(self, *, limit: int, offset: int) -> list[Worker]:
        """A page of workers, by family then given name."""
        rows = await self._session.execute(
            sa.select(workers)
            .order_by(workers.c.family_name, workers.c.given_name, workers.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_worker(row._mapping) for row in rows]


def _worker(row: sa.RowMapping) -> Worker:
    return Worker(
        id=row["id"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        role=WorkerRole(row["role"]),
        locality=row["locality"],
        skills=list(row["skills"]),
        contracted_hours_per_week=row["contracted_hours_per_week"],
        start_date=row["start_date"],
    )
