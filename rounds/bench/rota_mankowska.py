"""``rounds bench rota-mankowska``: OR-Tools routing on the Mankowska et al. (2014) home care instances.

Mankowska, Meisel and Bierwirth's instances (families A-G, 10 to 300 patients) have caregivers
qualified for some of six services, windows that may be missed at a price (tardiness), and about a
third of patients needing two services by two caregivers, at once or with a minimum and maximum
gap. The rota's double-up (two workers with the same skills starting together) cannot express that,
so this benchmark builds its own model on the same OR-Tools routing library and the same idioms as
the rota's engine (:mod:`services.rota.adapters.routing_engine`):

* one node per task (a patient's service), the depot as every caregiver's start and end;
* qualification: ``VehicleVar(i).SetValues([-1] + allowed)`` (the 9.15 wheel's
  ``SetAllowedVehiclesForIndex`` raises TypeError for Python lists);
* time dimension: processing + travel, slack for waiting, the window's opening a hard lower bound
  on the start and its closing a soft upper bound priced per minute late (total tardiness);
* a double service: both tasks performed or both dropped, different ``VehicleVar``, and
  ``mind <= start2 - start1 <= maxd`` on the time ``CumulVar`` (``solver.Add``);
* one high-penalty disjunction per task, so a hard day still answers;
* arc cost = distance; the search starts from the greedy plan (guided local search).

The maximum tardiness, the third term of Mankowska's objective, is not expressible as a routing
cost, so the solver prices each minute late twice: distance + 2 x total tardiness bounds Mankowska's
sum from above (the maximum is at most the total). On families A and B (3 and 5 s) this found
better plans than pricing lateness once on 9 of 20 instances, worse on 4. Both plans
(greedy and solver) are scored by :mod:`rounds.bench._mankowska_eval`, which reschedules each
route order at its earliest starts and checks every hard rule, independently of the solver.

The instances and ``best_known.md`` are read from the folder given on the command line (e.g.
../shared/data/rota/mankowska); they are never shipped with Rounds.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from ortools.constraint_solver import pywrapcp, routing_enums_pb2  # type: ignore[import-untyped]
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from rounds.bench._machine import machine_facts
from rounds.bench._mankowska_eval import Evaluation, earliest_schedule, evaluate, greedy_routes
from rounds.bench._mankowska_format import (
    BestKnown,
    MankowskaInstance,
    Task,
    label_of,
    parse_best_known,
    read_instance,
)

_SCALE = 100  # minutes to hundredths: the solver's arithmetic is integer
_DROP_PENALTY = 10**9  # per task left out: far above any plan's cost


def _up(value: float) -> int:
    """Scaled and rounded up, so the solver's starts are feasible in real minutes too."""
    return math.ceil(round(value * _SCALE, 6))


@dataclass(frozen=True)
class Outcome:
    """A plan's routes, its evaluation and how long it took."""

    routes: list[list[Task]]
    evaluation: Evaluation
    seconds: float


def score(instance: MankowskaInstance, routes: list[list[Task]], seconds: float) -> Outcome:
    """Routes scored at their earliest starts; a schedule that cannot exist is a broken rule."""
    starts = earliest_schedule(instance, routes)
    if starts is None:
        evaluation = evaluate(instance, routes, {})
        evaluation.violations.append("no schedule meets every double service's gap")
    else:
        evaluation = evaluate(instance, routes, starts)
    return Outcome(routes, evaluation, seconds)


