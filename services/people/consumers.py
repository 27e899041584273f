"""Events the people service consumes: the rota's visits, for who may read access notes when.

Each handler runs inside the consumer's unit of work behind the inbox (which commits) and replaces
the visit's windows with what the event says, so running it twice changes nothing.
"""

from __future__ import annotations

from rounds.contracts.rota import VisitAllocated, VisitCancelled, VisitChanged, VisitScheduled
from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import Subscriptions
from services.people.handlers.visits import record_visit
from services.people.unit_of_work import PeopleUnitOfWork

subscriptions: Subscriptions[PeopleUnitOfWork] = Subscriptions()


@subscriptions.on(VisitScheduled)
async def visit_scheduled(event: VisitScheduled, envelope: Envelope, uow: PeopleUnitOfWork) -> None:
    """A new visit, perhaps already allocated."""
    await record_visit(uow, event)


@subscriptions.on(VisitAllocated)
async def visit_allocated(event: VisitAllocated, envelope: Envelope, uow: PeopleUnitOfWork) -> None:
    """Its workers changed: only those now allocated may read the notes around it."""
    await record_visit(uow, event)


@subscriptions.on(VisitChanged)
async def visit_changed(event: VisitChanged, envelope: Envelope, uow: PeopleUnitOfWork) -> None:
    """Its time changed: the window moves with it."""
    await record_visit(uow, event)


@subscriptions.on(VisitCancelled)
async def visit_cancelled(event: VisitCancelled, envelope: Envelope, uow: PeopleUnitOfWork) -> None:
    """It will not happen: nobody reads the notes for it."""
    await record_visit(uow, event)
