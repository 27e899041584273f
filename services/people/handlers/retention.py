"""The retention run: anonymise individuals whose records are past their retention period (issue 12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from rounds.contracts.people import IndividualAnonymised
from services.people.domain.organisation import local_day
from services.people.domain.retention import (
    anonymised,
    anonymised_key_person,
    due_for_anonymisation,
    retained_until,
)
from services.people.handlers.common import provider_time_zone, today
from services.people.unit_of_work import PeopleUnitOfWork


@dataclass(frozen=True)
class RetentionRun:
    """What one run did: the provider's day it judged by, and whom it anonymised."""

    run_on: date
    anonymised: list[UUID]
    still_retained: int
    already_anonymised: int


async def run_retention(uow: PeopleUnitOfWork) -> RetentionRun:
    """Anonymise every ended individual whose retention has run out, each with its event; idempotent.

    The day is the provider's local day by the service clock (never the caller's), so a run cannot be
    told to anonymise early. All of it commits in one transaction with the events (the outbox).
    """
    async with uow:
        day = today(uow)
        now = uow.clock.now()
        zone = provider_time_zone()
        done: list[UUID] = []
        retained = already = 0
        for individual in await uow.individuals.ended():
            ended_on = local_day(individual.status_since, zone) if individual.status_since else None
            if individual.anonymised_on is not None:
                already += 1
                continue
            if ended_on is None or not due_for_anonymisation(individual, ended_on, day):
                retained += 1
                continue
            cleared = anonymised(individual, day)
            await uow.individuals.update(cleared, expected_version=individual.version)
            people = await uow.key_people.of_individual(individual.id)
            for person in people:
                await uow.key_people.update(anonymised_key_person(person), expected_version=person.version)
            await uow.access.forget(individual.id)
            uow.publish(
                IndividualAnonymised(
                    individual_id=individual.id,
                    version=cleared.version,
                    locality=cleared.locality,
                    key_person_ids=[p.id for p in people],
                    care_ended_on=ended_on,
                    retained_until=retained_until(ended_on),
                    anonymised_at=now,
                )
            )
            done.append(individual.id)
        await uow.commit()
    return RetentionRun(run_on=day, anonymised=done, still_retained=retained, already_anonymised=already)
