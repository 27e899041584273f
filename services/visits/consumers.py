"""Events the visits service consumes: visits from the rota, homes from people."""

from __future__ import annotations

from typing import Any

from rounds.contracts.people import IndividualAnonymised, IndividualRegistered, IndividualUpdated
from rounds.contracts.rota import VisitAllocated, VisitCancelled, VisitChanged, VisitScheduled
from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import Subscriptions
from services.visits import handlers
from services.visits.domain.geo import Point
from services.visits.domain.visits import DEFAULT_SERVICE_TYPE, ExpectedVisit
from services.visits.unit_of_work import VisitsUnitOfWork

subscriptions: Subscriptions[VisitsUnitOfWork] = Subscriptions()

RotaVisitEvent = VisitScheduled | VisitAllocated | VisitChanged | VisitCancelled


def _home_in(raw: Any) -> Point | None:
    """Coordinates of the home when the rota's event carries them (optional; people's otherwise)."""
    location = raw.get("location") if isinstance(raw, dict) else None
    if not isinstance(location, dict):
        return None
    lat, lon = location.get("lat"), location.get("lon")
    if (
        isinstance(lat, int | float)
        and isinstance(lon, int | float)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    ):
        return Point(float(lat), float(lon))
    return None


def expected_visit(event: RotaVisitEvent, envelope: Envelope) -> ExpectedVisit:
    """The visit a rota event describes, as of the event's time.

    The visit type is a ``visit_type`` (or ``service_type``) when the rota sends one, else its
    ``visit_kind`` (the package line), else the default; the home's coordinates are the event's
    ``location`` when present, else people's (read when a record arrives).
    """
    raw = envelope.json()
    named = raw.get("visit_type") or raw.get("service_type") if isinstance(raw, dict) else None
    if not isinstance(named, str) or not named.strip():
        named = event.visit_kind  # the package line ("morning", "medication"): the nearest to a type
    service_type = _type_name(named) or DEFAULT_SERVICE_TYPE
    home = Point(event.location.lat, event.location.lon) if event.location is not None else _home_in(raw)
    if home is not None and not (-90 <= home.lat <= 90 and -180 <= home.lon <= 180):
        home = None
    return ExpectedVisit(
        visit_id=event.visit_id,
        individual_id=event.individual_id,
        package_id=event.package_id,
        locality=event.locality,
        local_date=event.local_date,
        time_zone=event.time_zone,
        service_type=service_type,
        planned_start=event.planned_start,
        planned_end=event.planned_end,
        window_start=event.window_start,
        window_end=event.window_end,
        tasks=tuple(event.tasks),
        workers_required=event.workers_required,
        workers=tuple(event.workers),
        address=event.address,
        cancelled=isinstance(event, VisitCancelled),
        rota_updated_at=envelope.time,
        home=home,
    )


def _type_name(named: str | None) -> str | None:
    """A visit type as thresholds name it: lower case, words joined by underscores."""
    if not named:
        return None
    words = "".join(ch if ch.isalnum() else " " for ch in named.strip().lower()).split()
    name = "_".join(words)[:100]
    return name if name and name[0].isalpha() else None


async def _visit_event(event: RotaVisitEvent, envelope: Envelope, uow: VisitsUnitOfWork) -> None:
    await handlers.expect_visit(uow, expected_visit(event, envelope), uow.defaults)


@subscriptions.on(VisitScheduled)
async def visit_scheduled(event: VisitScheduled, envelope: Envelope, uow: VisitsUnitOfWork) -> None:
    """A visit now exists in the rota: expect it."""
    await _visit_event(event, envelope, uow)


@subscriptions.on(VisitAllocated)
async def visit_allocated(event: VisitAllocated, envelope: Envelope, uow: VisitsUnitOfWork) -> None:
    """Its workers changed: only they may record on it from now on."""
    await _visit_event(event, envelope, uow)


@subscriptions.on(VisitChanged)
async def visit_changed(event: VisitChanged, envelope: Envelope, uow: VisitsUnitOfWork) -> None:
    """Its time or tasks changed: the monitor's deadlines move with it."""
    await _visit_event(event, envelope, uow)


@subscriptions.on(VisitCancelled)
async def visit_cancelled(event: VisitCancelled, envelope: Envelope, uow: VisitsUnitOfWork) -> None:
    """It will not happen: nothing falls due, and raised conditions are resolved as cancelled."""
    await _visit_event(event, envelope, uow)


@subscriptions.on(IndividualRegistered)
async def individual_registered(
    event: IndividualRegistered, envelope: Envelope, uow: VisitsUnitOfWork
) -> None:
    """Where the new individual lives (for the location check)."""
    await handlers.remember_home(uow, event)


@subscriptions.on(IndividualUpdated)
async def individual_updated(event: IndividualUpdated, envelope: Envelope, uow: VisitsUnitOfWork) -> None:
    """The individual may have moved or changed their phone."""
    await handlers.remember_home(uow, event)


@subscriptions.on(IndividualAnonymised)
async def individual_anonymised(
    event: IndividualAnonymised, envelope: Envelope, uow: VisitsUnitOfWork
) -> None:
    """Retention ran out: the home's phone and address go, its coordinates keep one decimal."""
    await handlers.anonymise_individual(uow, event)
