"""The day ``rounds bench alert-latency`` seeds: ``visits`` visits over 07:00-22:00, ``missed`` of them
reaching their missed threshold at known instants inside the measurement window.

The plan is pure (:func:`plan_day`); :func:`insert_visits` writes it into the visits database in bulk,
as the rota's ``rounds.visit.scheduled`` events would have left it (the expected visit, its
allocation and when the monitor must look next, worked out by the monitor's own rules), plus the
attendance of the visits already under way or done. One multi-row statement per chunk, not one
handler call per visit: 100,000 visits are seconds, not minutes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from rounds.infra.db import create_engine
from services.visits.adapters import tables as t
from services.visits.adapters.repository import _visit_values
from services.visits.domain import monitor
from services.visits.domain.monitor import Thresholds
from services.visits.domain.visits import Attendance, ExpectedVisit, VisitState

TIME_ZONE = "Europe/London"
LOCALITIES = tuple(f"Locality {n}" for n in range(12))
DAY_OPENS, DAY_CLOSES = time(7, 0), time(22, 0)
#: Planned lengths of the ordinary visits, in turn (minutes).
DURATIONS = (15, 30, 45, 60)
#: A missed visit's planned length: with the default thresholds it is late 15 minutes in and missed
#: at its planned end (its window closes before the 60 minutes of ``missed_after``).
MISSED_MINUTES = 30


@dataclass(frozen=True)
class Worker:
    """A care worker of the day, as people announces them."""

    worker_id: UUID
    locality: str
    index: int


@dataclass(frozen=True)
class SeededVisit:
    """One visit of the day and, for one already begun, its attendance."""

    visit: ExpectedVisit
    attendance: Attendance | None = None


@dataclass(frozen=True)
class DayPlan:
    """The ordinary visits, the workers, and the day's first instant."""

    day_start: datetime
    workers: tuple[Worker, ...]
    visits: tuple[SeededVisit, ...]


def day_start(now: datetime) -> datetime:
    """07:00 today in the provider's zone when ``now`` falls well inside 07:00-22:00.

    Outside it (a run at night) the 15-hour day is placed so that ``now`` is an hour into it or an
    hour before its end, whichever is nearer: the benchmark is the same whenever it runs.
    """
    local = now.astimezone(ZoneInfo(TIME_ZONE))
    opens = datetime.combine(local.date(), DAY_OPENS, tzinfo=local.tzinfo)
    length = timedelta(hours=15)
    into = min(max(local - opens, timedelta(hours=1)), length - timedelta(hours=1))
    return now - into


def _visit(
    start: datetime, minutes: int, worker: UUID, locality: str, individual: UUID, now: datetime
) -> ExpectedVisit:
    end = start + timedelta(minutes=minutes)
    return ExpectedVisit(
        visit_id=uuid4(),
        individual_id=individual,
        package_id=individual,
        locality=locality,
        local_date=start.astimezone(ZoneInfo(TIME_ZONE)).date(),
        time_zone=TIME_ZONE,
        service_type="personal_care",
        planned_start=start,
        planned_end=end,
        window_start=start - timedelta(minutes=15),
        window_end=start + timedelta(minutes=15),
        tasks=("medication", "personal_care"),
        workers_required=1,
        workers=(worker,),
        address="1 Bench Street",
        cancelled=False,
        rota_updated_at=now - timedelta(days=1),
    )


