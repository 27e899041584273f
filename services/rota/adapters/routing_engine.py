"""The allocation engine on OR-Tools routing (9.15): one model with every home care rule.

Model (one vehicle per worker shift, one node per worker a visit needs):

* Time dimension: transit = visit duration + travel (commute from and to home is costed, not
  timed, see :mod:`services.rota.domain.planning`); a visit node's cumul is its start, bounded by
  its window; a vehicle's start and end are bounded by the shift.
* Work dimension (no slack, starts at zero): visit durations + travel, capped by the worker's daily
  limit; a soft upper bound at the contracted minutes costs overtime.
* Double-ups: two nodes whose ``CumulVar`` are equal and whose ``VehicleVar`` differ when performed,
  and which are both performed or both dropped.
* Eligibility (skills, gender, refusals, shift overlapping the window):
  ``VehicleVar(i).SetValues([-1] + allowed)`` (``SetAllowedVehiclesForIndex`` raises TypeError for
  Python lists in the 9.15 wheel).
* One high-penalty disjunction per node, so an overfull day still answers with the rest planned.
* Soft costs: travel minutes per arc, distance from the preferred start (soft lower and upper bounds),
  continuity (a unary count of visits by workers the individual does not know, costed by span).

Breaks are not modelled in the solver: the plan goes through the independent validator, and any
visit that breaks a hard rule (breaks, a split shift over the daily limit) is taken out and reported
unallocated with the reason.

The solver's search is weak on double-ups, so a locality's time is shared between phases
(:data:`DEFAULT_PHASES`): the solver, seeded with the greedy plan, then the ruin-and-recreate search
of :mod:`services.rota.domain.improve` from the solver's plan. A solver phase after a search phase
reads the search's plan as its first solution. The cheapest plan wins, so the engine is never
worse than the greedy plan it started from.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from uuid import UUID

from ortools.constraint_solver import pywrapcp, routing_enums_pb2  # type: ignore[import-untyped]

from services.rota.domain.greedy import GreedyEngine, explain_unplaced
from services.rota.domain.improve import RuinAndRecreate, plan_cost
from services.rota.domain.planning import (
    Allocation,
    Plan,
    PlanningProblem,
    PlanVisit,
    eligible,
    free_intervals,
)
from services.rota.domain.rules import Rule, hard_violations

_DAY = 24 * 60

#: How a locality's time is spent: the solver first (it finds good routes fast), then the
#: ruin-and-recreate search (it moves double-ups as one and fills what the solver left).
DEFAULT_PHASES: tuple[tuple[str, float], ...] = (("solver", 0.4), ("search", 0.6))


class RoutingEngine:
    """OR-Tools routing with home care rules; localities are solved independently and in parallel."""

    name = "engine"

    def __init__(
        self, workers: int | None = None, phases: tuple[tuple[str, float], ...] = DEFAULT_PHASES
    ) -> None:
        self._processes = workers or os.cpu_count() or 1
        self._phases = phases

    def allocate(
        self, problem: PlanningProblem, time_limit_s: float = 10.0, keep: Plan | None = None
    ) -> Plan:
        """A plan for ``problem`` within about ``time_limit_s`` seconds per locality batch."""
        parts = split_by_locality(problem)
        if len(parts) == 1 or self._processes == 1:
            plans = [solve_locality(part, time_limit_s, keep, self._phases) for part in parts]
        else:
            with ProcessPoolExecutor(max_workers=min(self._processes, len(parts))) as pool:
                # Each process solves whole localities; the time limit applies per locality.
                rounds = -(-len(parts) // min(self._processes, len(parts)))
                limit = time_limit_s / rounds
                plans = list(
                    pool.map(
                        solve_locality,
                        parts,
                        [limit] * len(parts),
                        [keep] * len(parts),
                        [self._phases] * len(parts),
                    )
                )
        merged = Plan()
        for plan in plans:
            merged.allocations.extend(plan.allocations)
            merged.unallocated.update(plan.unallocated)
        return merged


def split_by_locality(problem: PlanningProblem) -> list[PlanningProblem]:
    """One problem per locality, with that locality's visits and workers."""
    parts = []
    for name in sorted({v.locality for v in problem.visits}):
        workers = [w for w in problem.workers if w.locality == name]
        parts.append(problem.restricted(partial(_in_locality, name), workers))
    return parts


def _in_locality(name: str, visit: PlanVisit) -> bool:
    return visit.locality == name


