"""The rota service's unit of work."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rounds.infra.unit_of_work import UnitOfWork
from services.rota.adapters.repository import (
    IndividualRepository,
    PackageRepository,
    PlanningRunRepository,
    RotaWorkerRepository,
    ScheduleVersionRepository,
    VisitRepository,
    WorkerPlanningRepository,
)


class RotaUnitOfWork(UnitOfWork):
    """The rota's repositories in one transaction with its outbox and inbox."""

    workers: RotaWorkerRepository
    individuals: IndividualRepository
    planning: WorkerPlanningRepository
    packages: PackageRepository
    visits: VisitRepository
    runs: PlanningRunRepository
    schedules: ScheduleVersionRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.workers = RotaWorkerRepository(session)
        self.individuals = IndividualRepository(session)
        self.planning = WorkerPlanningRepository(session)
        self.packages = PackageRepository(session)
        self.visits = VisitRepository(session)
        self.runs = PlanningRunRepository(session)
        self.schedules = ScheduleVersionRepository(session)
