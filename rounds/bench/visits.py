"""``rounds bench visits``: telemetry ingest into the visits service, over HTTP, onto Kafka.

The visits service runs as its own uvicorn process (as in production, with its monitor and outbox
relay) on Postgres (a throwaway database on ``--postgres``) or SQLite, against a Kafka-protocol broker
(``KAFKA_BOOTSTRAP_SERVERS``, else the embedded tansu broker). Visits are seeded straight into its
database; then worker-app records (check-in, a task outcome, a note, check-out per visit, plus a share
of retries of records already sent) are posted at each concurrency level, and the run measures:

* ``records/s`` accepted (HTTP 201 or a replay's 200) and latency p50/p95/p99 per request;
* ``drained_s``: from the last response until every announced event had left the outbox onto Kafka.

It goes direct to the service, not through the gateway (the gateway's own cost is issue 11's
end-to-end ingest benchmark). Prints a table and writes JSON with the machine's facts.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID, uuid4

import httpx
import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from rounds.bench._machine import machine_facts
from rounds.embedded.broker import EmbeddedBroker
from rounds.infra.clock import SystemClock
from rounds.infra.db import create_engine, create_sessions
from rounds.infra.messaging_tables import outbox
from rounds.infra.migrations import upgrade_head
from services.visits import handlers
from services.visits.domain.visits import ExpectedVisit
from services.visits.unit_of_work import VisitsUnitOfWork

LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
RECORDS_PER_VISIT = 4  # check-in, task, note, check-out


def _visit(now: datetime, index: int) -> ExpectedVisit:
    # Visits starting over the next minutes: records arrive in real time, as they mostly do, so the
    # monitor only has work when a threshold really passes (not a backlog of hours-old deadlines).
    start = now + timedelta(minutes=1) + timedelta(seconds=index % 600)
    return ExpectedVisit(
        visit_id=uuid4(),
        individual_id=uuid4(),
        package_id=uuid4(),
        locality=f"Locality {index % 12}",
        local_date=start.date(),
        time_zone="Europe/London",
        service_type="personal_care",
        planned_start=start,
        planned_end=start + timedelta(minutes=30),
        window_start=start,
        window_end=start + timedelta(minutes=15),
        tasks=("medication", "breakfast"),
        workers_required=1,
        workers=(uuid4(),),
        address=f"{index} Bench Street",
        cancelled=False,
        rota_updated_at=now - timedelta(days=1),
        home=None,
    )


async def _seed(url: str, count: int) -> list[ExpectedVisit]:
    engine = create_engine(url)
    sessions = create_sessions(engine)
    clock = SystemClock()
    now = clock.now()
    visits = [_visit(now, i) for i in range(count)]
    try:
        for chunk in range(0, count, 500):
            uow = VisitsUnitOfWork(sessions, clock, source="/rounds/bench")
            async with uow:
                for visit in visits[chunk : chunk + 500]:
                    await handlers.expect_visit(uow, visit, uow.defaults)
                await uow.commit()
    finally:
        await engine.dispose()
    return visits


def _records() -> list[tuple[str, dict[str, Any]]]:
    """The four records one worker's app sends for one visit, in order, stamped with the device's now."""
    where = {"method": "gps", "position": {"lat": 54.0, "lon": -1.5, "accuracy_m": 10}}

    def record(**body: Any) -> dict[str, Any]:
        return {"record_id": str(uuid4()), "occurred_at": datetime.now(UTC).isoformat(), **body}

    return [
        ("check-in", record(**where)),
        ("tasks", record(task="medication", outcome="done")),
        ("notes", record(text="Breakfast eaten, medication taken, in good spirits")),
        ("check-out", record(**where)),
    ]


async def _drive(
    base_url: str, visits: list[ExpectedVisit], concurrency: int, retry_share: float, seed: int
) -> dict[str, Any]:
    """Post every visit's records (visits in parallel, each visit's records in order) and time them."""
    rng = random.Random(seed)  # noqa: S311  # which records are retried, not a secret
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[ExpectedVisit] = asyncio.Queue()
    for visit in visits:
        queue.put_nowait(visit)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            visit = queue.get_nowait()
            actor = json.dumps({"sub": "bench", "role": "care_worker", "worker_id": str(visit.workers[0])})
            for path, body in _records():
                sends = 2 if rng.random() < retry_share else 1  # an app retrying after a lost answer
                for _ in range(sends):
                    started = time.perf_counter()
                    response = await client.post(
                        f"/visits/{visit.visit_id}/{path}", json=body, headers={"X-Rounds-Actor": actor}
                    )
                    latencies.append(time.perf_counter() - started)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    ok = statuses.get(201, 0) + statuses.get(200, 0)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "concurrency": concurrency,
        "visits": len(visits),
        "requests": len(latencies),
        "accepted": statuses.get(201, 0),
        "replayed": statuses.get(200, 0),
        "errors": len(latencies) - ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(seconds, 3),
        "records_per_s": round(ok / seconds, 1) if seconds else 0.0,
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p95_ms": round(quantiles[94] * 1000, 1),
        "p99_ms": round(quantiles[98] * 1000, 1),
    }


async def _backlog(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(
                sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
            return int(found or 0)
    finally:
        await engine.dispose()


async def _drained_after(url: str, timeout: float = 300.0) -> float:
    started = time.perf_counter()
    while await _backlog(url) > 0:
        if time.perf_counter() - started > timeout:
            return float("nan")
        await asyncio.sleep(0.1)
    return round(time.perf_counter() - started, 3)


async def _throwaway_postgres(server: str) -> str | None:
    """A new database on ``server``, or None when no Postgres answers there."""
    name = f"rounds_bench_visits_{uuid4().hex[:8]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception:
        return None
    finally:
        await engine.dispose()
    return str(sa.make_url(server).set(database=name).render_as_string(hide_password=False))


async def _drop(server: str, url: str) -> None:
    name = sa.make_url(url).database
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the visits service exited with {process.returncode}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError("the visits service did not become ready")


async def run(
    *,
    visits: int,
    concurrency: list[int],
    retry_share: float,
    postgres: str | None,
    bootstrap: str,
    seed: int,
) -> dict[str, Any]:
    """Seed, start the service, drive each concurrency level with fresh visits, measure, clean up."""
    work = Path(tempfile.mkdtemp(prefix="rounds-bench-visits-"))
    url = await _throwaway_postgres(postgres) if postgres else None
    database = "postgres" if url else "sqlite"
    url = url or f"sqlite+aiosqlite:///{work / 'visits.db'}"
    await asyncio.to_thread(upgrade_head, "visits", url)
    seeded = await _seed(url, visits * len(concurrency))
    port = _free_port()
    env = {
        **os.environ,
        "ROUNDS_VISITS_DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "ROUNDS_LOG_LEVEL": "WARNING",
        "ROUNDS_VISITS_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "services.visits.main:create_app", "--host",
               "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    log = (work / "visits.log").open("wb")
    # The service in its own process, as deployed; started once, before the clock runs.
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603, ASYNC220
    base_url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        await _wait_ready(base_url, process)
        for level_index, level in enumerate(concurrency):
            batch = seeded[level_index * visits : (level_index + 1) * visits]
            row = await _drive(base_url, batch, level, retry_share, seed + level_index)
            row["drained_s"] = await _drained_after(url)
            rows.append(row)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        if database == "postgres" and postgres:
            await _drop(postgres, url)
    return {
        "benchmark": "visits telemetry ingest",
        "database": database,
        "records_per_visit": RECORDS_PER_VISIT,
        "retry_share": retry_share,
        "machine": machine_facts(),
        "ran_at": datetime.now(UTC).isoformat(),
        "levels": rows,
    }


def _table(result: dict[str, Any]) -> Table:
    table = Table(title=f"visits telemetry ingest ({result['database']}, direct to the service)")
    for column in ("concurrency", "requests", "accepted", "replayed", "errors", "records/s",
                   "p50 ms", "p95 ms", "p99 ms", "drained s"):  # fmt: skip
        table.add_column(column, justify="right")
    for row in result["levels"]:
        table.add_row(
            *(str(row[key]) for key in ("concurrency", "requests", "accepted", "replayed", "errors")),
            str(row["records_per_s"]),
            str(row["p50_ms"]),
            str(row["p95_ms"]),
            str(row["p99_ms"]),
            str(row["drained_s"]),
        )
    return table


def register(app: typer.Typer) -> None:
    """Add ``rounds bench visits``."""

    @app.command("visits")
    def bench_visits(
        visits: Annotated[
            int, typer.Option(min=1, help="visits per concurrency level (4 records each)")
        ] = 500,
        concurrency: Annotated[
            str, typer.Option(help="comma-separated concurrent apps per level")
        ] = "4,16,64",
        retry_share: Annotated[float, typer.Option(min=0, max=1, help="share of records sent twice")] = 0.1,
        postgres: Annotated[
            str | None, typer.Option(help="Postgres server URL for a throwaway database; 'none' for SQLite")
        ] = LOCAL_POSTGRES,
        seed: Annotated[int, typer.Option()] = 7,
        out: Annotated[Path, typer.Option(help="where to write the JSON")] = Path("bench-visits.json"),
    ) -> None:
        """Telemetry ingest into the visits service: records/s, latency p50/p95/p99, outbox drain."""
        levels = [int(part) for part in concurrency.split(",") if part.strip()]
        if not levels or any(level < 1 for level in levels):
            raise typer.BadParameter("concurrency is a list of positive integers, e.g. 4,16,64")
        server = None if postgres in (None, "none") else postgres
        console = Console()
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        broker = None if bootstrap else EmbeddedBroker().start()
        try:
            with Progress(console=console, transient=True) as progress:
                progress.add_task(
                    f"posting {visits * RECORDS_PER_VISIT} records x {len(levels)} levels", total=None
                )
                result = asyncio.run(
                    run(
                        visits=visits,
                        concurrency=levels,
                        retry_share=retry_share,
                        postgres=server,
                        bootstrap=bootstrap or (broker.bootstrap_servers if broker else ""),
                        seed=seed,
                    )
                )
        finally:
            if broker is not None:
                broker.stop()
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        console.print(_table(result))
        console.print(f"JSON written to {out}")

    @app.command("visits-monitor")
    def bench_visits_monitor(
        visits: Annotated[str, typer.Option(help="comma-separated wave sizes")] = "500,2000",
        replicas: Annotated[int, typer.Option(min=1, max=8, help="monitors racing on one database")] = 2,
        batch_size: Annotated[int, typer.Option(min=1)] = 200,
        postgres: Annotated[
            str | None, typer.Option(help="Postgres server URL for a throwaway database; 'none' for SQLite")
        ] = LOCAL_POSTGRES,
        out: Annotated[Path, typer.Option(help="where to write the JSON")] = Path(
            "bench-visits-monitor.json"
        ),
    ) -> None:
        """A wave of visits crossing their late threshold at once: seconds until every one is raised once."""
        sizes = [int(part) for part in visits.split(",") if part.strip()]
        server = None if postgres in (None, "none") else postgres
        console = Console()
        results = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("monitor waves", total=len(sizes))
            for size in sizes:
                results.append(
                    asyncio.run(
                        monitor_wave(visits=size, replicas=replicas, postgres=server, batch_size=batch_size)
                    )
                )
                progress.advance(task)
        out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        table = Table(title=f"visits monitor: a wave crossing the late threshold ({results[0]['database']})")
        for column in ("visits", "replicas", "raised", "stored", "events", "seconds", "conditions/s"):
            table.add_column(column, justify="right")
        for r in results:
            table.add_row(
                str(r["visits"]), str(r["replicas"]), str(sum(r["raised_per_replica"])),
                str(r["conditions_stored"]), str(r["late_events"]), str(r["seconds"]),
                str(r["conditions_per_s"]),
            )  # fmt: skip
        console.print(table)
        console.print(f"JSON written to {out}")


__all__ = ["UUID", "date", "register", "run"]


# --- the monitor under a wave ----------------------------------------------------------------------


def _unit_of_work_factory(sessions: Any, clock: Any) -> Callable[[], VisitsUnitOfWork]:
    return lambda: VisitsUnitOfWork(sessions, clock, source="/rounds/bench")


async def monitor_wave(
    *, visits: int, replicas: int, postgres: str | None, batch_size: int
) -> dict[str, Any]:
    """``visits`` visits whose late threshold passes at the same instant (the 08:00 wave): how long
    ``replicas`` monitors racing take to raise every ``late`` once, with its event in the outbox."""
    from rounds.infra.clock import FrozenClock
    from services.visits.adapters import tables as t
    from services.visits.runner import Monitor

    work = Path(tempfile.mkdtemp(prefix="rounds-bench-monitor-"))
    url = await _throwaway_postgres(postgres) if postgres else None
    database = "postgres" if url else "sqlite"
    url = url or f"sqlite+aiosqlite:///{work / 'visits.db'}"
    await asyncio.to_thread(upgrade_head, "visits", url)
    seeded = await _seed(url, visits)
    deadline = max(v.planned_start for v in seeded) + timedelta(minutes=15)
    engines = [create_engine(url) for _ in range(replicas)]
    clock = FrozenClock(deadline)
    monitors = [
        Monitor(
            _unit_of_work_factory(create_sessions(engine), clock),
            VisitsUnitOfWork.defaults,
            poll_seconds=0.5,
            batch_size=batch_size,
            replica=f"replica-{i}",
        )
        for i, engine in enumerate(engines)
    ]
    try:
        started = time.perf_counter()
        counts = await asyncio.gather(*(m.run_once() for m in monitors))
        seconds = time.perf_counter() - started
        async with engines[0].connect() as conn:
            stored = int(await conn.scalar(sa.select(sa.func.count()).select_from(t.conditions)) or 0)
            announced = int(
                await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(outbox)
                    .where(outbox.c.type == "rounds.visit.late.v1")
                )
                or 0
            )
    finally:
        for engine in engines:
            await engine.dispose()
        if database == "postgres" and postgres:
            await _drop(postgres, url)
    return {
        "benchmark": "visits monitor wave",
        "database": database,
        "visits": visits,
        "replicas": replicas,
        "batch_size": batch_size,
        "raised_per_replica": counts,
        "conditions_stored": stored,
        "late_events": announced,
        "seconds": round(seconds, 3),
        "conditions_per_s": round(sum(counts) / seconds, 1) if seconds else 0.0,
        "machine": machine_facts(),
        "ran_at": datetime.now(UTC).isoformat(),
    }
