"""The people service's unit of work: its repositories in one transaction with the outbox."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from rounds.infra.unit_of_work import UnitOfWork
from services.people.adapters.availability import AvailabilityRepository
from services.people.adapters.field_crypto import FieldCipher
from services.people.adapters.individuals import AccessRepository, IndividualRepository, KeyPersonRepository
from services.people.adapters.oncall import OnCallRepository
from services.people.adapters.plans import PlanRepository
from services.people.adapters.repository import OrganisationRepository, WorkerRepository
from services.people.adapters.risk import RiskRepository


class PeopleUnitOfWork(UnitOfWork):
    """Workers, the organisation, individuals, key people, access notes, plans and the on-call roster."""

    workers: WorkerRepository
    organisation: OrganisationRepository
    individuals: IndividualRepository
    key_people: KeyPersonRepository
    access: AccessRepository
    plans: PlanRepository
    oncall: OnCallRepository
    availability: AvailabilityRepository
    risks: RiskRepository
    #: Encrypts access notes at rest; set per app by :meth:`using` (None: access notes cannot be touched).
    field_cipher: ClassVar[FieldCipher | None] = None

    @classmethod
    def using(cls, cipher: FieldCipher) -> type[PeopleUnitOfWork]:
        """This unit of work with ``cipher``: what the runtime builds one of per request or event."""
        return type(cls.__name__, (cls,), {"field_cipher": cipher})

    def _open_repositories(self, session: AsyncSession) -> None:
        self.workers = WorkerRepository(session)
        self.organisation = OrganisationRepository(session)
        self.individuals = IndividualRepository(session)
        self.key_people = KeyPersonRepository(session)
        self.access = AccessRepository(session, self.field_cipher)
        self.plans = PlanRepository(session)
        self.oncall = OnCallRepository(session)
        self.availability = AvailabilityRepository(session)
        self.risks = RiskRepository(session)
