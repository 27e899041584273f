"""The greedy first-fit baseline: visits by earliest window, each to the first worker it fits.

It is the yardstick the engine must beat on every indicator, and the fallback that always answers
within milliseconds. It also repairs: allocations it is given are kept where they are.
"""

from __future__ import annotations

from uuid import UUID

from services.rota.domain.planning import (
    Allocation,
    Plan,
    PlanningProblem,
    PlanVisit,
    PlanWorker,
    eligible,
    free_intervals,
)

Slot = tuple[int, int]  # (earliest, latest) start


class GreedyEngine:
    """First-fit insertion; ``allocate`` is deterministic for a given problem and kept plan."""

    name = "greedy"

    def allocate(self, problem: PlanningProblem, time_limit_s: float = 0.0, keep: Plan | None = None) -> Plan:
        """A plan for every visit of ``problem``; ``keep``'s allocations and unallocated visits stay put."""
        routes: dict[UUID, list[Allocation]] = {w.id: [] for w in problem.workers}
        placed: set[UUID] = set()
        for allocation in keep.allocations if keep else []:
            if allocation.worker_id in routes and allocation.visit_id in problem.visit:
                routes[allocation.worker_id].append(allocation)
                placed.add(allocation.visit_id)
        for route in routes.values():
            route.sort(key=lambda a: a.start)
        plan = Plan(unallocated=dict(keep.unallocated) if keep else {})
        placed |= set(plan.unallocated)
        for visit in sorted(problem.visits, key=lambda v: (v.window_start, -v.workers_required, str(v.id))):
            if visit.id in placed:
                continue
            chosen = self._place(problem, routes, visit)
            if chosen is None:
                plan.unallocated[visit.id] = explain_unplaced(problem, visit)
                continue
            start, workers = chosen
            for worker in workers:
                allocation = Allocation(visit.id, worker.id, start)
                routes[worker.id].append(allocation)
                routes[worker.id].sort(key=lambda a: a.start)
        plan.allocations = [a for route in routes.values() for a in route]
        return plan

    def _place(
        self, problem: PlanningProblem, routes: dict[UUID, list[Allocation]], visit: PlanVisit
    ) -> tuple[int, list[PlanWorker]] | None:
        candidates: list[tuple[PlanWorker, list[Slot]]] = []
        for worker in problem.workers:
            if not eligible(worker, visit):
                continue
            slots = insertion_slots(problem, worker, routes[worker.id], visit)
            if not slots:
                continue
            if visit.workers_required == 1:
                return _best_start(slots, visit), [worker]
            for other, other_slots in candidates:
                common = [
                    (max(a, c), min(b, d)) for a, b in slots for c, d in other_slots if max(a, c) <= min(b, d)
                ]
                if not common:
                    continue
                start = _best_start(common, visit)
                if fits_at(problem, other, routes[other.id], visit, start) and fits_at(
                    problem, worker, routes[worker.id], visit, start
                ):
                    return start, [other, worker]
            candidates.append((worker, slots))
        return None


def _best_start(slots: list[Slot], visit: PlanVisit) -> int:
    """The start in ``slots`` nearest the preferred start."""
    return min(
        (min(max(visit.preferred_start, a), b) for a, b in slots),
        key=lambda t: abs(t - visit.preferred_start),
    )


def insertion_slots(
    problem: PlanningProblem, worker: PlanWorker, route: list[Allocation], visit: PlanVisit
) -> list[Slot]:
    """Ranges of starts at which ``visit`` fits into ``worker``'s route without moving anything else."""
    return [(a, b) for _, a, b in insertion_options(problem, worker, route, visit)]


def insertion_options(
    problem: PlanningProblem, worker: PlanWorker, route: list[Allocation], visit: PlanVisit
) -> list[tuple[int, int, int]]:
    """Each (position in the route, earliest start, latest start) at which ``visit`` fits unmoved."""
    slots: list[tuple[int, int, int]] = []
    for lo, hi in free_intervals(worker):
        earliest, latest = max(visit.window_start, lo), min(visit.window_end, hi - visit.duration)
        if earliest > latest:
            continue
        position = 0
        while position <= len(route):
            before = route[position - 1] if position > 0 else None
            after = route[position] if position < len(route) else None
            a, b = earliest, latest
            if before is not None:
                b_visit = problem.visit[before.visit_id]
                a = max(
                    a,
                    before.start
                    + b_visit.duration
                    + problem.travel_between(worker, before.visit_id, visit.id),
                )
            if after is not None:
                b = min(
                    b, after.start - visit.duration - problem.travel_between(worker, visit.id, after.visit_id)
                )
            if a <= b and limits_hold(
                problem, worker, route, position, visit, min(max(visit.preferred_start, a), b)
            ):
                slots.append((position, a, b))
            position += 1
    return slots


def limits_hold(
    problem: PlanningProblem,
    worker: PlanWorker,
    route: list[Allocation],
    position: int,
    visit: PlanVisit,
    start: int,
) -> bool:
    """Working-time and break limits with ``visit`` inserted at ``position`` from ``start``."""
    trial = [*route[:position], Allocation(visit.id, worker.id, start), *route[position:]]
    worked = 0
    stretch_start = trial[0].start
    for i, allocation in enumerate(trial):
        duration = problem.visit[allocation.visit_id].duration
        if i:
            previous = trial[i - 1]
            travel = problem.travel_between(worker, previous.visit_id, allocation.visit_id)
            idle = allocation.start - (previous.start + problem.visit[previous.visit_id].duration) - travel
            worked += travel
            if idle >= worker.break_minutes:
                stretch_start = allocation.start - travel
        worked += duration
        if allocation.start + duration - stretch_start > worker.max_continuous_minutes:
            return False
    return worked <= worker.max_working_minutes


def fits_at(
    problem: PlanningProblem, worker: PlanWorker, route: list[Allocation], visit: PlanVisit, start: int
) -> bool:
    """Whether ``visit`` fits ``worker``'s route starting exactly at ``start``."""
    position = sum(1 for a in route if a.start <= start)
    return any(a <= start <= b for a, b in insertion_slots(problem, worker, route, visit)) and limits_hold(
        problem, worker, route, position, visit, start
    )


def explain_unplaced(problem: PlanningProblem, visit: PlanVisit) -> str:
    """Why no worker could take ``visit``, from the most basic reason to the most specific."""
    local = [w for w in problem.workers if w.locality == visit.locality]
    if not local:
        return f"no workers in {visit.locality}"
    skilled = [w for w in local if visit.required_skills <= w.skills]
    if not skilled:
        return f"no worker has the skills {', '.join(sorted(visit.required_skills))}"
    gendered = [w for w in skilled if visit.carer_gender is None or w.gender == visit.carer_gender]
    if not gendered:
        return f"no {visit.carer_gender} worker with the skills"
    accepted = [w for w in gendered if w.id not in visit.refused_workers]
    if len(accepted) < visit.workers_required:
        return "every suitable worker was refused by the individual"
    available = [
        w
        for w in accepted
        if any(
            max(visit.window_start, lo) <= min(visit.window_end, hi - visit.duration)
            for lo, hi in free_intervals(w)
        )
    ]
    if len(available) < visit.workers_required:
        return "no suitable worker is on shift (or present) during the window"
    if visit.workers_required == 2:
        return "no two suitable workers are free at the same time in the window"
    return "every suitable worker on shift is busy during the window"
