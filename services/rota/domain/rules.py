"""The validator: every rule of a plan checked from first principles, independent of any engine.

Tests run it on the output of every engine, coordinators' manual moves are explained with it, and
the benchmark counts its findings. It shares nothing with the engines but the problem's data and the
definitions written once in :mod:`services.rota.domain.planning`.

Hard rules (a plan breaking one is wrong; a coordinator cannot override them):
skills (001 P5), gender preference, refused workers, availability and absences, time window,
route (the worker can get from one visit to the next in time), working-time limit, breaks, and
double-ups (exactly the required number of different workers, starting together).

Soft rules (costed; a coordinator may accept them with a reason): start away from the preferred
time, a worker the individual does not know yet (continuity), overtime beyond contracted hours,
a worker from another locality.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from services.rota.domain.planning import Allocation, Plan, PlanningProblem, PlanWorker, free_intervals


class Rule(StrEnum):
    """Every rule the validator knows; the value is what API answers and events carry."""

    SKILLS = "skills"
    GENDER = "carer_gender"
    REFUSED = "refused_worker"
    AVAILABILITY = "availability"
    WINDOW = "time_window"
    ROUTE = "route"
    WORKING_TIME = "working_time"
    BREAK = "break"
    DOUBLE_UP = "double_up"
    UNKNOWN = "unknown_visit_or_worker"
    PREFERRED_TIME = "preferred_time"
    CONTINUITY = "continuity"
    OVERTIME = "overtime"
    LOCALITY = "locality"


SOFT_RULES = frozenset({Rule.PREFERRED_TIME, Rule.CONTINUITY, Rule.OVERTIME, Rule.LOCALITY})


@dataclass(frozen=True)
class Violation:
    """One rule broken, by whom and where, in words a coordinator understands."""

    rule: Rule
    message: str
    visit_id: UUID | None = None
    worker_id: UUID | None = None

    @property
    def hard(self) -> bool:
        """Whether no reason can make this acceptable."""
        return self.rule not in SOFT_RULES


def validate(problem: PlanningProblem, plan: Plan) -> list[Violation]:
    """Every rule ``plan`` breaks for ``problem`` (hard and soft)."""
    found: list[Violation] = []
    for visit_id, allocations in plan.by_visit().items():
        found.extend(_check_visit(problem, visit_id, allocations))
    for worker_id, route in plan.by_worker().items():
        worker = problem.worker.get(worker_id)
        if worker is None:
            found.append(
                Violation(Rule.UNKNOWN, f"worker {worker_id} is not in this plan", worker_id=worker_id)
            )
            continue
        found.extend(_check_route(problem, worker, [a for a in route if a.visit_id in problem.visit]))
    return found


def hard_violations(problem: PlanningProblem, plan: Plan) -> list[Violation]:
    """Only the rules no coordinator may override."""
    return [v for v in validate(problem, plan) if v.hard]


def _check_visit(problem: PlanningProblem, visit_id: UUID, allocations: list[Allocation]) -> list[Violation]:
    visit = problem.visit.get(visit_id)
    if visit is None:
        return [Violation(Rule.UNKNOWN, f"visit {visit_id} is not in this plan", visit_id=visit_id)]
    found: list[Violation] = []
    workers = [a.worker_id for a in allocations]
    if len(set(workers)) != len(workers) or len(workers) != visit.workers_required:
        found.append(
            Violation(
                Rule.DOUBLE_UP,
                f"needs {visit.workers_required} different worker(s), has {len(set(workers))}",
                visit_id=visit_id,
            )
        )
    if len({a.start for a in allocations}) > 1:
        found.append(Violation(Rule.DOUBLE_UP, "the two workers do not start together", visit_id=visit_id))
    for allocation in allocations:
        worker = problem.worker.get(allocation.worker_id)
        if worker is None:
            continue
        start, end = allocation.start, allocation.start + visit.duration

        def broke(rule: Rule, message: str, worker_id: UUID = allocation.worker_id) -> None:
            found.append(Violation(rule, message, visit_id=visit_id, worker_id=worker_id))

        if not visit.required_skills <= worker.skills:
            broke(Rule.SKILLS, f"lacks {', '.join(sorted(visit.required_skills - worker.skills))}")
        if visit.carer_gender is not None and worker.gender != visit.carer_gender:
            broke(Rule.GENDER, f"the individual asked for a {visit.carer_gender} carer")
        if worker.id in visit.refused_workers:
            broke(Rule.REFUSED, "the individual refused this worker")
        if any(a_start < end and start < a_end for a_start, a_end in worker.absences):
            broke(Rule.AVAILABILITY, "the worker is absent then")
        elif not any(s <= start and end <= e for s, e in free_intervals(worker)):
            broke(Rule.AVAILABILITY, "outside the worker's shifts")
        if not visit.window_start <= start <= visit.window_end:
            broke(Rule.WINDOW, "starts outside the agreed window")
        elif start != visit.preferred_start:
            broke(
                Rule.PREFERRED_TIME, f"starts {start - visit.preferred_start:+d} min from the preferred time"
            )
        if visit.known_workers and worker.id not in visit.known_workers:
            broke(Rule.CONTINUITY, "a worker the individual does not know yet")
        if worker.locality != visit.locality:
            broke(Rule.LOCALITY, f"worker from {worker.locality}")
    return found


def _check_route(problem: PlanningProblem, worker: PlanWorker, route: list[Allocation]) -> list[Violation]:
    found: list[Violation] = []
    worked = 0
    stretch_start: int | None = None
    previous: Allocation | None = None
    for allocation in route:
        visit = problem.visit[allocation.visit_id]
        end = allocation.start + visit.duration
        if previous is None:
            stretch_start = allocation.start
        else:
            before = problem.visit[previous.visit_id]
            previous_end = previous.start + before.duration
            travel = problem.travel_between(worker, previous.visit_id, visit.id)
            idle = allocation.start - previous_end - travel
            if idle < 0:
                found.append(
                    Violation(
                        Rule.ROUTE,
                        f"cannot arrive in time: {-idle} min short after the previous visit",
                        visit_id=visit.id,
                        worker_id=worker.id,
                    )
                )
            worked += travel
            if idle >= worker.break_minutes:
                stretch_start = allocation.start - travel
        worked += visit.duration
        assert stretch_start is not None
        if end - stretch_start > worker.max_continuous_minutes:
            found.append(
                Violation(
                    Rule.BREAK,
                    f"works {end - stretch_start} min without a {worker.break_minutes} min break",
                    visit_id=visit.id,
                    worker_id=worker.id,
                )
            )
        previous = allocation
    if worked > worker.max_working_minutes:
        found.append(
            Violation(
                Rule.WORKING_TIME,
                f"works {worked} min, over {worker.max_working_minutes}",
                worker_id=worker.id,
            )
        )
    elif worker.contracted_minutes is not None and worked > worker.contracted_minutes:
        found.append(
            Violation(
                Rule.OVERTIME, f"{worked - worker.contracted_minutes} min overtime", worker_id=worker.id
            )
        )
    return found


@dataclass(frozen=True)
class MoveVerdict:
    """The answer to a manual move: which rules it breaks, and whether it may go ahead."""

    violations: list[Violation]
    accepted: bool

    @property
    def hard(self) -> list[Violation]:
        """Rules no reason can override."""
        return [v for v in self.violations if v.hard]


def check_move(
    problem: PlanningProblem,
    plan: Plan,
    visit_id: UUID,
    workers: tuple[UUID, ...],
    start: int,
    override_reason: str | None = None,
) -> MoveVerdict:
    """What moving ``visit_id`` to ``workers`` at ``start`` breaks that the plan did not break already.

    Soft rules are accepted when the coordinator gives a reason (kept with the move for audit);
    a hard rule always refuses the move.
    """
    before = set(validate(problem, plan))
    moved = Plan(
        allocations=[a for a in plan.allocations if a.visit_id != visit_id]
        + [Allocation(visit_id, w, start) for w in workers],
        unallocated={k: v for k, v in plan.unallocated.items() if k != visit_id},
    )
    new = [v for v in validate(problem, moved) if v not in before]
    hard = any(v.hard for v in new)
    soft = any(not v.hard for v in new)
    accepted = not hard and (not soft or bool(override_reason and override_reason.strip()))
    return MoveVerdict(violations=new, accepted=accepted)
