"""The visits service's unit of work: its repositories in one transaction with the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rounds.infra.unit_of_work import UnitOfWork
from services.visits.adapters.repository import (
    HomeRepository,
    LiveRepository,
    RecordRepository,
    ThresholdRepository,
    VisitRepository,
)
from services.visits.domain.monitor import Thresholds


class VisitsUnitOfWork(UnitOfWork):
    """Visits, records, homes and thresholds, with the outbox and inbox."""

    visits: VisitRepository
    records: RecordRepository
    homes: HomeRepository
    thresholds: ThresholdRepository
    live: LiveRepository
    # The provider's default thresholds from the settings; the runtime sets them on every unit of work.
    defaults: Thresholds = Thresholds()

    def _open_repositories(self, session: AsyncSession) -> None:
        self.visits = VisitRepository(session)
        self.records = RecordRepository(session)
        self.homes = HomeRepository(session)
        self.thresholds = ThresholdRepository(session)
        self.live = LiveRepository(session)
