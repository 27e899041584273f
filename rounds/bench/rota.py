"""``rounds bench rota``: the allocation engine against the greedy baseline and a plain solver model.

Generated realistic days of rising size (:func:`services.rota.domain.synthetic.generated_day`) are
planned side by side, in the same run and with the same time limit, by:

* ``greedy``: first-fit insertion, the baseline every indicator must beat;
* ``plain``: OR-Tools routing with time windows and shifts only (no skills, gender, refusals,
  double-ups, working-time limits or continuity): a floor for travel. Its plan is checked
  against the real rules too, to show what ignoring them costs;
* ``travel``: the service with every hard rule but travel as its only soft cost: the like-for-like
  yardstick for travel, so that the service's extra travel is the price of its soft goals;
* ``solver``: the service's OR-Tools home care model alone (seeded by greedy);
* ``service``: what the rota service runs: the solver, then the ruin-and-recreate search.

Every plan goes through the independent validator (``hard`` counts broken hard rules), locality by
locality as the service plans (times include each engine's travel matrices). Then the busiest worker
goes off sick and the service's plan is repaired in their locality (seconds, visits moved, and
whether anyone else's allocation changed). Prints a table and writes JSON with the machine's facts.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from rounds.bench._machine import machine_facts
from services.rota.adapters.routing_engine import RoutingEngine, split_by_locality
from services.rota.domain.greedy import GreedyEngine
from services.rota.domain.improve import plan_cost
from services.rota.domain.indicators import indicators
from services.rota.domain.planning import Plan, PlanningProblem, Weights, free_intervals
from services.rota.domain.repair import repair
from services.rota.domain.rules import hard_violations
from services.rota.domain.synthetic import generated_day

_DAY = 24 * 60
ENGINES = ("greedy", "plain", "travel", "solver", "service")


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``"10x100,100x1000"`` as [(workers, visits), ...]."""
    sizes = []
    for part in text.split(","):
        workers, _, visits = part.strip().partition("x")
        if not workers.isdigit() or not visits.isdigit() or int(workers) < 1 or int(visits) < 1:
            raise typer.BadParameter(f"{part!r} is not WORKERSxVISITS, e.g. 100x1000")
        sizes.append((int(workers), int(visits)))
    return sizes


def plain_problem(problem: PlanningProblem) -> PlanningProblem:
    """The same day with the home care rules taken away: windows, shifts and travel only."""
    visits = [
        replace(
            v,
            workers_required=1,
            required_skills=frozenset(),
            carer_gender=None,
            refused_workers=frozenset(),
            known_workers=frozenset(),
        )
        for v in problem.visits
    ]
    workers = [
        replace(
            w,
            skills=frozenset(),
            gender=None,
            max_working_minutes=_DAY,
            contracted_minutes=None,
            max_continuous_minutes=_DAY,
        )
        for w in problem.workers
    ]
    weights = Weights(lateness_minute=0, unknown_worker=0, overtime_minute=0)
    return PlanningProblem(problem.epoch, visits, workers, problem.travel, weights)


def travel_only_problem(problem: PlanningProblem) -> PlanningProblem:
    """The same day and hard rules with travel as the only soft cost."""
    weights = Weights(lateness_minute=0, unknown_worker=0, overtime_minute=0)
    return PlanningProblem(problem.epoch, problem.visits, problem.workers, problem.travel, weights)


def _evaluate(
    problem: PlanningProblem, plan: Plan, seconds: float, judged_by: PlanningProblem
) -> dict[str, Any]:
    """Indicators, cost and hard rules of ``plan``, locality by locality (no whole-day matrix)."""
    totals: dict[str, Any] = {
        "visits": 0,
        "allocated_visits": 0,
        "unallocated_visits": 0,
        "unallocated_reasons": {},
        "travel_minutes": 0,
        "overtime_minutes": 0,
        "outside_preferred": 0,
        "minutes_from_preferred": 0,
    }
    hard = cost = allocations = 0
    known = known_where_possible = visit_minutes = shift_minutes = 0.0
    known_possible = 0
    for part, judge in zip(split_by_locality(problem), split_by_locality(judged_by), strict=True):
        sub = Plan(
            allocations=[a for a in plan.allocations if a.visit_id in part.visit],
            unallocated={k: v for k, v in plan.unallocated.items() if k in part.visit},
        )
        figures = indicators(part, sub)
        for key in totals:
            if key == "unallocated_reasons":
                for reason, count in figures.unallocated_reasons.items():
                    totals[key][reason] = totals[key].get(reason, 0) + count
            else:
                totals[key] += getattr(figures, key)
        hard += len(hard_violations(judge, sub))
        cost += plan_cost(part, sub)
        allocations += len(sub.allocations)
        known += figures.continuity * len(sub.allocations)
        known_where_possible += figures.continuity_where_possible * figures.known_possible_allocations
        known_possible += figures.known_possible_allocations
        used = {a.worker_id for a in sub.allocations}
        shifts = sum(e - s for w in part.workers if w.id in used for s, e in free_intervals(w))
        visit_minutes += figures.utilisation * shifts
        shift_minutes += shifts
    return {
        "seconds": round(seconds, 2),
        "hard_violations": hard,
        "cost": cost,
        "travel_per_allocation": round(totals["travel_minutes"] / allocations, 2) if allocations else 0.0,
        **totals,
        "continuity": round(known / allocations, 4) if allocations else 1.0,
        "continuity_where_possible": round(known_where_possible / known_possible, 4)
        if known_possible
        else 1.0,
        "known_possible_allocations": known_possible,
        "utilisation": round(visit_minutes / shift_minutes, 4) if shift_minutes else 0.0,
    }


