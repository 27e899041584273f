"""Care packages derived from agreed plans (003 P14, P30) and the individual's own record (000 P43).

People publishes the individual (where they live, carer gender, workers they refused, whether they
are at home) and each agreed version of their plan (the kinds of visit, days, times, tasks and
skills). The rota keeps both and derives one package per individual from them: the package id
never changes across plan versions, so regeneration replaces future visits only and a visit whose
line did not change keeps its id and its allocation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from services.rota.domain.geo import Location
from services.rota.domain.packages import CARER_GENDERS, CarePackage, RecurringVisit

#: Statuses in which an individual receives visits; any other (in hospital, ended) pauses them.
RECEIVING_CARE = "active"


@dataclass(frozen=True)
class Individual:
    """What the rota needs of an individual, from people's events."""

    id: UUID
    version: int
    locality: str
    location: Location
    address: str
    carer_gender: str | None
    refused_workers: frozenset[UUID]
    status: str = RECEIVING_CARE
    paused_from: datetime | None = None  # away (in hospital, ended) from this instant ...
    paused_until: datetime | None = None  # ... until this one (None: not back yet)

    @property
    def away(self) -> bool:
        """Whether the individual is away with no return recorded yet."""
        return self.paused_from is not None and self.paused_until is None


@dataclass(frozen=True)
class AgreedPlan:
    """The visits of the agreed version of an individual's plan."""

    plan_id: UUID
    version: int
    start_date: date
    end_date: date | None
    visits: tuple[RecurringVisit, ...]


def plan_package_id(individual_id: UUID) -> UUID:
    """The id of the package derived from an individual's plans (the same for every version)."""
    return uuid.uuid5(individual_id, "agreed-care-plan")


def carer_gender(value: str | None) -> str | None:
    """A carer gender the rota plans with; anything else (e.g. "no preference") is no preference."""
    return value if value in CARER_GENDERS else None


def with_status(individual: Individual, status: str, effective_at: datetime) -> Individual:
    """The individual after a status change from ``effective_at``.

    Away (in hospital, service ended): visits pause from then; a second "away" status (hospital,
    then ended) keeps the first start. Back home: visits resume from then, not before.
    """
    if status == RECEIVING_CARE:
        if not individual.away:
            return replace(individual, status=status)
        return replace(individual, status=status, paused_until=effective_at)
    if individual.away:
        return replace(individual, status=status)
    return replace(individual, status=status, paused_from=effective_at, paused_until=None)


def package_from_plan(individual: Individual, plan: AgreedPlan, package_version: int = 1) -> CarePackage:
    """The package that delivers ``plan`` to ``individual`` (check it before use)."""
    return CarePackage(
        id=plan_package_id(individual.id),
        individual_id=individual.id,
        locality=individual.locality,
        location=individual.location,
        address=individual.address,
        visits=plan.visits,
        start_date=plan.start_date,
        end_date=plan.end_date,
        carer_gender=individual.carer_gender,
        refused_workers=individual.refused_workers,
        version=package_version,
        source_plan_id=plan.plan_id,
        source_plan_version=plan.version,
        paused_from=individual.paused_from,
        paused_until=individual.paused_until,
    )
