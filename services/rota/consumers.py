"""Events the rota consumes from people: the workforce, individuals and their agreed plans.

The handlers need the rota's configuration (time zone, horizon), so the subscriptions are built
once in ``main.py`` by :func:`subscriptions_for`; each handler runs inside the consumer's unit of
work, behind the inbox, and is safe to run twice (records keep the newest version).
"""

from __future__ import annotations

from rounds.contracts.people import (
    CarePlanAgreed,
    IndividualAnonymised,
    IndividualRegistered,
    IndividualStatusChanged,
    IndividualUpdated,
    WorkerComplianceChanged,
    WorkerRegistered,
    WorkerUpdated,
)
from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import Subscriptions
from services.rota import handlers
from services.rota.handlers import RotaConfig
from services.rota.unit_of_work import RotaUnitOfWork


def subscriptions_for(config: RotaConfig) -> Subscriptions[RotaUnitOfWork]:
    """The rota's event handlers, bound to its configuration."""
    subscriptions: Subscriptions[RotaUnitOfWork] = Subscriptions()

    @subscriptions.on(WorkerRegistered)
    async def worker_registered(event: WorkerRegistered, envelope: Envelope, uow: RotaUnitOfWork) -> None:
        """A new worker can now be planned for (once a coordinator gives their hours)."""
        await handlers.record_worker(uow, event, envelope.time)

    @subscriptions.on(WorkerUpdated)
    async def worker_updated(event: WorkerUpdated, envelope: Envelope, uow: RotaUnitOfWork) -> None:
        """Skills, locality, hours or the end of employment changed."""
        await handlers.update_worker(uow, event)

    @subscriptions.on(WorkerComplianceChanged)
    async def compliance_changed(
        event: WorkerComplianceChanged, envelope: Envelope, uow: RotaUnitOfWork
    ) -> None:
        """A worker who may not work is not planned until they may again."""
        await handlers.record_compliance(uow, event)

    @subscriptions.on(IndividualRegistered)
    async def individual_registered(
        event: IndividualRegistered, envelope: Envelope, uow: RotaUnitOfWork
    ) -> None:
        """Where an individual lives and their hard preferences (gender, refused workers)."""
        await handlers.record_individual(uow, config, event)

    @subscriptions.on(IndividualUpdated)
    async def individual_updated(event: IndividualUpdated, envelope: Envelope, uow: RotaUnitOfWork) -> None:
        """A changed record re-derives the individual's package (future visits only)."""
        await handlers.record_individual(uow, config, event)

    @subscriptions.on(IndividualStatusChanged)
    async def status_changed(event: IndividualStatusChanged, envelope: Envelope, uow: RotaUnitOfWork) -> None:
        """In hospital or ended: visits pause; home again: they come back (000 P43)."""
        await handlers.record_status(uow, config, event)

    @subscriptions.on(IndividualAnonymised)
    async def anonymised(event: IndividualAnonymised, envelope: Envelope, uow: RotaUnitOfWork) -> None:
        """Retention ran out: the address goes and the home's coordinates keep one decimal."""
        await handlers.anonymise_individual(uow, event)

    @subscriptions.on(CarePlanAgreed)
    async def plan_agreed(event: CarePlanAgreed, envelope: Envelope, uow: RotaUnitOfWork) -> None:
        """An agreed plan version becomes the individual's package."""
        await handlers.record_plan(uow, config, event)

    return subscriptions