def solve_locality(
    problem: PlanningProblem,
    time_limit_s: float,
    keep: Plan | None = None,
    phases: tuple[tuple[str, float], ...] = DEFAULT_PHASES,
) -> Plan:
    """Solve one locality: greedy seed, then each phase (solver or search) for its share of the time.

    Each phase starts from the best plan so far (a solver phase reads it as its first solution, so
    the search's plan is seeded back into the solver) and the validator checks every phase's plan.
    """
    # One deadline for the locality: travel matrices, the seed, model building and checks count too,
    # and the last phase gets whatever time is left.
    deadline = time.monotonic() + time_limit_s
    seed = GreedyEngine().allocate(problem, keep=keep)
    if not problem.visits or not problem.workers:
        return seed
    best, best_cost = seed, plan_cost(problem, seed)
    for index, (phase, share) in enumerate(phases):
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            break
        budget = remaining if index == len(phases) - 1 else min(time_limit_s * share, remaining)
        phase_end = time.monotonic() + budget
        if phase == "solver":
            model = _RoutingModel(problem)  # building the model is part of the phase's time
            plan = _enforce_hard_rules(problem, model.solve(best, max(0.1, phase_end - time.monotonic())))
            # Visits taken out (or never placed) get a second chance by insertion into the solved routes.
            plan = GreedyEngine().allocate(problem, keep=Plan(allocations=plan.allocations))
        else:
            plan = RuinAndRecreate(seed=len(problem.visits)).improve(
                problem, best, phase_end - time.monotonic()
            )
            plan = _enforce_hard_rules(problem, plan)
        cost = plan_cost(problem, plan)
        if cost < best_cost:
            best, best_cost = plan, cost
    return best


def _enforce_hard_rules(problem: PlanningProblem, plan: Plan) -> Plan:
    """Take out visits that break a hard rule until none does; each gets its reason."""
    while True:
        broken = hard_violations(problem, plan)
        if not broken:
            return plan
        for violation in broken:
            visit_ids = (
                {violation.visit_id}
                if violation.visit_id
                else {a.visit_id for a in plan.allocations if a.worker_id == violation.worker_id}
            )
            if violation.rule is Rule.WORKING_TIME:
                # Drop only the worker's last visit; the loop checks again.
                last = max(
                    (a for a in plan.allocations if a.worker_id == violation.worker_id), key=lambda a: a.start
                )
                visit_ids = {last.visit_id}
            for visit_id in visit_ids:
                plan.allocations = [a for a in plan.allocations if a.visit_id != visit_id]
                plan.unallocated[visit_id] = f"taken out: {violation.rule.value} ({violation.message})"
            break


