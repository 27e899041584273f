"""Visits as the rota describes them, for the visits tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from rounds.contracts.rota import VisitAllocated
from services.visits.domain.geo import Point
from services.visits.domain.visits import Attendance, ExpectedVisit, RaisedCondition, VisitState

LONDON = ZoneInfo("Europe/London")
# A home in Harrogate, and a point about 300 m away along the street.
HOME = Point(53.9921, -1.5418)
DOWN_THE_ROAD = Point(53.9948, -1.5418)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in London as a UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def expected_visit(
    *,
    day: date = date(2026, 11, 24),
    start: tuple[int, int] = (8, 0),
    minutes: int = 30,
    workers: tuple[UUID, ...] | None = None,
    locality: str = "Harrogate",
    tasks: tuple[str, ...] = ("medication", "breakfast"),
    service_type: str = "personal_care",
    home: Point | None = HOME,
    individual_id: UUID | None = None,
) -> ExpectedVisit:
    """A visit planned at ``start`` local time on ``day`` lasting ``minutes``."""
    planned_start = local(day, *start)
    return ExpectedVisit(
        visit_id=uuid4(),
        individual_id=individual_id or uuid4(),
        package_id=uuid4(),
        locality=locality,
        local_date=day,
        time_zone="Europe/London",
        service_type=service_type,
        planned_start=planned_start,
        planned_end=planned_start + timedelta(minutes=minutes),
        window_start=planned_start - timedelta(minutes=15),
        window_end=planned_start + timedelta(minutes=15),
        tasks=tasks,
        workers_required=len(workers) if workers else 1,
        workers=workers if workers is not None else (uuid4(),),
        address="1 Station Parade, Harrogate",
        cancelled=False,
        rota_updated_at=planned_start - timedelta(days=3),
        home=home,
    )


def state(
    visit: ExpectedVisit,
    *attendances: Attendance,
    raised: tuple[str, ...] = (),
) -> VisitState:
    """A visit with who is there and what was raised."""
    return VisitState(
        visit=visit,
        attendances={a.worker_id: a for a in attendances},
        raised={c: RaisedCondition(c, visit.planned_start, visit.planned_start) for c in raised},
    )


def arrived(visit: ExpectedVisit, at: datetime, left: datetime | None = None, worker: int = 0) -> Attendance:
    """The ``worker``-th allocated worker checked in at ``at`` (and out at ``left``)."""
    a = Attendance(worker_id=visit.workers[worker], checked_in_at=at, check_in_record=uuid4())
    return replace(a, checked_out_at=left, check_out_record=uuid4() if left else None)


def rota_event(visit: ExpectedVisit, **changes: object) -> VisitAllocated:
    """The rota's allocation event for ``visit``."""
    fields: dict[str, object] = {
        "visit_id": visit.visit_id,
        "individual_id": visit.individual_id,
        "package_id": visit.package_id,
        "locality": visit.locality,
        "local_date": visit.local_date,
        "time_zone": visit.time_zone,
        "planned_start": visit.planned_start,
        "planned_end": visit.planned_end,
        "window_start": visit.window_start,
        "window_end": visit.window_end,
        "tasks": list(visit.tasks),
        "workers_required": visit.workers_required,
        "workers": list(visit.workers),
        "address": visit.address,
    }
    fields.update(changes)
    return VisitAllocated.model_validate(fields)
