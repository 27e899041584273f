"""What every people handler needs: the provider's day, version checks."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from rounds.infra.problems import NotFound
from rounds.infra.topology import load_topology
from rounds.infra.unit_of_work import UnitOfWork
from services.people.domain.individuals import Individual
from services.people.domain.organisation import local_day
from services.people.errors import stale
from services.people.unit_of_work import PeopleUnitOfWork


def provider_time_zone() -> str:
    """The provider's zone, declared once in ``rounds/topology.yaml``."""
    return load_topology().provider_time_zone


def today(uow: UnitOfWork) -> date:
    """The provider's calendar day now (compliance is judged per local day)."""
    return local_day(uow.clock.now(), provider_time_zone())


def check_version(resource: str, current: int, expected: int | None) -> None:
    """Refuse with 412 when the caller's ``If-Match`` version is not the current one (None: no check)."""
    if expected is not None and expected != current:
        raise stale(resource, current)


async def existing_individual(uow: PeopleUnitOfWork, individual_id: UUID) -> Individual:
    """The individual, or 404."""
    individual = await uow.individuals.get(individual_id)
    if individual is None:
        raise NotFound(f"No individual has id {individual_id}.")
    return individual
