"""``rounds bench rota-solomon``: the rota's engine on Solomon VRPTW instances against best-known values.

Solomon's instances have no home care rules, so they measure the search alone: routes from a depot
(every worker's home) to customers (visits) within time windows, minimising distance (the DIMACS
convention: Euclidean distance x10, truncated; service times and windows x10 too). Capacity is not
part of the rota's model: each route's load is checked after solving and reported, so a result
that breaks capacity is visible rather than counted as a win.

The instances are read from the folder given on the command line (VRPLIB ``.vrp`` and ``.sol``
files, e.g. from PyVRP/Instances); they are never shipped with Rounds.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from rounds.bench._machine import machine_facts
from services.rota.adapters.routing_engine import RoutingEngine
from services.rota.domain.geo import Location
from services.rota.domain.greedy import GreedyEngine
from services.rota.domain.indicators import indicators
from services.rota.domain.planning import Plan, PlanningProblem, PlanVisit, PlanWorker, Weights
from services.rota.domain.rules import hard_violations

_SCALE = 10  # DIMACS: distances and times x10, truncated
_UNLIMITED = 10**7


@dataclass(frozen=True)
class EuclideanTravel:
    """Travel time = Euclidean distance x10, truncated (``Location.lat``/``lon`` hold x/y)."""

    def matrix(self, places: Sequence[Location], mode: str) -> list[list[int]]:
        """The truncated scaled distance between every pair of places."""
        return [
            [math.floor(_SCALE * math.hypot(a.lat - b.lat, a.lon - b.lon)) for b in places] for a in places
        ]


@dataclass(frozen=True)
class SolomonInstance:
    """One instance: the problem, each visit's demand, the capacity and the best-known distance."""

    name: str
    problem: PlanningProblem
    demand: dict[uuid.UUID, int]
    capacity: int
    best_known: float | None


def _sections(text: str) -> dict[str, list[list[str]]]:
    sections: dict[str, list[list[str]]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if line.endswith("_SECTION"):
            current = line
            sections[current] = []
        elif ":" in line and not current:
            key, _, value = line.partition(":")
            sections[key.strip()] = [[value.strip()]]
        elif current:
            sections[current].append(line.split())
    return sections


def read_instance(path: Path) -> SolomonInstance:
    """An instance from a VRPLIB ``.vrp`` file and the ``.sol`` beside it (for the best-known cost)."""
    parts = _sections(path.read_text())
    coords = {int(r[0]): (float(r[1]), float(r[2])) for r in parts["NODE_COORD_SECTION"]}
    demand = {int(r[0]): int(r[1]) for r in parts["DEMAND_SECTION"]}
    windows = {int(r[0]): (int(r[1]), int(r[2])) for r in parts["TIME_WINDOW_SECTION"]}
    service = int(float(parts["SERVICE_TIME"][0][0]))
    depot = int(parts["DEPOT_SECTION"][0][0])
    vehicles = int(parts["VEHICLES"][0][0])
    capacity = int(parts["CAPACITY"][0][0])
    home = Location(*coords[depot])
    shift = (windows[depot][0] * _SCALE, windows[depot][1] * _SCALE)
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"solomon/{path.stem}")
    workers = [
        PlanWorker(
            id=uuid.uuid5(namespace, f"vehicle-{k}"),
            locality="solomon",
            home=home,
            shifts=(shift,),
            max_working_minutes=_UNLIMITED,
            max_continuous_minutes=_UNLIMITED,
        )
        for k in range(vehicles)
    ]
    visits = []
    demands: dict[uuid.UUID, int] = {}
    for node in sorted(coords):
        if node == depot:
            continue
        ready, due = windows[node][0] * _SCALE, windows[node][1] * _SCALE
        visit = PlanVisit(
            id=uuid.uuid5(namespace, f"customer-{node}"),
            individual_id=uuid.uuid5(namespace, f"individual-{node}"),
            locality="solomon",
            location=Location(*coords[node]),
            window_start=ready,
            window_end=due,
            preferred_start=ready,
            duration=service * _SCALE,
        )
        visits.append(visit)
        demands[visit.id] = demand[node]
    weights = Weights(travel_minute=1, lateness_minute=0, unknown_worker=0, overtime_minute=0)
    problem = PlanningProblem(datetime(2000, 1, 1, tzinfo=UTC), visits, workers, EuclideanTravel(), weights)
    solution = path.with_suffix(".sol")
    best = None
    if solution.exists():
        found = re.search(r"Cost\s+([0-9.]+)", solution.read_text())
        best = float(found.group(1)) if found else None
    return SolomonInstance(path.stem, problem, demands, capacity, best)


