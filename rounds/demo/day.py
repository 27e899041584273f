"""What the workers' apps do on one day, scripted from a seed (pure): the core of ``rounds simulate``.

Given the day's allocated visits (from the rota) and the demo provider, :func:`script_day` says what
each worker's app sends and when: check-ins with realistic lateness and GPS accuracy, tasks done or
refused, check-outs after realistic durations, offline batches sent late from homes without signal, a
few missed visits, a worker who never checks out (lone-worker overdue), one SOS, one incident and one
worker reporting sick at 07:00. The simulator's driver replays the script on an accelerated clock
through the gateway; it has no randomness of its own, so a run can be repeated exactly.

Times are aware UTC instants (the rota's planned starts); nothing here does I/O or reads a clock.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from rounds.demo.model import Individual, Point, Provider


@dataclass(frozen=True, slots=True)
class ScheduledVisit:
    """One visit of the day as the rota planned it; ``worker_refs`` is empty when unallocated."""

    visit_id: str
    individual_ref: str
    worker_refs: tuple[str, ...]
    planned_start: datetime
    duration_minutes: int
    tasks: tuple[str, ...]
    workers_required: int = 1


class ActionKind(StrEnum):
    """What a worker's app sends."""

    REPORT_SICK = "report_sick"
    CHECK_IN = "check_in"
    TASK_DONE = "task_done"
    TASK_REFUSED = "task_refused"
    CHECK_OUT = "check_out"
    SOS = "sos"
    INCIDENT = "incident"


@dataclass(frozen=True, slots=True)
class WorkerAction:
    """One thing a worker's app does: it happened ``at`` and reaches the platform ``sent_at``.

    ``sent_at`` is later than ``at`` for an offline batch (no signal at the home); ``location`` and
    ``accuracy_m`` are the phone's GPS fix where it gives one.
    """

    at: datetime
    sent_at: datetime
    kind: ActionKind
    worker_ref: str
    visit_id: str | None = None
    location: Point | None = None
    accuracy_m: float | None = None
    detail: str | None = None


@dataclass(frozen=True)
class DayRates:
    """How often things go differently from the plan (defaults from what coordinators see)."""

    missed: float = 0.005
    never_checked_out: float = 0.003
    task_refused: float = 0.03
    #: Share of check-ins by lateness band: on time (within 5 min), a little late, late, early.
    lateness_bands: tuple[tuple[float, int, int], ...] = (
        (0.68, -5, 5),
        (0.2, 5, 20),
        (0.08, 20, 45),
        (0.04, -15, -5),
    )
    #: Actual duration as a share of the planned one: mean and spread (normal, clipped).
    duration_mean: float = 0.96
    duration_spread: float = 0.12


@dataclass(frozen=True)
class DayScript:
    """Everything the apps send in a day, in the order it reaches the platform, and what to expect."""

    actions: tuple[WorkerAction, ...]
    sick_worker_ref: str | None
    #: Visits of the sick worker: the rota must repair these (000 P43); the driver re-reads schedules.
    to_repair: tuple[str, ...]
    missed: tuple[str, ...]
    never_checked_out: tuple[str, ...]
    offline_visits: tuple[str, ...]
    sos_visit: str | None
    incident_visit: str | None
    expected: dict[str, int] = field(default_factory=dict)


def _no_signal(individual: Individual) -> bool:
    return any("no mobile signal" in risk.description for risk in individual.plan.risks)


def _visit_rng(seed: int, visit_id: str) -> random.Random:
    """Each visit's own stream: its actions do not change when other visits are allocated differently."""
    return random.Random(f"{seed}/{visit_id}")  # noqa: S311 - repeatable, not security


