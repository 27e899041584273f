"""Events the supervision service consumes: workers from people become supervisees."""

from __future__ import annotations

from rounds.contracts.people import WorkerRegistered
from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import Subscriptions
from services.supervision import handlers
from services.supervision.unit_of_work import SupervisionUnitOfWork

subscriptions: Subscriptions[SupervisionUnitOfWork] = Subscriptions()


@subscriptions.on(WorkerRegistered)
async def worker_registered(event: WorkerRegistered, envelope: Envelope, uow: SupervisionUnitOfWork) -> None:
    """A new worker is someone to supervise; their start date decides whether they are a new starter."""
    await handlers.register_supervisee(uow, event, envelope.time, uow.zone)