def _row(instance: SolomonInstance, plan: Plan, seconds: float) -> dict[str, Any]:
    figures = indicators(instance.problem, plan)
    loads = [sum(instance.demand[a.visit_id] for a in route) for route in plan.by_worker().values()]
    distance = figures.travel_minutes / _SCALE
    return {
        "seconds": round(seconds, 2),
        "unallocated": figures.unallocated_visits,
        "routes": len(loads),
        "distance": round(distance, 1),
        "gap_pct": round(100 * (distance / instance.best_known - 1), 2) if instance.best_known else None,
        "max_load": max(loads, default=0),
        "capacity_kept": max(loads, default=0) <= instance.capacity,
        "hard_violations": len(hard_violations(instance.problem, plan)),
    }


def bench_rota_solomon(
    data: Annotated[Path, typer.Option(help="Folder of Solomon VRPLIB .vrp files (and .sol best-knowns).")],
    time_limit: Annotated[float, typer.Option(help="Seconds the engine may take per instance.")] = 20.0,
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench-rota-solomon.json"
    ),
) -> None:
    """The engine (solver + search) and greedy on Solomon instances, against best-known distances."""
    files = sorted(data.glob("*.vrp"))
    if not files:
        raise typer.BadParameter(f"no .vrp files in {data}")
    results: list[dict[str, Any]] = []
    with Progress(transient=True) as progress:
        task = progress.add_task("solving", total=len(files))
        for path in files:
            progress.update(task, description=path.stem)
            instance = read_instance(path)
            instance.problem.matrix("car")
            started = time.monotonic()
            greedy = GreedyEngine().allocate(instance.problem)
            greedy_row = _row(instance, greedy, time.monotonic() - started)
            started = time.monotonic()
            plan = RoutingEngine(1).allocate(instance.problem, time_limit)
            results.append(
                {
                    "instance": instance.name,
                    "customers": len(instance.problem.visits),
                    "best_known": instance.best_known,
                    "greedy": greedy_row,
                    "service": _row(instance, plan, time.monotonic() - started),
                }
            )
            progress.advance(task)
    table = Table(title=f"rounds bench rota-solomon (time limit {time_limit:g} s)")
    for column in (
        "instance",
        "best known",
        "engine",
        "s",
        "unalloc",
        "routes",
        "distance",
        "gap %",
        "capacity",
    ):
        table.add_column(column, justify="left" if column in ("instance", "engine") else "right")
    for result in results:
        for name in ("greedy", "service"):
            row = result[name]
            table.add_row(
                result["instance"],
                f"{result['best_known']}",
                name,
                f"{row['seconds']:.1f}",
                str(row["unallocated"]),
                str(row["routes"]),
                f"{row['distance']:.1f}",
                f"{row['gap_pct']:+.1f}" if row["gap_pct"] is not None else "",
                "kept" if row["capacity_kept"] else f"BROKEN ({row['max_load']})",
            )
    console = Console(width=max(Console().width, 120))
    console.print(table)
    report = {
        "benchmark": "rota-solomon",
        "machine": machine_facts(),
        # Others' work on a shared machine slows every solver: the load says how much.
        "load_average_1_5_15": os.getloadavg(),
        "parameters": {"time_limit_s": time_limit, "data": str(data)},
        "results": results,
    }
    output.write_text(json.dumps(report, indent=2))
    console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add ``rounds bench rota-solomon``."""
    app.command("rota-solomon")(bench_rota_solomon)
