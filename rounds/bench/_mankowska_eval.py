"""The Mankowska objective and hard rules, checked on routes independently of any solver (pure).

A plan is one route per caregiver (the tasks in the order visited) and a start time per task.
Hard rules (each broken one is reported, never priced): every task served exactly once; the
caregiver is qualified for the service; no start before the window opens (``e``); a caregiver
leaves the depot at time 0 and travels (distance = minutes) between consecutive tasks, each task
taking its processing time; a double service patient's two services by two different caregivers,
the higher-numbered one starting between ``mind`` and ``maxd`` after the lower (simultaneous when
both are 0). Soft: a start after the window closes (``l``) is tardiness.

Objective (Mankowska et al. 2014) = (distance + total tardiness + max tardiness) / 3, distance
including the way out from and back to the depot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from rounds.bench._mankowska_format import MankowskaInstance, Task

Routes = Sequence[Sequence[Task]]

_EPS = 1e-6  # starts come from floating point arithmetic


@dataclass(frozen=True)
class Evaluation:
    """A plan's figures and the hard rules it breaks (empty when it keeps them all)."""

    distance: float
    total_tardiness: float
    max_tardiness: float
    violations: list[str] = field(default_factory=list)

    @property
    def objective(self) -> float:
        """Mankowska's objective: the mean of distance, total tardiness and max tardiness."""
        return (self.distance + self.total_tardiness + self.max_tardiness) / 3


def route_distance(instance: MankowskaInstance, route: Sequence[Task]) -> float:
    """Distance of one caregiver's day: depot, the tasks in order, depot (0 when the route is empty)."""
    if not route:
        return 0.0
    places = [0, *(t.patient for t in route), len(instance.requires) - 1]
    return sum(instance.distance[a][b] for a, b in pairwise(places))


def evaluate(instance: MankowskaInstance, routes: Routes, starts: dict[Task, float]) -> Evaluation:
    """The plan's objective figures, and every hard rule it breaks."""
    broken: list[str] = []
    if len(routes) != instance.caregivers:
        broken.append(f"{len(routes)} routes for {instance.caregivers} caregivers")
    caregiver_of: dict[Task, int] = {}
    for v, route in enumerate(routes):
        clock, place = 0.0, 0
        for task in route:
            if task in caregiver_of:
                broken.append(f"{task} served twice")
            caregiver_of[task] = v
            if task.service not in instance.qualified[v]:
                broken.append(f"{task} by caregiver {v}, not qualified")
            start = starts.get(task)
            if start is None:
                broken.append(f"{task} has no start time")
                continue
            if start < instance.earliest[task.patient] - _EPS:
                broken.append(f"{task} starts at {start:.2f}, before its window opens")
            ready = clock + instance.distance[place][task.patient]
            if start < ready - _EPS:
                broken.append(f"{task} starts at {start:.2f}, caregiver {v} arrives at {ready:.2f}")
            clock, place = start + instance.processing[task.patient][task.service], task.patient
    expected = set(instance.tasks)
    for task in sorted(expected - set(caregiver_of), key=lambda t: (t.patient, t.service)):
        broken.append(f"{task} not served")
    for task in set(caregiver_of) - expected:
        broken.append(f"{task} is not a task of the instance")
    for patient in instance.patients:
        if not instance.is_double(patient):
            continue
        first, second = (Task(patient, s) for s in instance.requires[patient])
        if first not in caregiver_of or second not in caregiver_of:
            continue
        if caregiver_of[first] == caregiver_of[second]:
            broken.append(f"patient {patient}: both services by caregiver {caregiver_of[first]}")
        if first in starts and second in starts:
            gap = starts[second] - starts[first]
            low, high = instance.min_gap[patient], instance.max_gap[patient]
            if not low - _EPS <= gap <= high + _EPS:
                broken.append(f"patient {patient}: services {gap:.2f} apart, allowed {low:g}-{high:g}")
    tardiness = [
        max(0.0, starts[t] - instance.latest[t.patient])
        for t in caregiver_of
        if t in starts and t in expected
    ]
    return Evaluation(
        distance=sum(route_distance(instance, route) for route in routes),
        total_tardiness=sum(tardiness),
        max_tardiness=max(tardiness, default=0.0),
        violations=broken,
    )


