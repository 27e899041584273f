"""What every people handler needs: the provider's day, version checks."""

from __future__ import annotations

from datetime import date

from rounds.infra.topology import load_topology
from rounds.infra.unit_of_work import UnitOfWork
from services.people.domain.organisation import local_day
from services.people.errors import stale


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
