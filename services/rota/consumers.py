"""Events the rota consumes: the workforce from people."""

from __future__ import annotations

from rounds.contracts.people import WorkerRegistered
from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import Subscriptions
from services.rota import handlers
from services.rota.unit_of_work import RotaUnitOfWork

subscriptions: Subscriptions[RotaUnitOfWork] = Subscriptions()


@subscriptions.on(WorkerRegistered)
async def worker_registered(event: WorkerRegistered, envelope: Envelope, uow: RotaUnitOfWork) -> None:
    """A new worker can now be planned for."""
    await handlers.record_worker(uow, event, envelope.time)
