"""One locality's day: from stored visits and workers to a planning problem, and a plan back to visits.

The day runs from local midnight (in the provider's zone) for 24 hours of wall-clock time: on a
clock-change day the problem's minutes still count real elapsed time from local midnight, and shift
times are resolved with the same DST rules as visits (:mod:`services.rota.domain.visits`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from uuid import UUID
from zoneinfo import ZoneInfo

from services.rota.domain.geo import Location
from services.rota.domain.planning import Allocation, Plan, PlanningProblem, PlanVisit, PlanWorker, Weights
from services.rota.domain.travel import TravelTimes
from services.rota.domain.visits import Visit, VisitStatus, resolve_local
from services.rota.domain.workforce import PlanningProfile, RotaWorker

#: A working week of contracted hours spread over five days.
_WORKING_DAYS_PER_WEEK = 5


def planning_day(
    day: date,
    zone_name: str,
    visits: Sequence[Visit],
    workers: Sequence[tuple[RotaWorker, PlanningProfile]],
    known_workers: dict[UUID, frozenset[UUID]],
    travel: TravelTimes,
    weights: Weights | None = None,
) -> PlanningProblem:
    """The planning problem of ``day`` for these (scheduled) visits and workers."""
    zone = ZoneInfo(zone_name)
    epoch = resolve_local(day, time(0, 0), zone)

    live = [v for v in visits if v.status is VisitStatus.SCHEDULED]
    plan_visits = [
        PlanVisit(
            id=v.id,
            individual_id=v.individual_id,
            locality=v.locality,
            location=v.location,
            window_start=_minutes(epoch, v.window_start),
            window_end=_minutes(epoch, v.window_end),
            preferred_start=_minutes(epoch, v.planned_start),
            duration=v.duration_minutes,
            workers_required=v.workers_required,
            required_skills=v.required_skills,
            carer_gender=v.carer_gender,
            refused_workers=v.refused_workers,
            known_workers=known_workers.get(v.individual_id, frozenset()),
        )
        for v in live
    ]
    fallback_home = _centre([v.location for v in live])
    plan_workers: list[PlanWorker] = []
    for worker, profile in workers:
        if not profile.plannable_on(day):
            continue  # may not work (compliance) or no longer works for the provider
        shifts = tuple(
            (
                _minutes(epoch, resolve_local(day, start, zone)),
                _minutes(epoch, resolve_local(day, end, zone)),
            )
            for start, end in profile.availability.get(day.weekday(), ())
        )
        if not shifts:
            continue
        absences = tuple((_minutes(epoch, s), _minutes(epoch, e)) for s, e in profile.absences)
        contracted = (
            round(worker.contracted_hours_per_week * 60 / _WORKING_DAYS_PER_WEEK)
            if worker.contracted_hours_per_week
            else None
        )
        plan_workers.append(
            PlanWorker(
                id=worker.id,
                locality=worker.locality,
                home=profile.home or fallback_home,
                skills=frozenset(worker.skills),
                gender=profile.gender,
                transport=profile.transport,
                shifts=shifts,
                absences=absences,
                max_working_minutes=profile.max_working_minutes,
                contracted_minutes=contracted,
            )
        )
    return PlanningProblem(epoch, plan_visits, plan_workers, travel, weights)


def _minutes(epoch: datetime, instant: datetime) -> int:
    """Whole minutes from ``epoch`` to ``instant``, rounded down."""
    return int((instant - epoch).total_seconds() // 60)


def _centre(places: Sequence[Location]) -> Location:
    """Where to assume a worker without a known home base starts: the middle of the day's visits."""
    if not places:
        return Location(0.0, 0.0)
    return Location(sum(p.lat for p in places) / len(places), sum(p.lon for p in places) / len(places))


@dataclass(frozen=True)
class DayChanges:
    """Visits whose allocation changed, and each worker whose day changed with what changed."""

    visits: list[tuple[Visit, Visit]]  # (before, after)
    workers: dict[UUID, tuple[set[UUID], set[UUID], set[UUID]]]  # worker -> (added, removed, moved)


def apply_plan(problem: PlanningProblem, visits: Iterable[Visit], plan: Plan) -> DayChanges:
    """The visits with ``plan``'s workers and starts, and what changed compared with before."""
    by_visit = plan.by_visit()
    changed: list[tuple[Visit, Visit]] = []
    workers: dict[UUID, tuple[set[UUID], set[UUID], set[UUID]]] = {}

    def touch(worker: UUID) -> tuple[set[UUID], set[UUID], set[UUID]]:
        return workers.setdefault(worker, (set(), set(), set()))

    for before in visits:
        if before.id not in problem.visit:
            continue
        allocations = by_visit.get(before.id, [])
        new_workers = tuple(sorted((a.worker_id for a in allocations), key=str))
        new_start = problem.at(allocations[0].start) if allocations else None
        after = replace(before, workers=new_workers, allocated_start=new_start)
        if after == before:
            continue
        changed.append((before, after))
        for w in set(new_workers) - set(before.workers):
            touch(w)[0].add(before.id)
        for w in set(before.workers) - set(new_workers):
            touch(w)[1].add(before.id)
        if new_start != before.allocated_start:
            for w in set(new_workers) & set(before.workers):
                touch(w)[2].add(before.id)
    return DayChanges(visits=changed, workers=workers)


def current_plan(problem: PlanningProblem, visits: Iterable[Visit]) -> Plan:
    """The plan the stored visits already hold (for manual moves and repair)."""
    plan = Plan()
    for visit in visits:
        if visit.id not in problem.visit:
            continue
        if visit.workers and visit.allocated_start is not None:
            start = problem.minute_of(visit.allocated_start)
            plan.allocations.extend(Allocation(visit.id, w, start) for w in visit.workers)
    return plan