def plan_day(now: datetime, visits: int, missed: int, visits_per_worker: int = 10) -> DayPlan:
    """The ``visits - missed`` ordinary visits of the day, evenly over 07:00-22:00, and their workers.

    Visits that began before ``now`` were attended: checked in at their planned start, checked out at
    their planned end (or now, for the few still under way), so none of them can fall due again.
    Visits still ahead are first due 15 minutes after their start (late): after any window shorter
    than that which begins after ``now``. ``missed`` workers more are kept for the missed visits.
    """
    ordinary = visits - missed
    start_of_day = day_start(now)
    count = max(1, math.ceil(ordinary / visits_per_worker))
    workers = tuple(Worker(uuid4(), LOCALITIES[i % len(LOCALITIES)], i) for i in range(count + missed))
    individuals = [uuid4() for _ in range(max(1, ordinary // 4))]  # four visits a day each
    day = timedelta(hours=15)
    seeded: list[SeededVisit] = []
    for i in range(ordinary):
        worker = workers[i % count]
        start = (start_of_day + day * i / max(1, ordinary)).replace(microsecond=0)
        visit = _visit(
            start, DURATIONS[i % len(DURATIONS)], worker.worker_id, worker.locality,
            individuals[i % len(individuals)], now,
        )  # fmt: skip
        attendance = None
        if start < now:
            attendance = Attendance(
                worker_id=worker.worker_id,
                checked_in_at=start,
                check_in_record=uuid4(),
                checked_out_at=min(visit.planned_end, now),
                check_out_record=uuid4(),
            )
        seeded.append(SeededVisit(visit, attendance))
    return DayPlan(start_of_day, workers, tuple(seeded))


def missed_instants(window_start: datetime, window_seconds: float, missed: int) -> list[datetime]:
    """``missed`` thresholds spread evenly over the window (each in the middle of its own slice)."""
    step = window_seconds / missed
    return [window_start + timedelta(seconds=step * (j + 0.5)) for j in range(missed)]


def missed_visits(plan: DayPlan, instants: Sequence[datetime], now: datetime) -> list[SeededVisit]:
    """One visit per instant, nobody checked in, whose missed threshold is that instant (its planned
    end). Each has a worker of its own, so each is its own alert (a worker's run of late visits would
    be grouped into one). Their late threshold, 15 minutes earlier, has passed already."""
    spare = plan.workers[len(plan.workers) - len(instants) :]
    return [
        SeededVisit(
            _visit(
                instant - timedelta(minutes=MISSED_MINUTES),
                MISSED_MINUTES,
                worker.worker_id,
                worker.locality,
                uuid4(),
                now,
            )
        )
        for instant, worker in zip(instants, spare, strict=True)
    ]


def _rows(
    seeded: Sequence[SeededVisit], thresholds: Thresholds
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
    visits: list[dict[str, object]] = []
    allocations: list[dict[str, object]] = []
    attendances: list[dict[str, object]] = []
    for item in seeded:
        visit = item.visit
        attended = {item.attendance.worker_id: item.attendance} if item.attendance else {}
        state = VisitState(visit, attended)
        visits.append({**_visit_values(visit), "next_check_at": monitor.next_deadline(state, thresholds)})
        allocations.extend({"visit_id": visit.visit_id, "worker_id": w} for w in visit.workers)
        if item.attendance is not None:
            a = item.attendance
            attendances.append(
                {
                    "visit_id": visit.visit_id,
                    "worker_id": a.worker_id,
                    "checked_in_at": a.checked_in_at,
                    "check_in_record": a.check_in_record,
                    "checked_out_at": a.checked_out_at,
                    "check_out_record": a.check_out_record,
                }
            )
    return visits, allocations, attendances


async def insert_visits(
    url: str,
    seeded: Sequence[SeededVisit],
    thresholds: Thresholds,
    *,
    chunk: int = 2000,
    advance: Callable[[int], None] = lambda _n: None,
) -> None:
    """Write the visits, allocations and attendance in chunks of ``chunk`` visits, one transaction each."""
    engine = create_engine(url)
    try:
        for first in range(0, len(seeded), chunk):
            part = seeded[first : first + chunk]
            visits, allocations, attendances = _rows(part, thresholds)
            async with engine.begin() as conn:
                await conn.execute(sa.insert(t.expected_visits), visits)
                await conn.execute(sa.insert(t.allocations), allocations)
                if attendances:
                    await conn.execute(sa.insert(t.attendances), attendances)
            advance(len(part))
    finally:
        await engine.dispose()
