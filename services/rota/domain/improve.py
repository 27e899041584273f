"""The improvement layer: ruin and recreate over a plan, with double-ups moved as one (001 P5).

OR-Tools routing expresses every home care rule but searches weakly on synchronised visits; this
large neighbourhood search takes any valid plan (greedy's, or the solver's after the validator) and
repeatedly takes out a few related visits (near in place and time; both halves of a double-up
together) and puts them back, and the visits nobody could take, at the cheapest place where every
hard rule holds. A new plan is kept when its cost is lower, or slightly higher early on (simulated
annealing), so the search can leave a local optimum; the best plan seen is returned.

Cost is the coordinator's weights (:class:`~services.rota.domain.planning.Weights`): travel minutes
(including commute), minutes away from the preferred start, visits by a worker the individual does
not know, overtime minutes, and a large penalty per visit left unallocated. Insertion never moves a
visit already placed, so every plan it builds keeps the hard rules by construction; the validator
still has the last word in the engine.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from uuid import UUID

from services.rota.domain.greedy import explain_unplaced, insertion_options, limits_hold
from services.rota.domain.planning import (
    Allocation,
    Plan,
    PlanningProblem,
    PlanVisit,
    PlanWorker,
    eligible,
    free_intervals,
)

Routes = dict[UUID, list[Allocation]]


def route_cost(problem: PlanningProblem, worker: PlanWorker, route: list[Allocation]) -> int:
    """The weighted soft cost of one worker's day (0 for an empty day)."""
    if not route:
        return 0
    weights = problem.weights
    travel = problem.commute(worker, route[0].visit_id, home_first=True) + problem.commute(
        worker, route[-1].visit_id, home_first=False
    )
    worked = 0
    lateness = 0
    unknown = 0
    for i, allocation in enumerate(route):
        visit = problem.visit[allocation.visit_id]
        worked += visit.duration
        if i:
            leg = problem.travel_between(worker, route[i - 1].visit_id, visit.id)
            travel += leg
            worked += leg
        lateness += abs(allocation.start - visit.preferred_start)
        if visit.known_workers and worker.id not in visit.known_workers:
            unknown += 1
    overtime = max(0, worked - worker.contracted_minutes) if worker.contracted_minutes is not None else 0
    return (
        travel * weights.travel_minute
        + lateness * weights.lateness_minute
        + unknown * weights.unknown_worker
        + overtime * weights.overtime_minute
    )


def plan_cost(problem: PlanningProblem, plan: Plan) -> int:
    """The weighted cost of a whole plan, the penalty for unallocated visits included."""
    routes = plan.by_worker()
    allocated = {a.visit_id for a in plan.allocations}
    return sum(route_cost(problem, problem.worker[w], r) for w, r in routes.items()) + (
        problem.weights.unallocated_visit * sum(1 for v in problem.visits if v.id not in allocated)
    )


@dataclass
class _State:
    routes: Routes
    costs: dict[UUID, int]
    unplaced: set[UUID]
    cost: int = 0

    def copy(self) -> _State:
        return _State(
            routes={w: list(r) for w, r in self.routes.items()},
            costs=dict(self.costs),
            unplaced=set(self.unplaced),
            cost=self.cost,
        )


@dataclass(frozen=True)
class SearchReport:
    """What the search did: iterations, plans accepted, the cost before and after."""

    iterations: int
    accepted: int
    improved: int
    cost_before: int
    cost_after: int


