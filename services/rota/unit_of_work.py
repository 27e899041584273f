"""The rota service's unit of work."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rounds.infra.unit_of_work import UnitOfWork
from services.rota.adapters.repository import RotaWorkerRepository


class RotaUnitOfWork(UnitOfWork):
    """The rota's repositories in one transaction with its outbox and inbox."""

    workers: RotaWorkerRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.workers = RotaWorkerRepository(session)