class MankowskaModel:
    """The instance as an OR-Tools routing model (see the module's docstring)."""

    def __init__(self, instance: MankowskaInstance, tardiness_weight: int = 2) -> None:
        self.instance = instance
        self.tasks = instance.tasks
        count, depot = len(self.tasks), len(self.tasks)
        self.manager = pywrapcp.RoutingIndexManager(count + 1, instance.caregivers, depot)
        self.routing = pywrapcp.RoutingModel(self.manager)
        routing, manager = self.routing, self.manager
        end = len(instance.requires) - 1
        places = [t.patient for t in self.tasks] + [0]
        arrive = [*places[:-1], end]  # travelling to the depot is travelling to the return node
        work = [_up(instance.processing[t.patient][t.service]) for t in self.tasks] + [0]
        distance = instance.distance
        travel = [
            [work[i] + _up(distance[places[i]][arrive[j]]) for j in range(count + 1)]
            for i in range(count + 1)
        ]
        costs = [
            [round(distance[places[i]][arrive[j]] * _SCALE) for j in range(count + 1)]
            for i in range(count + 1)
        ]
        routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(costs))
        # Long enough for any appended plan: every window, task and the longest trip per task.
        longest = max((max(row) for row in distance), default=0.0)
        horizon = _up(
            max(instance.latest)
            + sum(instance.processing[t.patient][t.service] for t in self.tasks)
            + (count + 1) * longest
            + max(instance.max_gap)
        )
        routing.AddDimension(routing.RegisterTransitMatrix(travel), horizon, horizon, True, "Time")
        self.time = routing.GetDimensionOrDie("Time")
        solver = routing.solver()
        index_of: dict[Task, int] = {}
        for node, task in enumerate(self.tasks):
            index = manager.NodeToIndex(node)
            index_of[task] = index
            self.time.CumulVar(index).SetMin(_up(instance.earliest[task.patient]))
            self.time.SetCumulVarSoftUpperBound(index, _up(instance.latest[task.patient]), tardiness_weight)
            allowed = [v for v in range(instance.caregivers) if task.service in instance.qualified[v]]
            routing.VehicleVar(index).SetValues([-1, *allowed])
            routing.AddDisjunction([index], _DROP_PENALTY)
        for patient in instance.patients:
            if not instance.is_double(patient):
                continue
            first, second = (index_of[Task(patient, s)] for s in instance.requires[patient])
            solver.Add(routing.ActiveVar(first) == routing.ActiveVar(second))
            different = solver.IsDifferentVar(routing.VehicleVar(first), routing.VehicleVar(second))
            solver.Add(different >= routing.ActiveVar(first))
            gap = self.time.CumulVar(second) - self.time.CumulVar(first)
            solver.Add(gap >= round(instance.min_gap[patient] * _SCALE))
            solver.Add(gap <= round(instance.max_gap[patient] * _SCALE))
        self.index_of = index_of

    def solve(self, seed: list[list[Task]], time_limit_s: float) -> list[list[Task]]:
        """Routes after guided local search from ``seed``; the seed itself when nothing is found."""
        deadline = time.monotonic() + time_limit_s
        parameters = pywrapcp.DefaultRoutingSearchParameters()
        parameters.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        )
        parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        # Reading the seed runs a search of its own under the closing parameters' limit: at most a
        # fifth of the time, the search gets whatever is left.
        parameters.time_limit.FromMilliseconds(max(100, int(time_limit_s * 200)))
        self.routing.CloseModelWithParameters(parameters)
        initial = self.routing.ReadAssignmentFromRoutes(
            [[self.index_of[t] for t in route] for route in seed], True
        )
        parameters.time_limit.FromMilliseconds(max(100, int((deadline - time.monotonic()) * 1000)))
        if initial is not None:
            solution = self.routing.SolveFromAssignmentWithParameters(initial, parameters)
        else:
            solution = self.routing.SolveWithParameters(parameters)
        if solution is None:
            return seed
        routes: list[list[Task]] = []
        for v in range(self.instance.caregivers):
            route = []
            index = solution.Value(self.routing.NextVar(self.routing.Start(v)))
            while not self.routing.IsEnd(index):
                route.append(self.tasks[self.manager.IndexToNode(index)])
                index = solution.Value(self.routing.NextVar(index))
            routes.append(route)
        return routes


#: How an instance's time is spent: (lateness price per minute, share of the time). Each phase
#: starts from the best plan so far; pricing lateness twice then once moves the search off the
#: first phase's local optimum, and the exact objective picks the better plan.
PHASES: tuple[tuple[int, float], ...] = ((2, 0.6), (1, 0.4))


def solve_instance(
    instance: MankowskaInstance, time_limit_s: float, phases: tuple[tuple[int, float], ...] = PHASES
) -> tuple[Outcome, Outcome]:
    """The greedy plan and the solver's best plan (seeded with it, never worse than it)."""
    started = time.monotonic()
    best = score(instance, greedy_routes(instance), time.monotonic() - started)
    greedy = best
    started = time.monotonic()
    deadline = started + time_limit_s
    for index, (weight, share) in enumerate(phases):
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            break
        budget = remaining if index == len(phases) - 1 else min(remaining, time_limit_s * share)
        phase_end = time.monotonic() + budget
        model = MankowskaModel(instance, weight)  # building the model is part of the phase's time
        solved = score(instance, model.solve(best.routes, max(0.1, phase_end - time.monotonic())), 0.0)
        if not solved.evaluation.violations and solved.evaluation.objective < best.evaluation.objective:
            best = solved
    return greedy, Outcome(best.routes, best.evaluation, time.monotonic() - started)


