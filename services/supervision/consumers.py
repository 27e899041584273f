"""Events the supervision service consumes.

From people: workers become supervisees, and workers' skills and agreed plans' required skills feed
the skills-gap report. From the rota: visits, so that an observation or feedback names a real one.
Each runs in the unit of work the consumer opens, which the inbox makes idempotent.
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
from rounds.contracts.rota import VisitAllocated, VisitCancelled, VisitChanged, VisitScheduled
from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import Subscriptions
from services.supervision import handlers, handlers_development, handlers_workforce
from services.supervision.unit_of_work import SupervisionUnitOfWork

subscriptions: Subscriptions[SupervisionUnitOfWork] = Subscriptions()


@subscriptions.on(WorkerRegistered)
async def worker_registered(event: WorkerRegistered, envelope: Envelope, uow: SupervisionUnitOfWork) -> None:
    """A new worker is someone to supervise; their start date decides whether they are a new starter."""
    await handlers.register_supervisee(uow, event, envelope.time, uow.zone)
    await handlers_workforce.keep_worker(uow, event)


@subscriptions.on(WorkerUpdated)
async def worker_updated(event: WorkerUpdated, envelope: Envelope, uow: SupervisionUnitOfWork) -> None:
    """The worker's skills, locality or status changed (an ended worker owes no more supervision)."""
    await handlers_workforce.keep_worker(uow, event)
    await handlers_workforce.worker_status(uow, event)


@subscriptions.on(WorkerComplianceChanged)
async def worker_compliance_changed(
    event: WorkerComplianceChanged, envelope: Envelope, uow: SupervisionUnitOfWork
) -> None:
    """Whether the worker may work changed."""
    await handlers_workforce.worker_compliance_changed(uow, event)


@subscriptions.on(CarePlanAgreed)
async def care_plan_agreed(event: CarePlanAgreed, envelope: Envelope, uow: SupervisionUnitOfWork) -> None:
    """An agreed plan's visits say which skills the individual's care requires."""
    await handlers_workforce.keep_plan(uow, event)


@subscriptions.on(IndividualStatusChanged)
async def individual_status_changed(
    event: IndividualStatusChanged, envelope: Envelope, uow: SupervisionUnitOfWork
) -> None:
    """An individual in hospital or ended makes no demand for now."""
    await handlers_workforce.individual_status(uow, event)


@subscriptions.on(IndividualRegistered)
async def individual_registered(
    event: IndividualRegistered, envelope: Envelope, uow: SupervisionUnitOfWork
) -> None:
    """An individual's status from the start (their plan may come later)."""
    await handlers_workforce.individual_status(uow, event)


@subscriptions.on(IndividualUpdated)
async def individual_updated(
    event: IndividualUpdated, envelope: Envelope, uow: SupervisionUnitOfWork
) -> None:
    """An individual's record as it now stands, status included."""
    await handlers_workforce.individual_status(uow, event)


@subscriptions.on(IndividualAnonymised)
async def individual_anonymised(
    event: IndividualAnonymised, envelope: Envelope, uow: SupervisionUnitOfWork
) -> None:
    """Retention ran out: feedback no longer names who gave it; the individual makes no demand."""
    await handlers_workforce.individual_anonymised(uow, event)


@subscriptions.on(VisitScheduled)
async def visit_scheduled(event: VisitScheduled, envelope: Envelope, uow: SupervisionUnitOfWork) -> None:
    """A visit exists in the rota."""
    await handlers_development.keep_visit(uow, event)


@subscriptions.on(VisitAllocated)
async def visit_allocated(event: VisitAllocated, envelope: Envelope, uow: SupervisionUnitOfWork) -> None:
    """A visit's workers were set or changed."""
    await handlers_development.keep_visit(uow, event)


@subscriptions.on(VisitChanged)
async def visit_changed(event: VisitChanged, envelope: Envelope, uow: SupervisionUnitOfWork) -> None:
    """A visit's time or tasks changed."""
    await handlers_development.keep_visit(uow, event)


@subscriptions.on(VisitCancelled)
async def visit_cancelled(event: VisitCancelled, envelope: Envelope, uow: SupervisionUnitOfWork) -> None:
    """A visit will not happen: nothing to observe there."""
    await handlers_development.keep_visit(uow, event)