@dataclass
class RuinAndRecreate:
    """Large neighbourhood search on one problem; ``seed`` makes a run repeatable."""

    seed: int = 0
    min_ruin: int = 4
    max_ruin: int = 14
    start_temperature: float = 30.0  # in cost units: a few minutes of travel
    continuity_share: float = 0.3  # share of ruins aimed at a visit by a carer the individual does not know
    last_report: SearchReport | None = field(default=None, init=False)

    def improve(self, problem: PlanningProblem, plan: Plan, time_limit_s: float) -> Plan:
        """A plan at least as good as ``plan`` (by :func:`plan_cost`), searched for ``time_limit_s``."""
        rng = random.Random(self.seed)  # noqa: S311 - search randomness, not secrets
        self._eligible = {
            v.id: [w for w in problem.workers if eligible(w, v) and _overlaps(w, v)] for v in problem.visits
        }
        routes: Routes = {w.id: [] for w in problem.workers}
        for worker_id, route in plan.by_worker().items():
            routes.setdefault(worker_id, []).extend(route)
        allocated = {a.visit_id for a in plan.allocations}
        current = _State(
            routes=routes,
            costs={w.id: route_cost(problem, w, routes[w.id]) for w in problem.workers},
            unplaced={v.id for v in problem.visits if v.id not in allocated},
        )
        current.cost = sum(current.costs.values()) + problem.weights.unallocated_visit * len(current.unplaced)
        # Put back what can go in before searching (a solver's plan can leave insertable visits out).
        self._recreate(problem, current, set(current.unplaced), rng)
        best = current.copy()
        before = plan_cost(problem, plan)
        started = time.monotonic()
        deadline = started + max(0.0, time_limit_s)
        iterations = accepted = improved = 0
        placed_visits = [v.id for v in problem.visits]
        while placed_visits and time.monotonic() < deadline:
            iterations += 1
            trial = current.copy()
            removed = self._ruin(problem, trial, rng)
            self._recreate(problem, trial, removed | trial.unplaced, rng)
            progress = (time.monotonic() - started) / max(time_limit_s, 1e-9)
            temperature = self.start_temperature * max(0.0, 1.0 - progress)
            delta = trial.cost - current.cost
            if delta <= 0 or (temperature > 0 and rng.random() < math.exp(-delta / temperature)):
                current = trial
                accepted += 1
                if current.cost < best.cost:
                    best = current.copy()
                    improved += 1
        result = Plan(allocations=[a for r in best.routes.values() for a in r])
        for visit_id in sorted(best.unplaced, key=str):
            result.unallocated[visit_id] = plan.unallocated.get(visit_id) or explain_unplaced(
                problem, problem.visit[visit_id]
            )
        after = plan_cost(problem, result)
        self.last_report = SearchReport(iterations, accepted, improved, before, after)
        return result if after <= before else plan

    def _ruin(self, problem: PlanningProblem, state: _State, rng: random.Random) -> set[UUID]:
        """Take out a seed visit and the allocated visits most related to it (near in place and time)."""
        placed = [v for w in state.routes.values() for v in w]
        if not placed:
            return set()
        strangers = [
            a
            for a in placed
            if problem.visit[a.visit_id].known_workers
            and a.worker_id not in problem.visit[a.visit_id].known_workers
        ]
        if strangers and rng.random() < self.continuity_share:
            return self._remove(problem, state, self._continuity_ruin(problem, state, rng.choice(strangers)))
        if state.unplaced and rng.random() < 0.5:
            # Make room around a visit nobody could take.
            seed = problem.visit[rng.choice(sorted(state.unplaced, key=str))]
        else:
            seed = problem.visit[rng.choice(placed).visit_id]
        matrix = problem.matrix("car")
        node = problem.visit_node[seed.id]
        candidates = {a.visit_id for a in placed}
        related = sorted(
            candidates,
            key=lambda v: (
                matrix[node][problem.visit_node[v]]
                + abs(problem.visit[v].preferred_start - seed.preferred_start) / 4
                + rng.random() * 5
            ),
        )
        return self._remove(problem, state, set(related[: rng.randint(self.min_ruin, self.max_ruin)]))

    def _continuity_ruin(self, problem: PlanningProblem, state: _State, stranger: Allocation) -> set[UUID]:
        """A visit by a carer the individual does not know, and what its known carers do around then.

        Recreating then may give the visit to a carer the individual knows, moving what was in the
        way to someone else: a move a single insertion can never make.
        """
        visit = problem.visit[stranger.visit_id]
        around = (visit.window_start - 60, visit.window_end + visit.duration + 60)
        removed = {visit.id}
        for worker_id in visit.known_workers:
            for allocation in state.routes.get(worker_id, []):
                if around[0] <= allocation.start <= around[1]:
                    removed.add(allocation.visit_id)
        return removed

    def _remove(self, problem: PlanningProblem, state: _State, removed: set[UUID]) -> set[UUID]:
        """Take ``removed`` out of every route (both halves of a double-up), updating the costs."""
        for worker_id, route in state.routes.items():
            if any(a.visit_id in removed for a in route):
                state.routes[worker_id] = [a for a in route if a.visit_id not in removed]
                new = route_cost(problem, problem.worker[worker_id], state.routes[worker_id])
                state.cost += new - state.costs[worker_id]
                state.costs[worker_id] = new
        state.cost += problem.weights.unallocated_visit * len(removed - state.unplaced)
        state.unplaced |= removed
        return removed

    def _recreate(
        self, problem: PlanningProblem, state: _State, visits: set[UUID], rng: random.Random
    ) -> None:
        """Insert ``visits`` one by one at their cheapest valid place, hardest first."""
        order = sorted(
            visits,
            key=lambda v: (
                -problem.visit[v].workers_required,
                len(self._eligible[v]),
                problem.visit[v].window_end - problem.visit[v].window_start + rng.random() * 30,
            ),
        )
        for visit_id in order:
            visit = problem.visit[visit_id]
            choice = self._cheapest(problem, state, visit)
            if choice is None:
                continue
            for worker, route in choice:
                state.routes[worker.id] = route
                new = route_cost(problem, worker, route)
                state.cost += new - state.costs[worker.id]
                state.costs[worker.id] = new
            state.unplaced.discard(visit.id)
            state.cost -= problem.weights.unallocated_visit

    def _cheapest(
        self, problem: PlanningProblem, state: _State, visit: PlanVisit
    ) -> list[tuple[PlanWorker, list[Allocation]]] | None:
        """The cheapest valid placement of ``visit``: each chosen worker with their new route, or None.

        A single-worker visit may push the visits after it later inside their windows (forward
        slack), which a solver's fixed times would not allow; a double-up never moves, and the two
        halves of a new double-up go in at one start without pushing.
        """
        if visit.workers_required == 1:
            return self._cheapest_single(problem, state, visit)
        options: list[tuple[PlanWorker, int, int, int]] = []  # worker, position, earliest, latest
        for worker in self._eligible[visit.id]:
            route = state.routes[worker.id]
            options.extend((worker, p, a, b) for p, a, b in insertion_options(problem, worker, route, visit))
        best: tuple[int, list[tuple[PlanWorker, list[Allocation]]]] | None = None
        for i, (w1, p1, a1, b1) in enumerate(options):
            for w2, p2, a2, b2 in options[i + 1 :]:
                if w1.id == w2.id:
                    continue
                a, b = max(a1, a2), min(b1, b2)
                if a > b:
                    continue
                start = min(max(visit.preferred_start, a), b)
                r1, r2 = state.routes[w1.id], state.routes[w2.id]
                if not (
                    limits_hold(problem, w1, r1, p1, visit, start)
                    and limits_hold(problem, w2, r2, p2, visit, start)
                ):
                    continue
                t1 = [*r1[:p1], Allocation(visit.id, w1.id, start), *r1[p1:]]
                t2 = [*r2[:p2], Allocation(visit.id, w2.id, start), *r2[p2:]]
                cost = (
                    route_cost(problem, w1, t1)
                    - state.costs[w1.id]
                    + route_cost(problem, w2, t2)
                    - state.costs[w2.id]
                )
                if best is None or cost < best[0]:
                    best = (cost, [(w1, t1), (w2, t2)])
        return None if best is None else best[1]

    def _cheapest_single(
        self, problem: PlanningProblem, state: _State, visit: PlanVisit
    ) -> list[tuple[PlanWorker, list[Allocation]]] | None:
        best: tuple[int, PlanWorker, list[Allocation]] | None = None
        for worker in self._eligible[visit.id]:
            route = state.routes[worker.id]
            free = free_intervals(worker)
            # The preferred time, or the start of a shift that opens inside the window.
            starts = [visit.preferred_start] + [
                lo for lo, _ in free if visit.window_start <= lo <= visit.window_end
            ]
            for position in range(len(route) + 1):
                for wanted in starts:
                    trial = _insert_pushing(problem, worker, route, position, visit, wanted, free)
                    if trial is None:
                        continue
                    cost = route_cost(problem, worker, trial) - state.costs[worker.id]
                    if best is None or cost < best[0]:
                        best = (cost, worker, trial)
        return None if best is None else [(best[1], best[2])]


