"""``rounds bench alerts``: alert latency through the real broker, event published -> stored -> dispatched.

The alerts service runs in this process as in production (consumer, outbox relay, escalation and
dispatch runner) on SQLite or a throwaway Postgres database (``--postgres``), against a real
Kafka-protocol broker (``KAFKA_BOOTSTRAP_SERVERS``, else the embedded tansu broker). It publishes
``--visits`` missed-visit events at ``--rate`` per second, each for a different worker (so each is its
own alert) in one locality with a manager on call, and measures from the database, per alert:

* ``stored``: from the event's publication (its CloudEvents time) to the alert stored;
* ``dispatched``: from the event's publication to the on-call manager's notification handed over
  (the log channel here, so the figure is the platform's own latency, not an SMS provider's).

Run it with ``uv run python -m services.alerts.bench`` (or ``rounds bench alerts`` once a module in
``rounds/bench`` imports :func:`register`). Prints a table and writes JSON with the machine's facts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from uuid import uuid4

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from rounds.bench._machine import machine_facts
from rounds.contracts.visits import VisitMissed
from rounds.embedded.broker import EmbeddedBroker
from rounds.infra.cloudevents import Envelope
from rounds.infra.db import create_engine
from rounds.infra.kafka import KafkaPublisher
from rounds.infra.migrations import upgrade_head
from services.alerts.adapters.tables import alerts, notifications
from services.alerts.main import AlertsRuntime
from services.alerts.settings import AlertsSettings

LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
LOCALITY = "Bench"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def _missed(now: datetime) -> VisitMissed:
    start = now - timedelta(minutes=45)
    worker = uuid4()
    return VisitMissed(
        visit_id=uuid4(),
        individual_id=uuid4(),
        locality=LOCALITY,
        local_date=start.date(),
        service_type="personal_care",
        planned_start=start,
        planned_end=start + timedelta(minutes=30),
        workers=[worker],
        deadline=start + timedelta(minutes=30),
        raised_at=now,
        threshold_minutes=30,
        workers_concerned=[worker],
        detail="no check-in",
    )


async def _seed_roster(runtime: AlertsRuntime, now: datetime) -> None:
    async with runtime.unit_of_work() as uow:
        for level in (1, 2):
            await uow.known.put_shift(
                {
                    "shift_id": uuid4(),
                    "version": 1,
                    "person_id": str(uuid4()),
                    "name": f"Manager {level}",
                    "locality": LOCALITY,
                    "level": level,
                    "starts_at": now - timedelta(hours=1),
                    "ends_at": now + timedelta(hours=12),
                    "phone": None,
                    "email": None,
                    "preferred_channel": "log",
                    "active": True,
                }
            )
        await uow.commit()


async def _counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            stored = await conn.scalar(sa.select(sa.func.count()).select_from(alerts))
            sent = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(notifications)
                .where(notifications.c.message_kind == "alert_raised", notifications.c.sent_at.is_not(None))
            )
    finally:
        await engine.dispose()
    return int(stored or 0), int(sent or 0)


async def _latencies(url: str) -> tuple[list[float], list[float]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            stored = [
                (raised - source).total_seconds()
                for raised, source in (
                    await conn.execute(sa.select(alerts.c.raised_at, alerts.c.source_time))
                ).all()
            ]
            sent = [
                (sent_at - source).total_seconds()
                for sent_at, source in (
                    await conn.execute(
                        sa.select(notifications.c.sent_at, notifications.c.source_time).where(
                            notifications.c.message_kind == "alert_raised",
                            notifications.c.sent_at.is_not(None),
                        )
                    )
                ).all()
            ]
    finally:
        await engine.dispose()
    return stored, sent


async def _run(url: str, bootstrap: str, visits: int, rate: float) -> dict[str, Any]:
    await asyncio.to_thread(upgrade_head, "alerts", url)
    settings = AlertsSettings(
        database_url=url,
        kafka_bootstrap_servers=bootstrap,
        kafka_session_timeout_ms=3000,
        runner_interval_seconds=0.05,
        log_level="WARNING",
    )
    runtime = AlertsRuntime(settings)
    publisher = KafkaPublisher(settings, client_id="bench.visits")
    await _seed_roster(runtime, datetime.now(UTC))
    await runtime.start()
    try:
        async with asyncio.timeout(60):
            while not runtime.consumer.assigned:  # noqa: ASYNC110 - a flag, not an event
                await asyncio.sleep(0.1)
        began = time.perf_counter()
        with Progress() as progress:
            publishing = progress.add_task("missed visits published", total=visits)
            for index in range(visits):
                envelope = Envelope.wrap(
                    _missed(datetime.now(UTC)),
                    source="/rounds/bench",
                    time=datetime.now(UTC),
                    trace_headers={},
                )
                await publisher.send_batch([envelope.to_kafka()])
                progress.advance(publishing)
                pause = began + (index + 1) / rate - time.perf_counter()
                if pause > 0:
                    await asyncio.sleep(pause)
            dispatching = progress.add_task("managers paged", total=visits)
            async with asyncio.timeout(max(120.0, visits / 5)):
                while (paged := (await _counts(url))[1]) < visits:
                    progress.update(dispatching, completed=paged)
                    await asyncio.sleep(0.2)
                progress.update(dispatching, completed=paged)
        elapsed = time.perf_counter() - began
    finally:
        await publisher.close()
        await runtime.stop()
    stored, sent = await _latencies(url)
    return {
        "visits": visits,
        "rate_per_s": rate,
        "elapsed_s": round(elapsed, 2),
        "stored_s": _summary(stored),
        "dispatched_s": _summary(sent),
    }


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 3),
        "p95": round(_percentile(values, 0.95), 3),
        "p99": round(_percentile(values, 0.99), 3),
        "max": round(max(values), 3),
    }


@contextlib.contextmanager
def _broker(folder: Path) -> Iterator[str]:
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield servers
        return
    with EmbeddedBroker(log_dir=folder) as broker:
        yield broker.bootstrap_servers


async def _postgres_database() -> str:
    name = f"rounds_bench_alerts_{uuid4().hex[:8]}"
    admin = create_engine(LOCAL_POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return LOCAL_POSTGRES.rsplit("/", 1)[0] + f"/{name}"


async def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(LOCAL_POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def bench_alerts(
    visits: Annotated[int, typer.Option(min=1, help="Missed-visit events to publish.")] = 200,
    rate: Annotated[float, typer.Option(min=0.1, help="Events published per second.")] = 20.0,
    postgres: Annotated[bool, typer.Option(help="Use a throwaway database on the local Postgres.")] = False,
    output: Annotated[Path, typer.Option(help="Where to write the JSON result.")] = Path("bench-alerts.json"),
) -> None:
    """Alert latency: monitor event published -> alert stored -> on-call manager's notification sent."""
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder, _broker(Path(folder)) as bootstrap:
        url = (
            asyncio.run(_postgres_database())
            if postgres
            else f"sqlite+aiosqlite:///{Path(folder) / 'alerts.db'}"
        )
        result = asyncio.run(_run(url, bootstrap, visits, rate))
    result |= {"database": "postgres" if postgres else "sqlite", "machine": machine_facts()}
    table = Table(title=f"Alert latency, {visits} missed visits at {rate}/s on {result['database']}")
    for column in ("stage", "p50 s", "p95 s", "p99 s", "max s"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    for stage in ("stored", "dispatched"):
        figures = result[f"{stage}_s"]
        table.add_row(stage, *(f"{figures[k]:.3f}" for k in ("p50", "p95", "p99", "max")))
    Console().print(table)
    output.write_text(json.dumps(result, indent=2))
    Console().print(f"written to {output}")


def register(app: typer.Typer) -> None:
    """Add ``alerts`` to ``rounds bench``."""
    app.command("alerts")(bench_alerts)


if __name__ == "__main__":
    typer.run(bench_alerts)
