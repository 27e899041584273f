"""The people service's unit of work: its repositories in one transaction with the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rounds.infra.unit_of_work import UnitOfWork
from services.people.adapters.individuals import AccessRepository, IndividualRepository, KeyPersonRepository
from services.people.adapters.repository import OrganisationRepository, WorkerRepository


class PeopleUnitOfWork(UnitOfWork):
    """Workers, the organisation, individuals, key people, access notes and plans."""

    workers: WorkerRepository
    organisation: OrganisationRepository
    individuals: IndividualRepository
    key_people: KeyPersonRepository
    access: AccessRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.workers = WorkerRepository(session)
        self.organisation = OrganisationRepository(session)
        self.individuals = IndividualRepository(session)
        self.key_people = KeyPersonRepository(session)
        self.access = AccessRepository(session)
