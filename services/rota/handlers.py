"""What the rota does with each command and incoming event."""

from __future__ import annotations

from datetime import datetime

from rounds.contracts.people import WorkerRegistered
from services.rota.domain.workforce import RotaWorker
from services.rota.unit_of_work import RotaUnitOfWork


async def record_worker(uow: RotaUnitOfWork, event: WorkerRegistered, occurred_at: datetime) -> None:
    """Keep the rota's copy of a worker; runs inside the consumer's unit of work."""
    await uow.workers.save(
        RotaWorker(
            id=event.worker_id,
            given_name=event.given_name,
            family_name=event.family_name,
            role=event.role,
            locality=event.locality,
            skills=list(event.skills),
            contracted_hours_per_week=event.contracted_hours_per_week,
            known_since=occurred_at,
        )
    )