def _figures(outcome: Outcome, best: BestKnown | None) -> dict[str, Any]:
    evaluation = outcome.evaluation
    return {
        "seconds": round(outcome.seconds, 2),
        "objective": round(evaluation.objective, 3),
        "distance": round(evaluation.distance, 3),
        "total_tardiness": round(evaluation.total_tardiness, 3),
        "max_tardiness": round(evaluation.max_tardiness, 3),
        "gap_pct": round(100 * (evaluation.objective / best.cost - 1), 2) if best else None,
        "hard_violations": len(evaluation.violations),
        "violations": evaluation.violations[:10],
    }


def _order(label: str) -> tuple[str, int]:
    """Mankowska's order: family, then number."""
    return (label[0], int(label[1:]) if label[1:].isdigit() else 0)


def _select(data: Path, wanted: str | None) -> list[MankowskaInstance]:
    files = sorted(data.glob("Instanz*.txt"))
    if not files:
        raise typer.BadParameter(f"no Instanz*.txt files in {data}")
    if wanted:
        names = {w.strip() for w in wanted.split(",") if w.strip()}

        def chosen(path: Path, name: str) -> bool:
            label = label_of(path.stem)
            return name in (label, path.stem) or (label[1:].isdigit() and name == label[0])

        unknown = {n for n in names if not any(chosen(p, n) for p in files)}
        if unknown:
            raise typer.BadParameter(f"unknown instances: {', '.join(sorted(unknown))}")
        files = [p for p in files if any(chosen(p, n) for n in names)]
    return [read_instance(path) for path in sorted(files, key=lambda p: _order(label_of(p.stem)))]


def bench_rota_mankowska(
    data: Annotated[Path, typer.Option(help="Folder of Mankowska Instanz*.txt files and best_known.md.")],
    time_limit: Annotated[float, typer.Option(help="Seconds the solver may take per instance.")] = 10.0,
    instances: Annotated[
        str | None, typer.Option(help="Instances or families, e.g. A1,B3 or A,B (default: every one).")
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "--out", help="Where to write the JSON results.")
    ] = Path("bench-rota-mankowska.json"),
) -> None:
    """OR-Tools routing and a greedy plan on Mankowska's home care instances, against best-known values."""
    chosen = _select(data, instances)
    best_file = data / "best_known.md"
    best = parse_best_known(best_file.read_text()) if best_file.exists() else {}
    results: list[dict[str, Any]] = []
    with Progress(transient=True) as progress:
        task = progress.add_task("solving", total=len(chosen))
        for instance in chosen:
            progress.update(task, description=instance.label)
            greedy, solver = solve_instance(instance, time_limit)
            known = best.get(instance.name)
            results.append(
                {
                    "instance": instance.label,
                    "file": instance.name,
                    "patients": len(instance.patients),
                    "caregivers": instance.caregivers,
                    "tasks": len(instance.tasks),
                    "best_known": known.cost if known else None,
                    "greedy": _figures(greedy, known),
                    "solver": _figures(solver, known),
                }
            )
            progress.advance(task)
    table = Table(title=f"rounds bench rota-mankowska (time limit {time_limit:g} s)")
    columns = (
        "instance",
        "patients",
        "best known",
        "greedy",
        "solver",
        "gap %",
        "s",
        "dist",
        "tard",
        "max",
        "rules",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "instance" else "right")
    for result in results:
        solved, greedy_row = result["solver"], result["greedy"]
        broken = solved["hard_violations"] + greedy_row["hard_violations"]
        table.add_row(
            result["instance"],
            str(result["patients"]),
            f"{result['best_known']:.1f}" if result["best_known"] is not None else "",
            f"{greedy_row['objective']:.1f}",
            f"{solved['objective']:.1f}",
            f"{solved['gap_pct']:+.1f}" if solved["gap_pct"] is not None else "",
            f"{solved['seconds']:.1f}",
            f"{solved['distance']:.1f}",
            f"{solved['total_tardiness']:.1f}",
            f"{solved['max_tardiness']:.1f}",
            "kept" if not broken else f"BROKEN ({broken})",
        )
    console = Console(width=max(Console().width, 120))
    console.print(table)
    report = {
        "benchmark": "rota-mankowska",
        "machine": machine_facts(),
        # Others' work on a shared machine slows every solver: the load says how much.
        "load_average_1_5_15": os.getloadavg(),
        "parameters": {"time_limit_s": time_limit, "data": str(data), "instances": instances},
        "objective": "(distance + total tardiness + max tardiness) / 3, Mankowska et al. 2014",
        "results": results,
    }
    output.write_text(json.dumps(report, indent=2))
    console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add ``rounds bench rota-mankowska``."""
    app.command("rota-mankowska")(bench_rota_mankowska)
