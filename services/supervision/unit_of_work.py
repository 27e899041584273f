"""The supervision service's unit of work: its repositories in one transaction with the outbox."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from rounds.infra.topology import load_topology
from rounds.infra.unit_of_work import UnitOfWork
from services.supervision.adapters.development import DevelopmentRepository
from services.supervision.adapters.repository import (
    AccessRepository,
    AgreementRepository,
    EvidenceRepository,
    NoticeRepository,
    RecordRepository,
    SessionRepository,
    SuperviseeRepository,
)
from services.supervision.adapters.workforce import VisitRepository, WorkforceRepository


class SupervisionUnitOfWork(UnitOfWork):
    """Supervisees, agreements, sessions, records, evidence, access, notices, development and read models."""

    supervisees: SuperviseeRepository
    agreements: AgreementRepository
    sessions: SessionRepository
    records: RecordRepository
    evidence: EvidenceRepository
    access: AccessRepository
    notices: NoticeRepository
    development: DevelopmentRepository
    visits: VisitRepository
    workforce: WorkforceRepository
    # The provider's zone for "today" and local dates; the runtime sets it from the settings.
    zone: ZoneInfo = ZoneInfo(load_topology().provider_time_zone)

    def _open_repositories(self, session: AsyncSession) -> None:
        self.supervisees = SuperviseeRepository(session)
        self.agreements = AgreementRepository(session)
        self.sessions = SessionRepository(session)
        self.records = RecordRepository(session)
        self.evidence = EvidenceRepository(session)
        self.access = AccessRepository(session)
        self.notices = NoticeRepository(session)
        self.development = DevelopmentRepository(session)
        self.visits = VisitRepository(session)
        self.workforce = WorkforceRepository(session)
