"""``rounds bench alert-latency``: from a visit's missed threshold to the on-call manager paged (issue 11).

The visits and alerts services run as ``rounds up`` starts them (their own processes, the embedded
broker unless ``KAFKA_BOOTSTRAP_SERVERS`` names one, SQLite or throwaway Postgres databases). The day
holds ``--visits`` visits over 07:00-22:00, seeded into the visits database in bulk; alerts learns
the workers and the on-call managers from people's events. ``--missed`` visits nobody checks in to
reach their missed threshold at known instants spread over ``--window-seconds``; every other visit was
attended or is not due before the window ends. Per missed visit, from the databases' own timestamps:

* ``detected``: threshold -> the monitor's ``rounds.visit.missed.v1`` (the condition's ``raised_at``);
* ``stored``: threshold -> the alert stored (the timeline step that raised the visit's alert's
  severity for the missed condition, or raised the alert);
* ``dispatched``: threshold -> the on-call manager's notification handed to its channel (the log
  channel: the platform's own latency, not an SMS provider's).

Prints a table with the targets (stored p99 <= 1 s, dispatched p99 <= 2 s) and writes JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rounds.bench import _alert_latency_day as day
from rounds.bench import _alert_latency_platform as plat
from rounds.bench._ingest_platform import cpu_seconds
from rounds.bench._machine import machine_facts
from rounds.embedded.broker import EmbeddedBroker
from services.visits.domain.monitor import Thresholds

STAGES = ("detected", "stored", "dispatched")
#: Issue 11's targets, p99 in milliseconds (detection has none of its own: it is part of the others).
TARGETS_MS: dict[str, float] = {"stored": 1000.0, "dispatched": 2000.0}
DATABASES = ("sqlite", "postgres")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def summary(values_ms: list[float]) -> dict[str, float | int]:
    """Count, p50, p95, p99 and max, in milliseconds."""
    return {
        "count": len(values_ms),
        "p50_ms": round(percentile(values_ms, 0.50), 1),
        "p95_ms": round(percentile(values_ms, 0.95), 1),
        "p99_ms": round(percentile(values_ms, 0.99), 1),
        "max_ms": round(max(values_ms, default=0.0), 1),
    }


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )  # fmt: skip


async def _wait_for(
    progress: Progress,
    label: str,
    total: int,
    count: Callable[[], Awaitable[int]],
    timeout: float,
    pause: float = 0.25,
) -> float:
    """Poll the coroutine function ``count`` until it reaches ``total``; seconds it took."""
    task = progress.add_task(label, total=total)
    started = time.perf_counter()
    while (done := await count()) < total:
        progress.update(task, completed=done)
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"{label}: {done} of {total} after {timeout:g} s")
        await asyncio.sleep(pause)
    progress.update(task, completed=total)
    return round(time.perf_counter() - started, 2)


async def run(
    *,
    visits: int,
    missed: int,
    window_seconds: float,
    lead_seconds: float,
    database: str,
    bootstrap: str,
    console: Console | None = None,
) -> dict[str, Any]:
    """Seed the day, start visits and alerts, let ``missed`` thresholds pass, and measure each stage."""
    if not 0 < missed < visits:
        raise ValueError("missed must be at least 1 and fewer than the visits")
    # Ordinary visits still ahead are first due 15 minutes after their start: the window must end
    # before the earliest of them (with room for seeding and starting the services).
    if lead_seconds + window_seconds > 10 * 60:
        raise ValueError("lead and window together must stay under 10 minutes")
    console = console or Console()
    thresholds = Thresholds()  # the provider's defaults, as the visits service has them
    facts: dict[str, Any] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    # The databases (SQLite) and the services' logs live here until the run ends.
    with (
        tempfile.TemporaryDirectory(prefix="rounds-bench-alert-latency-") as folder,
        _progress(console) as progress,
    ):
        work = Path(folder)
        async with plat.platform(database, bootstrap, work) as running:
            seeded_at = datetime.now(UTC)
            plan = day.plan_day(seeded_at, visits, missed)
            seeding = progress.add_task("visits seeded", total=len(plan.visits))
            started = time.perf_counter()
            await day.insert_visits(
                running.visits_db, plan.visits, thresholds, advance=lambda n: progress.advance(seeding, n)
            )
            facts["seed_s"] = round(time.perf_counter() - started, 2)

            startup = progress.add_task("visits and alerts starting", total=None)
            await plat.start(running, work)
            progress.update(startup, total=1, completed=1)
            await plat.publish(bootstrap, plat.people_events(plan.workers, datetime.now(UTC)))
            shifts = 2 * len(day.LOCALITIES)

            async def known() -> int:
                workers, on_call = await plat.known_to_alerts(running.alerts_db)
                return workers + min(on_call, shifts)

            facts["people_s"] = await _wait_for(
                progress, "workers and on-call known to alerts", len(plan.workers) + shifts, known, 300
            )

            now = datetime.now(UTC)
            window_start = now + timedelta(seconds=lead_seconds)
            instants = day.missed_instants(window_start, window_seconds, missed)
            if instants[-1] >= seeded_at + thresholds.late_after:
                raise RuntimeError(
                    "the setup took so long that visits still ahead would fall due in the window"
                )
            late = day.missed_visits(plan, instants, now)
            ids = {s.visit.visit_id for s in late}
            await day.insert_visits(running.visits_db, late, thresholds)

            async def late_paged() -> int:
                return len((await plat.paged(running.alerts_db, "visit_late", ids)).dispatched)

            # Their late thresholds passed 15 minutes ago: the alerts exist before the window opens.
            facts["late_warm_up_s"] = await _wait_for(
                progress, "late alerts paged (warm-up)", missed, late_paged, 300 + missed / 5
            )
            facts["warm_up_done_before_window"] = datetime.now(UTC) < window_start
            cpu_before = {name: cpu_seconds(pid) for name, pid in plat.cpu_of(running).items()}
            window = progress.add_task("missed thresholds passing", total=missed)
            while (passed := sum(1 for i in instants if i <= datetime.now(UTC))) < missed:
                progress.update(window, completed=passed)
                await asyncio.sleep(0.25)
            progress.update(window, completed=missed)

            async def missed_paged() -> int:
                return len((await plat.paged(running.alerts_db, "visit_missed", ids)).dispatched)

            facts["drain_after_window_s"] = await _wait_for(
                progress, "missed visits paged", missed, missed_paged, 120 + missed / 5
            )
            cpu_after = {name: cpu_seconds(pid) for name, pid in plat.cpu_of(running).items()}
            facts["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
            found = await plat.paged(running.alerts_db, "visit_missed", ids)
            raised = await plat.detected(running.visits_db, "missed", ids)
    return _result(
        visits=visits, missed=missed, window_seconds=window_seconds, database=database,
        instants={s.visit.visit_id: i for s, i in zip(late, instants, strict=True)},
        raised=raised, found=found, facts=facts,
        cpu={n: round((cpu_after[n] or 0) - (cpu_before[n] or 0), 2) for n in cpu_before},
    )  # fmt: skip


def _result(
    *,
    visits: int,
    missed: int,
    window_seconds: float,
    database: str,
    instants: dict[Any, datetime],
    raised: dict[Any, tuple[datetime, datetime]],
    found: plat.Paged,
    facts: dict[str, Any],
    cpu: dict[str, float],
) -> dict[str, Any]:
    samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    threshold_mismatch = 0
    for visit_id, instant in instants.items():
        if visit_id in raised:
            deadline, at = raised[visit_id]
            # The monitor's own deadline must be the one planned: else the bench measures the wrong thing.
            threshold_mismatch += abs((deadline - instant).total_seconds()) > 0.001
            samples["detected"].append((at - instant).total_seconds() * 1000)
        if visit_id in found.stored:
            samples["stored"].append((found.stored[visit_id] - instant).total_seconds() * 1000)
        if visit_id in found.dispatched:
            samples["dispatched"].append((found.dispatched[visit_id] - instant).total_seconds() * 1000)
    stages = {stage: summary(values) for stage, values in samples.items()}
    for stage, target in TARGETS_MS.items():
        stages[stage]["target_p99_ms"] = target
        stages[stage]["pass"] = bool(samples[stage]) and stages[stage]["p99_ms"] <= target
    return {
        "benchmark": "alert-latency",
        "database": database,
        "visits": visits,
        "missed": missed,
        "window_seconds": window_seconds,
        "stages": stages,
        "alerts_per_missed_visit": sorted(set(found.alerts.get(v, 0) for v in instants)),
        "notifications_per_missed_visit": sorted(set(found.notifications.get(v, 0) for v in instants)),
        "threshold_mismatches": threshold_mismatch,
        "cpu_s_during_window": cpu,
        **facts,
        "machine": machine_facts(),
        "ran_at": datetime.now(UTC).isoformat(),
        "samples_ms": {stage: [round(x, 1) for x in values] for stage, values in samples.items()},
    }


def table(result: dict[str, Any]) -> Table:
    """The stages side by side with their targets."""
    title = (
        f"Alert latency: {result['missed']:,} of {result['visits']:,} visits missed over "
        f"{result['window_seconds']:g} s ({result['database']})"
    )
    out = Table(title=title)
    for column in ("threshold ->", "count", "p50 ms", "p95 ms", "p99 ms", "max ms", "target p99", "pass"):
        out.add_column(column, justify="left" if column == "threshold ->" else "right")
    names = {"detected": "missed event", "stored": "alert stored", "dispatched": "manager paged"}
    for stage in STAGES:
        row = result["stages"][stage]
        target = row.get("target_p99_ms")
        out.add_row(
            names[stage], str(row["count"]),
            *(f"{row[k]:,.1f}" for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
            f"<= {target:,.0f} ms" if target else "",
            ("yes" if row["pass"] else "NO") if target else "",
        )  # fmt: skip
    return out


def chart(result: dict[str, Any], path: Path) -> Path:
    """The cumulative distribution of each stage, with the targets marked."""
    from rounds.bench._charts import cdf_chart

    load = result.get("load_average_after") or ["?"]
    return cdf_chart(
        path,
        f"Alert latency from the missed threshold ({result['missed']:,} of {result['visits']:,} visits)",
        "milliseconds after the threshold",
        {stage: result["samples_ms"][stage] for stage in STAGES},
        note=f"{result['database']}, {result['machine']['cores']} cores, load {load[0]}",
        marks=(1000.0, 2000.0),
    )


@contextlib.contextmanager
def _broker() -> Iterator[str]:
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield servers
        return
    with EmbeddedBroker() as broker:
        yield broker.bootstrap_servers


def register(app: typer.Typer) -> None:
    """Add ``rounds bench alert-latency``."""

    @app.command("alert-latency")
    def bench_alert_latency(
        visits: Annotated[
            int, typer.Option(min=2, help="Visits scheduled that day (07:00-22:00).")
        ] = 100_000,
        missed: Annotated[
            int, typer.Option(min=1, help="Visits nobody checks in to, missed during the window.")
        ] = 1_000,
        window_seconds: Annotated[
            float, typer.Option(min=1, help="Seconds over which their missed thresholds pass.")
        ] = 60.0,
        lead_seconds: Annotated[
            float, typer.Option(min=1, help="From seeding the missed visits to the window's start.")
        ] = 90.0,
        database: Annotated[
            str, typer.Option(help="sqlite, or postgres (throwaway, 127.0.0.1:5432).")
        ] = "sqlite",
        out: Annotated[Path, typer.Option(help="Where to write the JSON.")] = Path(
            "bench-alert-latency.json"
        ),
        chart_path: Annotated[
            Path | None, typer.Option("--chart", help="Also draw each stage's distribution (PNG).")
        ] = None,
    ) -> None:
        """Alert latency: a visit's missed threshold -> event -> alert stored -> on-call manager paged."""
        if database not in DATABASES:
            raise typer.BadParameter(f"one of {', '.join(DATABASES)}", param_hint="--database")
        if missed >= visits:
            raise typer.BadParameter("fewer than --visits", param_hint="--missed")
        console = Console()
        with _broker() as bootstrap:
            result = asyncio.run(
                run(
                    visits=visits, missed=missed, window_seconds=window_seconds,
                    lead_seconds=lead_seconds, database=database, bootstrap=bootstrap, console=console,
                )
            )  # fmt: skip
        console.print(table(result))
        console.print(
            f"load average {result['load_average_before']} before, {result['load_average_after']} after; "
            f"{result['machine']['cores']} cores; seeding {result['seed_s']} s; "
            f"late warm-up {result['late_warm_up_s']} s"
            + ("" if result["warm_up_done_before_window"] else " (NOT done before the window opened)")
        )
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        console.print(f"JSON written to {out}")
        if chart_path is not None:
            console.print(f"chart written to {chart(result, chart_path)}")