def _greedy(problem: PlanningProblem) -> Plan:
    """Greedy locality by locality (as the service plans), merged."""
    merged = Plan()
    for part in split_by_locality(problem):
        plan = GreedyEngine().allocate(part)
        merged.allocations.extend(plan.allocations)
        merged.unallocated.update(plan.unallocated)
    return merged


def run_size(
    workers: int, visits: int, *, seed: int, time_limit_s: float, processes: int, engines: tuple[str, ...]
) -> dict[str, Any]:
    """Plan one generated day with each engine, then repair the service's plan after a sickness.

    Times include each engine's travel matrices; every plan is judged locality by locality.
    """
    problem = generated_day(workers, visits, seed=seed)
    result: dict[str, Any] = {"workers": workers, "visits": visits, "seed": seed, "engines": {}}
    service_plan: Plan | None = None
    for name in engines:
        started = time.monotonic()
        if name == "greedy":
            plan = _greedy(problem)
            row = _evaluate(problem, plan, time.monotonic() - started, problem)
        elif name == "plain":
            relaxed = plain_problem(problem)
            plan = RoutingEngine(processes, phases=(("solver", 1.0),)).allocate(relaxed, time_limit_s)
            row = _evaluate(relaxed, plan, time.monotonic() - started, problem)
        elif name == "travel":
            travel_only = travel_only_problem(problem)
            plan = RoutingEngine(processes).allocate(travel_only, time_limit_s)
            row = _evaluate(travel_only, plan, time.monotonic() - started, problem)
        elif name == "solver":
            plan = RoutingEngine(processes, phases=(("solver", 1.0),)).allocate(problem, time_limit_s)
            row = _evaluate(problem, plan, time.monotonic() - started, problem)
        else:
            plan = RoutingEngine(processes).allocate(problem, time_limit_s)
            row = _evaluate(problem, plan, time.monotonic() - started, problem)
            service_plan = plan
        result["engines"][name] = row
    if service_plan is not None and service_plan.allocations:
        result["repair"] = _repair(problem, service_plan)
    rows = result["engines"]
    if "travel" in rows and "service" in rows and rows["travel"]["travel_per_allocation"]:
        # Per allocation: the two plans may leave different numbers of visits out.
        extra = rows["service"]["travel_per_allocation"] / rows["travel"]["travel_per_allocation"] - 1
        result["service_travel_over_travel_only"] = round(extra, 4)
    return result


def _repair(problem: PlanningProblem, plan: Plan) -> dict[str, Any]:
    """The busiest worker goes off sick for the day: how long the repair takes and what it touches."""
    counts: dict[Any, int] = {}
    for allocation in plan.allocations:
        counts[allocation.worker_id] = counts.get(allocation.worker_id, 0) + 1
    sick = max(counts, key=lambda w: (counts[w], str(w)))
    # The service repairs within the sick worker's locality, on that locality's day.
    (day,) = [p for p in split_by_locality(problem) if sick in p.worker]
    plan = Plan(allocations=[a for a in plan.allocations if a.visit_id in day.visit])
    started = time.monotonic()  # the day's travel matrices included, as in the service
    repaired = repair(day, plan, sick_worker=sick)
    seconds = time.monotonic() - started
    freed = {a.visit_id for a in plan.allocations if a.worker_id == sick}
    untouched = {a for a in plan.allocations if a.visit_id not in freed}
    return {
        "seconds": round(seconds, 3),
        "sick_worker_visits": len(freed),
        "moved_to_others": sum(1 for workers in repaired.moved.values() if workers),
        "left_unallocated": sum(1 for workers in repaired.moved.values() if not workers),
        "others_untouched": untouched <= set(repaired.problem_plan.allocations),
        "hard_violations": len(hard_violations(repaired.problem, repaired.problem_plan)),
    }