def script_day(
    provider: Provider,
    day: date,
    visits: Sequence[ScheduledVisit],
    seed: int,
    rates: DayRates | None = None,
    *,
    pinned: Mapping[str, str | None] | None = None,
) -> DayScript:
    """The apps' actions for ``visits`` on the local ``day``, the same for the same seed.

    Every visit's lateness, duration, fixes and fate come from its own stream (seed and visit id), so
    a day scripted again after the rota repaired it sends the same records for the same visits. The
    day's events (``sick``, ``sos``, ``incident``) can be ``pinned`` to what a first run chose.
    """
    rates = rates or DayRates()
    zone = ZoneInfo(provider.time_zone)
    # Not for security: a seeded generator makes the day repeatable.
    rng = random.Random(seed)  # noqa: S311
    individuals = {i.ref: i for i in provider.individuals}
    allocated = sorted((v for v in visits if v.worker_refs), key=lambda v: (v.planned_start, v.visit_id))
    actions: list[WorkerAction] = []

    seven = datetime.combine(day, time(7, 0), zone).astimezone(UTC)
    pinned = pinned or {}
    sick, to_repair = _sickness(rng, allocated, actions, seven, pinned.get("sick", ""))
    candidates = [v for v in allocated if v.visit_id not in to_repair]
    fates = {v.visit_id: _visit_rng(seed, v.visit_id) for v in candidates}
    missed = {v.visit_id for v in candidates if fates[v.visit_id].random() < rates.missed}
    never_out = {
        v.visit_id
        for v in candidates
        if v.visit_id not in missed and fates[v.visit_id].random() < rates.never_checked_out
    }
    attended = [v for v in candidates if v.visit_id not in missed]
    attended_ids = {v.visit_id for v in attended}
    sos = pinned["sos"] if pinned.get("sos") in attended_ids else _pick_between(rng, attended, zone, 13, 17)
    incident = (
        pinned["incident"]
        if pinned.get("incident") in attended_ids
        else _pick_between(rng, [v for v in attended if v.visit_id != sos], zone, 7, 11)
    )
    offline: set[str] = set()
    for visit in attended:
        individual = individuals[visit.individual_ref]
        no_signal = _no_signal(individual)
        if no_signal:
            offline.add(visit.visit_id)
        actions.extend(
            _visit_actions(
                fates[visit.visit_id],
                rates,
                visit,
                individual,
                no_signal=no_signal,
                checks_out=visit.visit_id not in never_out,
                sos=visit.visit_id == sos,
                incident=visit.visit_id == incident,
            )
        )
    actions.sort(key=lambda a: (a.sent_at, a.at, a.worker_ref, a.kind.value))
    counts: dict[str, int] = {}
    for action in actions:
        counts[action.kind.value] = counts.get(action.kind.value, 0) + 1
    return DayScript(
        actions=tuple(actions),
        sick_worker_ref=sick,
        to_repair=tuple(sorted(to_repair)),
        missed=tuple(sorted(missed)),
        never_checked_out=tuple(sorted(never_out)),
        offline_visits=tuple(sorted(offline)),
        sos_visit=sos,
        incident_visit=incident,
        expected=counts,
    )


def _sickness(
    rng: random.Random,
    allocated: list[ScheduledVisit],
    actions: list[WorkerAction],
    at: datetime,
    pinned: str | None = "",
) -> tuple[str | None, set[str]]:
    """One worker with visits that day rings in sick at 07:00 local; their visits need repair (000 P43).

    ``pinned`` (a worker ref, or None for nobody) replays a first run's choice; "" chooses.
    """
    workers = sorted({ref for v in allocated for ref in v.worker_refs})
    if pinned != "":
        sick = pinned
    elif not workers:
        return None, set()
    else:
        sick = workers[rng.randrange(len(workers))]
    if sick is None:
        return None, set()
    actions.append(WorkerAction(at, at, ActionKind.REPORT_SICK, sick, detail="Vomiting overnight"))
    return sick, {v.visit_id for v in allocated if sick in v.worker_refs and v.planned_start >= at}


def _pick_between(
    rng: random.Random, visits: list[ScheduledVisit], zone: ZoneInfo, first_hour: int, last_hour: int
) -> str | None:
    """A visit starting between the local hours, else any visit; None when there are none."""
    window = [v for v in visits if first_hour <= v.planned_start.astimezone(zone).hour < last_hour] or visits
    return window[rng.randrange(len(window))].visit_id if window else None


def _fix(rng: random.Random, home: Point) -> tuple[Point, float]:
    """A GPS fix near the home: usually within 10-30 m, indoors sometimes 60-150 m."""
    accuracy = rng.uniform(5, 30) if rng.random() < 0.85 else rng.uniform(60, 150)
    bearing = rng.uniform(0, 2 * math.pi)
    metres = rng.uniform(0, accuracy)
    lat = home.lat + metres * math.cos(bearing) / 111_000
    lon = home.lon + metres * math.sin(bearing) / (111_320 * math.cos(math.radians(home.lat)))
    return Point(round(lat, 6), round(lon, 6)), round(accuracy, 1)


