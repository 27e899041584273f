"""Commands the people service carries out: each loads, decides, records events and commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid4

from rounds.contracts.people import WorkerRegistered
from services.people.domain.workers import Worker, WorkerRole, normalise_skills
from services.people.unit_of_work import PeopleUnitOfWork


@dataclass(frozen=True)
class RegisterWorker:
    """Add a member of staff to the workforce."""

    given_name: str
    family_name: str
    role: WorkerRole
    locality: str
    skills: list[str] = field(default_factory=list)
    contracted_hours_per_week: float | None = None
    start_date: date | None = None
    worker_id: UUID = field(default_factory=uuid4)


async def register_worker(uow: PeopleUnitOfWork, command: RegisterWorker) -> Worker:
    """Store the worker and announce ``rounds.worker.registered.v1`` in the same transaction."""
    worker = Worker(
        id=command.worker_id,
        given_name=command.given_name.strip(),
        family_name=command.family_name.strip(),
        role=command.role,
        locality=command.locality.strip(),
        skills=normalise_skills(command.skills),
        contracted_hours_per_week=command.contracted_hours_per_week,
        start_date=command.start_date,
    )
    async with uow:
        await uow.workers.add(worker)
        uow.publish(
            WorkerRegistered(
                worker_id=worker.id,
                given_name=worker.given_name,
                family_name=worker.family_name,
                role=worker.role.value,
                locality=worker.locality,
                skills=worker.skills,
                contracted_hours_per_week=worker.contracted_hours_per_week,
                start_date=worker.start_date,
            )
        )
        await uow.commit()
    return worker