def _table(results: list[dict[str, Any]], time_limit_s: float) -> Table:
    table = Table(title=f"rounds bench rota (time limit {time_limit_s:g} s per run)")
    for column in (
        "day",
        "engine",
        "s",
        "hard",
        "unalloc",
        "travel",
        "per alloc",
        "contin.",
        "where poss.",
        "util.",
        "overtime",
        "off pref",
        "min off",
    ):
        table.add_column(column, justify="left" if column in ("engine", "day") else "right")
    for result in results:
        for name, row in result["engines"].items():
            table.add_row(
                f"{result['workers']} x {result['visits']}",
                name,
                f"{row['seconds']:.1f}",
                str(row["hard_violations"]),
                str(row["unallocated_visits"]),
                str(row["travel_minutes"]),
                f"{row['travel_per_allocation']:.1f}",
                f"{row['continuity']:.0%}",
                f"{row['continuity_where_possible']:.0%}",
                f"{row['utilisation']:.0%}",
                str(row["overtime_minutes"]),
                str(row["outside_preferred"]),
                str(row["minutes_from_preferred"]),
            )
        if "repair" in result:
            r = result["repair"]
            table.add_row(
                f"{result['workers']} x {result['visits']}",
                "repair",
                f"{r['seconds']:.2f}",
                str(r["hard_violations"]),
                str(r["left_unallocated"]),
                f"moved {r['moved_to_others']}/{r['sick_worker_visits']}",
                "",
                "others kept" if r["others_untouched"] else "OTHERS MOVED",
                "",
                "",
                "",
                "",
            )
        table.add_section()
    return table


def bench_rota(
    sizes: Annotated[
        str, typer.Option(help="Comma-separated WORKERSxVISITS days to plan, smallest first.")
    ] = "10x100,25x250,50x500,100x1000,300x3000",
    time_limit: Annotated[float, typer.Option(help="Seconds each solver engine may take per day.")] = 20.0,
    engines: Annotated[str, typer.Option(help="Comma-separated engines to run.")] = ",".join(ENGINES),
    seed: Annotated[int, typer.Option(help="Seed of the generated days.")] = 1,
    processes: Annotated[int, typer.Option(help="Localities solved in parallel.")] = 2,
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path("bench-rota.json"),
) -> None:
    """Plan generated days with greedy, a plain solver model, the solver and the service; repair."""
    chosen = tuple(e.strip() for e in engines.split(",") if e.strip())
    unknown = [e for e in chosen if e not in ENGINES]
    if unknown:
        raise typer.BadParameter(f"unknown engines {unknown}; choose from {list(ENGINES)}")
    plan_sizes = parse_sizes(sizes)
    results: list[dict[str, Any]] = []
    with Progress(transient=True) as progress:
        task = progress.add_task("planning", total=len(plan_sizes))
        for workers, visits in plan_sizes:
            progress.update(task, description=f"{workers} workers, {visits} visits")
            results.append(
                run_size(
                    workers,
                    visits,
                    seed=seed,
                    time_limit_s=time_limit,
                    processes=processes,
                    engines=chosen,
                )
            )
            progress.advance(task)
    console = Console(width=max(Console().width, 150))  # the table is wide; keep it whole in CI logs
    console.print(_table(results, time_limit))
    for result in results:
        if "service_travel_over_travel_only" in result:
            rows = result["engines"]
            console.print(
                f"{result['workers']} x {result['visits']}: the service's travel per allocation is "
                f"{result['service_travel_over_travel_only']:+.1%} against travel alone with the same rules "
                f"(target at most +5%), for continuity {rows['service']['continuity']:.0%} against "
                f"{rows['travel']['continuity']:.0%}"
            )
    report = {
        "benchmark": "rota",
        "machine": machine_facts(),
        # Others' work on a shared machine slows every solver: the load says how much.
        "load_average_1_5_15": os.getloadavg(),
        "parameters": {"time_limit_s": time_limit, "seed": seed, "processes": processes, "engines": chosen},
        "results": results,
    }
    output.write_text(json.dumps(report, indent=2, default=str))
    console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add ``rounds bench rota``."""
    app.command("rota")(bench_rota)