def _visit_actions(
    rng: random.Random,
    rates: DayRates,
    visit: ScheduledVisit,
    individual: Individual,
    *,
    no_signal: bool,
    checks_out: bool,
    sos: bool,
    incident: bool,
) -> list[WorkerAction]:
    """Check-in, tasks and check-out of each worker on the visit (both of a double-up)."""
    _share, low, high = rng.choices(rates.lateness_bands, [b[0] for b in rates.lateness_bands])[0]
    arrival = visit.planned_start + timedelta(minutes=rng.uniform(low, high))
    factor = min(1.5, max(0.5, rng.gauss(rates.duration_mean, rates.duration_spread)))
    departure = arrival + timedelta(minutes=visit.duration_minutes * factor)
    # Offline: the app queues everything and sends it on reaching signal, 20-60 minutes after leaving.
    sent_late = departure + timedelta(minutes=rng.uniform(20, 60)) if no_signal else None
    out: list[WorkerAction] = []
    for index, worker in enumerate(visit.worker_refs):
        # The second worker of a double-up arrives within a few minutes of the first.
        here = arrival + timedelta(minutes=rng.uniform(0, 4) * index)

        def act(
            at: datetime, kind: ActionKind, detail: str | None = None, *, worker: str = worker
        ) -> WorkerAction:
            location, accuracy = _fix(rng, individual.address.location)
            return WorkerAction(at, sent_late or at, kind, worker, visit.visit_id, location, accuracy, detail)

        out.append(act(here, ActionKind.CHECK_IN))
        step = (departure - here) / (len(visit.tasks) + 1)
        for number, task in enumerate(visit.tasks, start=1):
            refused = rng.random() < rates.task_refused
            detail = f"{task}: declined today" if refused else task
            out.append(
                act(
                    here + step * number, ActionKind.TASK_REFUSED if refused else ActionKind.TASK_DONE, detail
                )
            )
        if index == 0 and incident:
            out.append(
                act(
                    here + step,
                    ActionKind.INCIDENT,
                    "Found on the floor by the bed; no injury seen, 111 called",
                )
            )
        if index == 0 and sos:
            out.append(act(here + step, ActionKind.SOS, "Visitor at the door is aggressive"))
        if checks_out:
            out.append(act(departure + timedelta(minutes=rng.uniform(0, 2) * index), ActionKind.CHECK_OUT))
    return out


def planned_visits(provider: Provider, day: date) -> list[ScheduledVisit]:
    """The day's visits straight from the plans, unallocated, at their preferred local start.

    What the rota would generate for ``day`` (its ids are ``<individual ref>/<visit line>/<day>``), for
    tests and load generators that run without the rota; the simulator reads the rota's own visits.
    """
    zone = ZoneInfo(provider.time_zone)
    return [
        ScheduledVisit(
            visit_id=f"{individual.ref}/{visit.id}/{day.isoformat()}",
            individual_ref=individual.ref,
            worker_refs=(),
            planned_start=datetime.combine(day, visit.preferred_start, zone).astimezone(UTC),
            duration_minutes=visit.duration_minutes,
            tasks=visit.tasks,
            workers_required=visit.workers_required,
        )
        for individual, visit in provider.visits_on(day.weekday())
    ]


def script_visits(
    provider: Provider, visits: Sequence[ScheduledVisit], seed: int, rates: DayRates | None = None
) -> tuple[WorkerAction, ...]:
    """Check-ins, tasks and check-outs for ``visits`` only, every one attended (no day events).

    For visits the rota gave to someone else after the script was made (a sickness repaired): the new
    workers' apps do what any worker's would, with nobody missing it, sick, or pressing SOS.
    """
    rates = rates or DayRates()
    individuals = {i.ref: i for i in provider.individuals}
    actions: list[WorkerAction] = []
    for visit in sorted((v for v in visits if v.worker_refs), key=lambda v: (v.planned_start, v.visit_id)):
        individual = individuals[visit.individual_ref]
        fate = _visit_rng(seed, visit.visit_id)
        # The same draws as script_day's (missed, never checked out), so a later script agrees.
        fate.random()
        fate.random()
        actions.extend(
            _visit_actions(
                fate,
                rates,
                visit,
                individual,
                no_signal=_no_signal(individual),
                checks_out=True,
                sos=False,
                incident=False,
            )
        )
    actions.sort(key=lambda a: (a.sent_at, a.at, a.worker_ref, a.kind.value))
    return tuple(actions)