class _RoutingModel:
    def __init__(self, problem: PlanningProblem) -> None:
        self.problem = problem
        # Nodes: one per worker a visit needs, then a start and an end node per vehicle.
        self.nodes: list[PlanVisit] = [v for v in problem.visits for _ in range(v.workers_required)]
        self.vehicles = [(w, shift) for w in problem.workers for shift in free_intervals(w)]
        self.tasks = len(self.nodes)
        vehicles = len(self.vehicles)
        starts = [self.tasks + v for v in range(vehicles)]
        ends = [self.tasks + vehicles + v for v in range(vehicles)]
        self.manager = pywrapcp.RoutingIndexManager(self.tasks + 2 * vehicles, vehicles, starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self._build()

    def _place_of(self, node: int) -> int:
        """The problem's travel node of a model node."""
        if node < self.tasks:
            return self.problem.visit_node[self.nodes[node].id]
        worker, _ = self.vehicles[(node - self.tasks) % len(self.vehicles)]
        return self.problem.home_node[worker.id]

    def _build(self) -> None:
        problem, routing, weights = self.problem, self.routing, self.problem.weights
        size = self.tasks + 2 * len(self.vehicles)
        places = [self._place_of(n) for n in range(size)]
        service = [self.nodes[n].duration if n < self.tasks else 0 for n in range(size)]
        time_callbacks: dict[str, int] = {}
        cost_callbacks: dict[str, int] = {}
        for mode in {w.transport for w, _ in self.vehicles}:
            m = problem.matrix(mode)
            timed = [
                [
                    service[i] + (m[places[i]][places[j]] if i < self.tasks and j < self.tasks else 0)
                    for j in range(size)
                ]
                for i in range(size)
            ]
            costed = [
                [m[places[i]][places[j]] * weights.travel_minute for j in range(size)] for i in range(size)
            ]
            time_callbacks[mode] = routing.RegisterTransitMatrix(timed)
            cost_callbacks[mode] = routing.RegisterTransitMatrix(costed)
        per_vehicle_time = [time_callbacks[w.transport] for w, _ in self.vehicles]
        for v, (worker, _) in enumerate(self.vehicles):
            routing.SetArcCostEvaluatorOfVehicle(cost_callbacks[worker.transport], v)

        # A day, or longer when shifts or windows run past it (benchmark instances in other units).
        horizon = max(
            _DAY,
            *(hi for _, (_, hi) in self.vehicles),
            *(v.window_end + v.duration for v in self.nodes),
        )
        routing.AddDimensionWithVehicleTransits(per_vehicle_time, horizon, 2 * horizon, False, "Time")
        time = routing.GetDimensionOrDie("Time")
        capacities = [w.max_working_minutes for w, _ in self.vehicles]
        routing.AddDimensionWithVehicleTransitAndCapacity(per_vehicle_time, 0, capacities, True, "Work")
        work = routing.GetDimensionOrDie("Work")
        unknown = [
            routing.RegisterUnaryTransitVector(
                [
                    1
                    if n < self.tasks
                    and self.nodes[n].known_workers
                    and w.id not in self.nodes[n].known_workers
                    else 0
                    for n in range(size)
                ]
            )
            for w, _ in self.vehicles
        ]
        routing.AddDimensionWithVehicleTransits(unknown, 0, size, True, "Unknown")
        routing.GetDimensionOrDie("Unknown").SetSpanCostCoefficientForAllVehicles(weights.unknown_worker)

        for v, (worker, (lo, hi)) in enumerate(self.vehicles):
            time.CumulVar(routing.Start(v)).SetRange(lo, hi)
            time.CumulVar(routing.End(v)).SetRange(lo, hi)
            if worker.contracted_minutes is not None:
                work.SetCumulVarSoftUpperBound(
                    routing.End(v), worker.contracted_minutes, weights.overtime_minute
                )

        solver = routing.solver()
        first_of: dict[UUID, int] = {}
        for n, visit in enumerate(self.nodes):
            index = self.manager.NodeToIndex(n)
            time.CumulVar(index).SetRange(visit.window_start, visit.window_end)
            time.SetCumulVarSoftUpperBound(index, visit.preferred_start, weights.lateness_minute)
            time.SetCumulVarSoftLowerBound(index, visit.preferred_start, weights.lateness_minute)
            allowed = [
                v
                for v, (worker, (lo, hi)) in enumerate(self.vehicles)
                if eligible(worker, visit)
                and max(lo, visit.window_start) + visit.duration <= hi
                and visit.window_start <= hi
            ]
            routing.VehicleVar(index).SetValues([-1, *allowed])
            routing.AddDisjunction([index], weights.unallocated_visit)
            if visit.id in first_of:
                other = first_of[visit.id]
                solver.Add(time.CumulVar(index) == time.CumulVar(other))
                solver.Add(routing.ActiveVar(index) == routing.ActiveVar(other))
                different = solver.IsDifferentVar(routing.VehicleVar(index), routing.VehicleVar(other))
                solver.Add(different >= routing.ActiveVar(index))
            else:
                first_of[visit.id] = index
        self.time = time

    def _seed_routes(self, seed: Plan) -> list[list[int]]:
        routes: list[list[int]] = [[] for _ in self.vehicles]
        nodes_of: dict[UUID, list[int]] = {}
        for n, visit in enumerate(self.nodes):
            nodes_of.setdefault(visit.id, []).append(n)
        vehicle_of: dict[UUID, list[tuple[int, tuple[int, int]]]] = {}
        for v, (worker, shift) in enumerate(self.vehicles):
            vehicle_of.setdefault(worker.id, []).append((v, shift))
        for allocation in sorted(seed.allocations, key=lambda a: a.start):
            visit = self.problem.visit[allocation.visit_id]
            for v, (lo, hi) in vehicle_of.get(allocation.worker_id, []):
                if lo <= allocation.start and allocation.start + visit.duration <= hi and nodes_of[visit.id]:
                    routes[v].append(self.manager.NodeToIndex(nodes_of[visit.id].pop(0)))
                    break
        return routes

    def solve(self, seed: Plan, time_limit_s: float) -> Plan:
        parameters = pywrapcp.DefaultRoutingSearchParameters()
        parameters.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        )
        parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        # Reading the seed runs a search of its own under the closing parameters' time limit: give
        # it a fifth of the time, and the search the rest.
        parameters.time_limit.FromMilliseconds(max(100, int(time_limit_s * 200)))
        self.routing.CloseModelWithParameters(parameters)
        initial = self.routing.ReadAssignmentFromRoutes(self._seed_routes(seed), True)
        parameters.time_limit.FromMilliseconds(max(100, int(time_limit_s * 800)))
        if initial is not None:
            solution = self.routing.SolveFromAssignmentWithParameters(initial, parameters)
        else:
            solution = self.routing.SolveWithParameters(parameters)
        if solution is None:
            return seed
        plan = Plan()
        for v, (worker, _) in enumerate(self.vehicles):
            index = solution.Value(self.routing.NextVar(self.routing.Start(v)))
            while not self.routing.IsEnd(index):
                visit = self.nodes[self.manager.IndexToNode(index)]
                plan.allocations.append(
                    Allocation(visit.id, worker.id, solution.Min(self.time.CumulVar(index)))
                )
                index = solution.Value(self.routing.NextVar(index))
        allocated = {a.visit_id for a in plan.allocations}
        for visit in self.problem.visits:
            if visit.id not in allocated:
                plan.unallocated[visit.id] = explain_unplaced(self.problem, visit)
        return plan
