"""Indicators of a plan (001 P3, P25): what a coordinator and a registered manager look at first."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from services.rota.domain.planning import (
    Plan,
    PlanningProblem,
    PlanVisit,
    PlanWorker,
    eligible,
    free_intervals,
)


@dataclass(frozen=True)
class Indicators:
    """Figures of one plan; minutes are whole minutes, shares are 0..1."""

    visits: int
    allocated_visits: int
    unallocated_visits: int
    unallocated_reasons: dict[str, int]
    travel_minutes: int  # between visits, plus commute from and to home
    continuity: float  # share of allocations by a worker the individual already knows
    # Continuity where the workforce allows it: over allocations to visits that some worker the
    # individual knows could have done (qualified, allowed, free for the whole visit inside its window,
    # others' visits aside), the share done by a known worker. An upper bound on what is possible, so
    # this share is a floor on how well the plan used it.
    continuity_where_possible: float
    known_possible_allocations: int  # the allocations that share is over
    utilisation: float  # visit minutes / minutes on shift, over workers with at least one visit
    overtime_minutes: int  # beyond contracted minutes, summed over workers
    outside_preferred: int  # allocations starting away from the preferred time
    minutes_from_preferred: int  # total distance from the preferred start

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)


def indicators(problem: PlanningProblem, plan: Plan) -> Indicators:
    """The indicators of ``plan`` for ``problem``."""
    travel = 0
    visit_minutes = 0
    shift_minutes = 0
    overtime = 0
    for worker_id, route in plan.by_worker().items():
        worker = problem.worker[worker_id]
        worked = 0
        for i, allocation in enumerate(route):
            duration = problem.visit[allocation.visit_id].duration
            worked += duration
            if i:
                leg = problem.travel_between(worker, route[i - 1].visit_id, allocation.visit_id)
                worked += leg
                travel += leg
        travel += problem.commute(worker, route[0].visit_id, home_first=True)
        travel += problem.commute(worker, route[-1].visit_id, home_first=False)
        visit_minutes += sum(problem.visit[a.visit_id].duration for a in route)
        shift_minutes += sum(end - start for start, end in free_intervals(worker))
        if worker.contracted_minutes is not None:
            overtime += max(0, worked - worker.contracted_minutes)
    known = sum(
        1
        for a in plan.allocations
        if not problem.visit[a.visit_id].known_workers
        or a.worker_id in problem.visit[a.visit_id].known_workers
    )
    could_know = {v.id for v in problem.visits if known_worker_could_go(problem, v)}
    possible = [a for a in plan.allocations if a.visit_id in could_know]
    kept = sum(1 for a in possible if a.worker_id in problem.visit[a.visit_id].known_workers)
    gaps = [abs(a.start - problem.visit[a.visit_id].preferred_start) for a in plan.allocations]
    reasons: dict[str, int] = {}
    for reason in plan.unallocated.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    allocated = len(plan.by_visit())
    return Indicators(
        visits=len(problem.visits),
        allocated_visits=allocated,
        unallocated_visits=len(problem.visits) - allocated,
        unallocated_reasons=reasons,
        travel_minutes=travel,
        continuity=round(known / len(plan.allocations), 4) if plan.allocations else 1.0,
        continuity_where_possible=round(kept / len(possible), 4) if possible else 1.0,
        known_possible_allocations=len(possible),
        utilisation=round(visit_minutes / shift_minutes, 4) if shift_minutes else 0.0,
        overtime_minutes=overtime,
        outside_preferred=sum(1 for g in gaps if g),
        minutes_from_preferred=sum(gaps),
    )


def known_worker_could_go(problem: PlanningProblem, visit: PlanVisit) -> bool:
    """Whether a worker ``visit``'s individual knows could do it, taking that worker alone.

    Qualified and allowed (:func:`eligible`) and free for the whole visit, starting inside its
    window, within one of their shifts less absences. Other visits are not considered, so two visits
    may both count on the same worker at the same time.
    """
    return any(
        _free_for(worker, visit)
        for worker_id in visit.known_workers
        if (worker := problem.worker.get(worker_id)) is not None and eligible(worker, visit)
    )


def _free_for(worker: PlanWorker, visit: PlanVisit) -> bool:
    for start, end in free_intervals(worker):
        earliest = max(start, visit.window_start)
        if earliest <= visit.window_end and earliest + visit.duration <= end:
            return True
    return False