def earliest_schedule(instance: MankowskaInstance, routes: Routes) -> dict[Task, float] | None:
    """The earliest start of every routed task given the routes' order, or None when none exists.

    Starts are the longest paths of a simple temporal network (window opening, travel and
    processing along each route, the double services' minimum and maximum gaps), found by
    Bellman-Ford. Every tardiness only grows with its start, so the earliest schedule minimises
    total and maximum tardiness at once for these routes. None: the gaps cannot all be met.
    """
    start: dict[Task, float] = {}
    edges: list[tuple[Task, Task, float]] = []
    for route in routes:
        for index, task in enumerate(route):
            start[task] = max(instance.earliest[task.patient], instance.distance[0][task.patient])
            if index:
                before = route[index - 1]
                step = instance.processing[before.patient][before.service]
                edges.append((before, task, step + instance.distance[before.patient][task.patient]))
    for patient in instance.patients:
        if instance.is_double(patient):
            first, second = (Task(patient, s) for s in instance.requires[patient])
            if first in start and second in start:
                edges.append((first, second, instance.min_gap[patient]))
                edges.append((second, first, -instance.max_gap[patient]))
    for _ in range(len(start) + 1):
        changed = False
        for before, after, length in edges:
            if start[before] + length > start[after] + _EPS:
                start[after] = start[before] + length
                changed = True
        if not changed:
            return start
    return None


def greedy_routes(instance: MankowskaInstance) -> list[list[Task]]:
    """A first plan: patients by window, each appended to the caregiver(s) where it costs least.

    The cost of a choice is the distance it adds plus its tardiness; a double service patient tries
    every pair of qualified caregivers. Appending keeps every gap satisfiable (a service may wait),
    so the plan always keeps the hard rules when every service has a qualified caregiver.
    """
    free = [0.0] * instance.caregivers  # when each caregiver leaves their last task
    place = [0] * instance.caregivers
    routes: list[list[Task]] = [[] for _ in range(instance.caregivers)]

    def arrival(v: int, patient: int) -> float:
        return max(instance.earliest[patient], free[v] + instance.distance[place[v]][patient])

    for patient in sorted(instance.patients, key=lambda i: (instance.earliest[i], instance.latest[i], i)):
        latest = instance.latest[patient]
        options: list[tuple[float, tuple[int, ...], tuple[float, ...]]] = []
        services = instance.requires[patient]
        if len(services) == 1:
            for v in range(instance.caregivers):
                if services[0] in instance.qualified[v]:
                    begin = arrival(v, patient)
                    cost = instance.distance[place[v]][patient] + max(0.0, begin - latest)
                    options.append((cost, (v,), (begin,)))
        else:
            for v in range(instance.caregivers):
                for w in range(instance.caregivers):
                    if v == w or services[0] not in instance.qualified[v]:
                        continue
                    if services[1] not in instance.qualified[w]:
                        continue
                    first = arrival(v, patient)
                    second = max(arrival(w, patient), first + instance.min_gap[patient])
                    first = max(first, second - instance.max_gap[patient])
                    travel = instance.distance[place[v]][patient] + instance.distance[place[w]][patient]
                    cost = travel + max(0.0, first - latest) + max(0.0, second - latest)
                    options.append((cost, (v, w), (first, second)))
        if not options:
            continue  # nobody qualified: the evaluator reports it unserved
        _, chosen, begins = min(options, key=lambda o: (o[0], o[2], o[1]))
        for v, service, begin in zip(chosen, services, begins, strict=True):
            routes[v].append(Task(patient, service))
            free[v] = begin + instance.processing[patient][service]
            place[v] = patient
    return routes
