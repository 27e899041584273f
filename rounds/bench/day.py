"""``rounds bench day``: a whole day of care visits, end to end, compressed in time, every event counted.

The visits and alerts services and the gateway run as ``rounds up`` runs them (embedded broker unless
``KAFKA_BOOTSTRAP_SERVERS``). The day (:mod:`rounds.bench._day_script`: ``--visits`` visits of demo
branches, scripted by the simulator's ``script_day``) is seeded straight into the visits database, as
the rota would have announced it, then played through the gateway by the workers' apps on a clock
running fast enough to fit the day into ``--day-seconds`` (the monitor's thresholds compressed
alike). Every second it samples each consumer group's lag and each service's outbox backlog.

At the end every flow is counted by id (:mod:`rounds.bench._day_count`): records accepted = record
events on the telemetry topic; the monitor's conditions = alert conditions; SOS and incidents; alerts
= AlertRaised events. The run exits 1 when anything was lost or duplicated.

This machine's ingest path is the limit: the throughput measured here and the time a national day
(1,500,000 visits) would take at that rate are reported as measured, not scaled.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rounds.bench._day_count import failed, flows
from rounds.bench._day_platform import DayPlatform, EventLog, Watch, day_platform
from rounds.bench._day_play import Apps
from rounds.bench._day_script import (
    BRANCH_SIZE,
    Compression,
    chains,
    compressed_thresholds,
    expected_visits,
    script,
)
from rounds.bench._ingest_load import clients, load_average
from rounds.bench._ingest_platform import CpuMeter
from rounds.bench._machine import machine_facts
from rounds.demo.day import DayRates
from rounds.demo.generator import generate
from rounds.embedded.broker import EmbeddedBroker
from rounds.infra.clock import SystemClock
from rounds.infra.db import create_engine, create_sessions
from services.visits import handlers
from services.visits.domain.monitor import Thresholds
from services.visits.domain.visits import ExpectedVisit
from services.visits.unit_of_work import VisitsUnitOfWork

NATIONAL_VISITS = 1_500_000
#: Visits seeded a second, on the low side (340/s measured on the shared 2 cores): the day's clock
#: starts when they should all be in; a slower seeding is reported as ``seeding_overran_s``.
SEED_PER_S = 250.0
SEED_CHUNK = 500


async def seed(
    url: str, visits: list[ExpectedVisit], thresholds: Thresholds, progress: Progress | None
) -> float:
    """Write the day's visits into the visits database as the rota's events would; seconds taken.

    ``thresholds`` are the service's (compressed) defaults: each visit's first deadline is set from them.
    """
    task = progress.add_task("seeding the day's visits", total=len(visits)) if progress else None
    engine = create_engine(url)
    sessions = create_sessions(engine)
    began = time.perf_counter()
    try:
        for chunk in range(0, len(visits), SEED_CHUNK):
            uow = VisitsUnitOfWork(sessions, SystemClock(), source="/rounds/bench/day")
            async with uow:
                for visit in visits[chunk : chunk + SEED_CHUNK]:
                    await handlers.expect_visit(uow, visit, thresholds)
                await uow.commit()
            if progress is not None and task is not None:
                progress.advance(task, len(visits[chunk : chunk + SEED_CHUNK]))
    finally:
        await engine.dispose()
    return time.perf_counter() - began


async def _rows(url: str, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(query)]
    finally:
        await engine.dispose()


async def alerts_side(url: str) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """The alerts database's condition rows (subject, kind), incidents' record ids and alert ids."""
    from services.alerts.adapters.tables import alert_conditions, alerts, incidents

    held = await _rows(url, sa.select(alert_conditions.c.subject, alert_conditions.c.kind))
    reported = await _rows(url, sa.select(incidents.c.source_record_id))
    raised = await _rows(url, sa.select(alerts.c.id))
    return (
        [(str(s), str(k)) for s, k in held],
        [str(r) for (r,) in reported if r is not None],
        [str(a) for (a,) in raised],
    )


async def settle(watch: Watch, not_before: float, timeout: float) -> float | None:
    """Wait until the day's last deadlines passed, every outbox is empty and no group lags; seconds.

    None when that does not happen within ``timeout``: the flows are counted anyway, and show it.
    """
    began = time.perf_counter()
    quiet = 0
    while quiet < 3:
        if time.perf_counter() - began > timeout:
            return None
        await asyncio.sleep(1.0)
        try:
            reading = await watch.sample()
        except Exception:  # a failed reading (the broker busy) is not quiet, and not fatal
            quiet = 0
            continue
        idle = all(value == 0 for name, value in reading.items() if name.startswith(("lag", "outbox")))
        quiet = quiet + 1 if idle and time.perf_counter() >= not_before else 0
    return round(time.perf_counter() - began, 1)


async def run(
    *,
    visits: int,
    day_seconds: float,
    seed_value: int,
    database: str,
    bootstrap: str,
    connections: int = 32,
    settle_timeout: float = 600.0,
    progress: Progress | None = None,
    broker_pid: int | None = None,
    rates: DayRates | None = None,
) -> dict[str, Any]:
    """Script, seed, play and count one compressed day; the result as JSON-ready data.

    ``rates`` (how often visits are missed, workers never check out...) default to the simulator's.
    """
    work = Path(tempfile.mkdtemp(prefix="rounds-bench-day-"))
    began = time.perf_counter()
    day = datetime.now(ZoneInfo("Europe/London")).date()
    provider = generate(BRANCH_SIZE, seed_value, day)
    scripted = script(visits, seed_value, day, uuid.uuid4().hex[:12], provider, rates)
    origin, last = scripted.span()
    speed = (last - origin).total_seconds() / day_seconds
    thresholds = compressed_thresholds(speed)
    async with day_platform(database, bootstrap, work, thresholds) as platform:
        lead = 3.0 + visits / SEED_PER_S
        clock = Compression(origin, datetime.now(UTC) + timedelta(seconds=lead), speed)
        seeded = expected_visits(scripted, provider, clock)
        day_chains = chains(scripted, clock)
        records = sum(len(chain) for chain in day_chains)
        defaults = Thresholds(
            late_after=timedelta(minutes=thresholds["late_after"]),
            missed_after=timedelta(minutes=thresholds["missed_after"]),
            overrun_after=timedelta(minutes=thresholds["overrun_after"]),
            overdue_grace=timedelta(minutes=thresholds["overdue_grace"]),
        )
        seed_seconds = await seed(platform.databases["visits"], seeded, defaults, progress)
        start_in = (clock.start - datetime.now(UTC)).total_seconds()
        if start_in > 0:
            await asyncio.sleep(start_in)
        started = time.perf_counter()
        result = await _play(platform, day_chains, records, started, connections, progress, broker_pid)
        # The last deadline the monitor can reach: the day's last planned end plus the longest grace.
        last_end = max(v.planned_end for v in seeded) + timedelta(minutes=max(thresholds.values()) * 2)
        not_before = started + (last_end - clock.start).total_seconds()
        watch, log = result.pop("watch"), result.pop("log")
        try:
            result["settled_s"] = await settle(watch, not_before, settle_timeout)
        finally:
            await watch.stop()
        await log.catch_up()
        await log.stop()
        held, reported, raised = await alerts_side(platform.databases["alerts"])
    played = result.pop("played")
    rows = flows(
        played.accepted,
        log.events,
        held,
        reported,
        raised,
        {scripted.uuid_of(v) for v in scripted.missed},
        {scripted.uuid_of(v) for v in scripted.never_checked_out},
    )
    by_type: dict[str, int] = {}
    for kind, _ in log.events:
        by_type[kind] = by_type.get(kind, 0) + 1
    return {
        "benchmark": "day",
        "database": database,
        "visits": scripted.visits,
        "branches": len(scripted.branches),
        "records_scripted": records,
        "records_per_visit": round(records / max(1, scripted.visits), 2),
        "scripted": dict(scripted.expected),
        "day_seconds": day_seconds,
        "speed": round(speed, 1),
        "thresholds_real_minutes": {k: round(v, 5) for k, v in thresholds.items()},
        "seed_seconds": round(seed_seconds, 1),
        "seeding_overran_s": round(max(0.0, -start_in), 1),
        **result,
        "flows": rows,
        "failed": failed(rows),
        "events_by_type": dict(sorted(by_type.items())),
        "national": _national(result, records / max(1, scripted.visits)),
        "machine": machine_facts(),
        "load_average_at_end": load_average(),
        "elapsed_s": round(time.perf_counter() - began, 1),
        "ran_at": datetime.now(UTC).isoformat(),
    }


async def _play(
    platform: DayPlatform,
    day_chains: list[list[Any]],
    records: int,
    started: float,
    connections: int,
    progress: Progress | None,
    broker_pid: int | None,
) -> dict[str, Any]:
    task = progress.add_task("the day, as the apps send it", total=records) if progress else None

    def advance() -> None:
        if progress is not None and task is not None:
            progress.advance(task)

    log = EventLog(platform.bootstrap)
    await log.start()
    pids: dict[str, int | None] = {**platform.pids, "broker": broker_pid}
    async with clients(platform.gateway_url, connections) as client:
        apps = Apps(client, connections, platform.key, started, advance)
        due = [chain[k].due_s for chain in day_chains for k in range(len(chain))]
        due.sort()

        def waiting() -> float:
            # Records due by now without an answer yet: the queue in the apps when the platform is slow.
            now = time.perf_counter() - started
            return float(bisect.bisect_right(due, now) - apps.played.answered)

        extra = {"records answered": lambda: float(apps.played.answered), "records waiting in apps": waiting}
        watch = Watch(platform, log, extra)
        await watch.start()
        load_before = load_average()
        meter = CpuMeter(pids)
        played = await apps.play(day_chains)
    play_s = (played.last_answer or started) - started
    busy_s = (played.last_answer or started) - (played.first_sent or started)
    cpu = meter.per_event(max(1, len(played.accepted)))
    late = sorted(played.late_s) or [0.0]
    return {
        "played": played,
        "watch": watch,
        "log": log,
        "play_s": round(play_s, 1),
        "sent": sum(played.sent.values()),
        "sent_by_kind": dict(played.sent),
        "accepted": len(played.accepted),
        "replayed": played.replayed,
        "refused": {str(k): v for k, v in played.refused.items()},
        "retries": played.retries,
        "errors_sample": played.errors[:10],
        "accepted_per_s": round(len(played.accepted) / busy_s, 1) if busy_s > 0 else 0.0,
        "answer_after_due_s": {
            "p50": round(statistics.median(late), 2),
            "p95": round(late[int(0.95 * (len(late) - 1))], 2),
            "max": round(late[-1], 2),
        },
        "cpu_ms_per_record": cpu,
        "load_before": load_before,
        "load_after": load_average(),
        "series": watch.series,
        "peak_accepted_per_s": peak_rate(watch.series.get("records answered", [])),
    }


def peak_rate(points: list[list[float]], window_s: float = 10.0) -> float:
    """The highest rate of a cumulative series over any ``window_s`` seconds (per second)."""
    best = 0.0
    for i, (t0, v0) in enumerate(points):
        for t1, v1 in points[i + 1 :]:
            if t1 - t0 >= window_s:
                best = max(best, (v1 - v0) / (t1 - t0))
                break
    return round(best, 1)


def _national(result: dict[str, Any], per_visit: float) -> dict[str, Any]:
    """What a national day (1.5 M visits) would take on this machine at the rates measured here.

    When the platform kept up (the apps' answers came within 2 s of their due time, p95) the day's
    rate is what was offered, not what the platform can do: the projection at it is then an upper
    bound, and the peak (10 s) and CPU-bound rates say more.
    """
    cores = os.cpu_count() or 1
    national_records = NATIONAL_VISITS * per_visit
    cpu_total = sum(result["cpu_ms_per_record"].values())
    rates = {
        "day": float(result["accepted_per_s"]),
        "peak_10s": float(result["peak_accepted_per_s"]),
        "cpu_bound": round(cores * 1000 / cpu_total, 1) if cpu_total else 0.0,
    }
    return {
        "visits": NATIONAL_VISITS,
        "records": round(national_records),
        "kept_up": result["answer_after_due_s"]["p95"] < 2.0,
        "rates_per_s": rates,
        "hours_at": {k: round(national_records / v / 3600, 1) if v else None for k, v in rates.items()},
    }


def tables(result: dict[str, Any]) -> tuple[Table, Table]:
    """The flows (in, out, lost, duplicated) and the day's figures."""
    counted = Table(title=f"Every event counted end to end ({result['visits']:,} visits)")
    for column in ("flow", "in", "out", "lost", "duplicated", "unexpected"):
        counted.add_column(column, justify="left" if column == "flow" else "right")
    for row in result["flows"]:
        style = "red" if row["lost"] or row["duplicated"] else None
        counted.add_row(
            row["flow"],
            *(f"{row[k]:,}" for k in ("in", "out", "lost", "duplicated", "unexpected")),
            style=style,
        )
    cores = result["machine"]["cores"]
    figures = Table(title=f"The day compressed {result['speed']:g}x ({result['database']}, {cores} cores)")
    figures.add_column("figure")
    figures.add_column("value", justify="right")
    series = result["series"]
    national = result["national"]
    rows = [
        ("visits (branches)", f"{result['visits']:,} ({result['branches']})"),
        ("records the apps sent / accepted", f"{result['sent']:,} / {result['accepted']:,}"),
        ("refused (status: count)", json.dumps(result["refused"]) if result["refused"] else "0"),
        ("seeding (s)", f"{result['seed_seconds']}"),
        ("day played in (s, offered over)", f"{result['play_s']} ({result['day_seconds']:g})"),
        ("accepted records/s", f"{result['accepted_per_s']}"),
        (
            "answer after due time p50 / p95 / max (s)",
            "{p50} / {p95} / {max}".format(**result["answer_after_due_s"]),
        ),
        *(
            (f"max {name}", f"{max(v for _, v in points):,.0f}")
            for name, points in sorted(series.items())
            if name.startswith(("lag", "outbox"))
        ),
        ("settled after the day (s)", f"{result['settled_s']}"),
        ("CPU ms per record (all processes)", f"{sum(result['cpu_ms_per_record'].values()):.1f}"),
        ("peak accepted records/s (10 s)", f"{result['peak_accepted_per_s']}"),
        ("kept up (answers within 2 s of due, p95)", "yes" if national["kept_up"] else "no"),
        (
            f"national day: {national['visits']:,} visits, {national['records']:,} records, hours at",
            "day rate {day} / peak {peak_10s} / CPU-bound {cpu_bound}".format(**national["hours_at"]),
        ),
        ("load average before / after", f"{result['load_before']} / {result['load_after']}"),
    ]
    for name, value in rows:
        figures.add_row(name, value)
    return counted, figures


def chart(result: dict[str, Any], path: Path) -> Path:
    """Consumer lag and outbox backlog over the day (PNG)."""
    from rounds.bench._charts import line_chart

    series = {
        name: [(t, v) for t, v in points]
        for name, points in result["series"].items()
        if name.startswith(("lag", "outbox")) or name == "records waiting in apps"
    }
    return line_chart(
        path,
        f"A day of {result['visits']:,} visits compressed {result['speed']:g}x",
        "seconds since the day started",
        "messages / rows / records",
        series,
        note=f"{result['machine']['cores']} cores, {result['accepted_per_s']} records/s",
    )


def register(app: typer.Typer) -> None:
    """Add ``rounds bench day``."""

    @app.command("day")
    def bench_day(
        visits: Annotated[int, typer.Option(min=1, help="visits in the day (national: 1500000)")] = 1000,
        day_seconds: Annotated[
            float,
            typer.Option(min=5, help="real seconds the day (06:40 to its last record) is compressed into"),
        ] = 150.0,
        seed: Annotated[int, typer.Option(help="scripts the day")] = 7,
        database: Annotated[
            str, typer.Option(help="sqlite (the embedded default) or postgres (throwaway on 127.0.0.1:5432)")
        ] = "sqlite",
        connections: Annotated[int, typer.Option(min=1, help="HTTP connections the apps share")] = 32,
        out: Annotated[Path, typer.Option(help="where to write the JSON")] = Path("bench-day.json"),
        chart_path: Annotated[
            Path | None, typer.Option("--chart", help="draw lag and backlog over time into this PNG")
        ] = None,
    ) -> None:
        """A day of visits through the gateway, compressed in time: lag and backlog every second, and
        every record, condition, alert and incident counted end to end (exit 1 if any is lost or doubled)."""
        if database not in ("sqlite", "postgres"):
            raise typer.BadParameter("choose sqlite or postgres", param_hint="--database")
        console = Console()
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        broker = None if bootstrap else EmbeddedBroker().start()
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        try:
            with Progress(
                *columns, console=console, disable=os.environ.get("ROUNDS_NO_PROGRESS") == "1"
            ) as bar:
                result = asyncio.run(
                    run(
                        visits=visits,
                        day_seconds=day_seconds,
                        seed_value=seed,
                        database=database,
                        bootstrap=bootstrap or (broker.bootstrap_servers if broker else ""),
                        connections=connections,
                        progress=bar,
                        broker_pid=broker.pid if broker else None,
                    )
                )
        except RuntimeError as exc:
            console.print(f"[red]rounds bench day could not run:[/] {exc}")
            raise typer.Exit(1) from exc
        finally:
            if broker is not None:
                broker.stop()
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        for table in tables(result):
            console.print(table)
        if chart_path is not None:
            console.print(f"chart written to {chart(result, chart_path)}")
        console.print(f"JSON written to {out}")
        if result["failed"]:
            console.print(f"[red]lost or duplicated:[/] {', '.join(result['failed'])}")
            raise typer.Exit(1)
        console.print("[green]nothing lost, nothing duplicated[/]")


__all__ = ["register", "run", "tables"]
