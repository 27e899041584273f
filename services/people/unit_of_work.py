"""The people service's unit of work: its repositories in one transaction with the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rounds.infra.unit_of_work import UnitOfWork
from services.people.adapters.repository import WorkerRepository


class PeopleUnitOfWork(UnitOfWork):
    """Workers (and, as the service grows, individuals, key people and plans)."""

    workers: WorkerRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.workers = WorkerRepository(session)
