"""Repair of the day: re-plan only what must change when a worker goes off sick (000 P43).

Everything not affected stays exactly where it was: other workers' allocations, and visits that were
already unallocated (they are the coordinator's to decide on). Only the sick worker's visits from the
moment they went off are offered to the others, by insertion into the gaps of their routes, so the
answer comes in well under a second for a locality, and the list of moved visits tells the visits and
alerts services whom to inform (000 P44, P45).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from services.rota.domain.greedy import GreedyEngine
from services.rota.domain.planning import Plan, PlanningProblem


@dataclass(frozen=True)
class Repair:
    """The repaired plan, the problem it is valid for, and what changed."""

    problem: PlanningProblem
    problem_plan: Plan
    moved: dict[UUID, tuple[UUID, ...]]  # visit -> its new workers (empty = now unallocated)


def repair(problem: PlanningProblem, plan: Plan, sick_worker: UUID, from_minute: int | None = None) -> Repair:
    """``plan`` with ``sick_worker`` absent from ``from_minute`` (default: the whole period)."""
    start = from_minute if from_minute is not None else -(10**6)
    workers = [
        replace(w, absences=(*w.absences, (start, 10**6))) if w.id == sick_worker else w
        for w in problem.workers
    ]
    repaired_problem = problem.with_workers(workers)
    freed = {a.visit_id for a in plan.allocations if a.worker_id == sick_worker and a.start >= start}
    kept = Plan(
        allocations=[a for a in plan.allocations if a.visit_id not in freed],
        unallocated=dict(plan.unallocated),
    )
    repaired = GreedyEngine().allocate(repaired_problem, keep=kept)
    by_visit = repaired.by_visit()
    moved = {v: tuple(a.worker_id for a in by_visit.get(v, [])) for v in freed}
    return Repair(problem=repaired_problem, problem_plan=repaired, moved=moved)