def _insert_pushing(
    problem: PlanningProblem,
    worker: PlanWorker,
    route: list[Allocation],
    position: int,
    visit: PlanVisit,
    wanted: int,
    free: list[tuple[int, int]],
) -> list[Allocation] | None:
    """``route`` with ``visit`` at ``position`` from ``wanted`` (or as soon after as the previous
    visit allows), later visits pushed as needed; None if any rule would break."""
    earliest = visit.window_start
    if position > 0:
        before = route[position - 1]
        earliest = max(
            earliest,
            before.start
            + problem.visit[before.visit_id].duration
            + problem.travel_between(worker, before.visit_id, visit.id),
        )
    start = max(earliest, min(wanted, visit.window_end))
    if start > visit.window_end:
        return None
    trial = [*route[:position], Allocation(visit.id, worker.id, start)]
    end, previous = start + visit.duration, visit.id
    for index in range(position, len(route)):
        allocation = route[index]
        arrival = end + problem.travel_between(worker, previous, allocation.visit_id)
        if arrival <= allocation.start:
            trial.extend(route[index:])
            break
        later = problem.visit[allocation.visit_id]
        if later.workers_required > 1 or arrival > later.window_end:
            return None  # a double-up's halves start together: it never moves alone
        trial.append(Allocation(allocation.visit_id, worker.id, arrival))
        end, previous = arrival + later.duration, allocation.visit_id
    moved = trial[position : len(trial)]
    if not all(
        any(lo <= a.start and a.start + problem.visit[a.visit_id].duration <= hi for lo, hi in free)
        for a in moved
    ):
        return None
    if any(
        a_start < a.start + problem.visit[a.visit_id].duration and a.start < a_end
        for a in moved
        for a_start, a_end in worker.absences
    ):
        return None
    return trial if _limits(problem, worker, trial) else None


def _limits(problem: PlanningProblem, worker: PlanWorker, route: list[Allocation]) -> bool:
    """Working-time and break limits of a whole route (the validator's definitions)."""
    worked = 0
    stretch_start = route[0].start
    for i, allocation in enumerate(route):
        duration = problem.visit[allocation.visit_id].duration
        if i:
            previous = route[i - 1]
            travel = problem.travel_between(worker, previous.visit_id, allocation.visit_id)
            idle = allocation.start - (previous.start + problem.visit[previous.visit_id].duration) - travel
            worked += travel
            if idle >= worker.break_minutes:
                stretch_start = allocation.start - travel
        worked += duration
        if allocation.start + duration - stretch_start > worker.max_continuous_minutes:
            return False
    return worked <= worker.max_working_minutes


def _overlaps(worker: PlanWorker, visit: PlanVisit) -> bool:
    return any(
        max(visit.window_start, lo) <= min(visit.window_end, hi - visit.duration)
        for lo, hi in free_intervals(worker)
    )
