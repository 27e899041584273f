"""The processes ``rounds bench alert-latency`` measures, the people events alerts needs, and the figures
read back from the two databases.

The visits and alerts services run as ``rounds serve <name>`` children with the environment
:mod:`rounds.embedded.plan` gives them under ``rounds up``. Workers and the on-call roster reach alerts
as they do in production: ``rounds.worker.registered.v1`` and ``rounds.oncall.shift.scheduled.v1`` on
people's topics.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition

from rounds.bench._alert_latency_day import LOCALITIES, TIME_ZONE, Worker
from rounds.bench._ingest_platform import _database, wait_answering
from rounds.bench.visits import LOCAL_POSTGRES, _drop
from rounds.contracts.people import OnCallShiftScheduled, WorkerRegistered
from rounds.embedded import processes
from rounds.embedded.plan import BOOTSTRAP_ENV, cli_command, component_env
from rounds.embedded.ports import find_free_port
from rounds.infra.cloudevents import Envelope
from rounds.infra.db import create_engine
from rounds.infra.kafka import KafkaPublisher, ensure_topics
from rounds.infra.migrations import upgrade_head
from rounds.infra.settings import PlatformSettings
from rounds.infra.topology import load_topology
from services.alerts.adapters import tables as a
from services.visits.adapters import tables as v

SERVICES = ("visits", "alerts")


@dataclass
class Platform:
    """The two services of one run and their databases."""

    database: str
    visits_db: str
    alerts_db: str
    bootstrap: str
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)


async def _groups_from_now(bootstrap: str) -> None:
    """Commit the services' consumer groups at the current ends of their topics.

    On a broker with history (a shared test broker, a cluster named by KAFKA_BOOTSTRAP_SERVERS) the
    services would first work through every event earlier runs left: this run measures its own.
    """
    from services.alerts.consumers import subscriptions as alerts_subscriptions
    from services.visits.consumers import subscriptions as visits_subscriptions

    topics = {"rounds.alerts": alerts_subscriptions.topics, "rounds.visits": visits_subscriptions.topics}
    for group, names in topics.items():
        probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await probe.start()
        try:
            await probe.topics()
            partitions = [
                TopicPartition(topic, p) for topic in names for p in probe.partitions_for_topic(topic) or ()
            ]
            ends = await probe.end_offsets(partitions)
            if ends:
                probe.assign(partitions)
                await probe.commit(dict(ends))
        finally:
            await probe.stop()


@contextlib.asynccontextmanager
async def platform(database: str, bootstrap: str, work: Path) -> AsyncIterator[Platform]:
    """Fresh databases (migrated), the topics, and visits and alerts running; stopped and dropped after.

    The services start only when the body calls :func:`start`, so that the day can be seeded first.
    """
    created: list[str] = []
    run = Platform(database, "", "", bootstrap)
    try:
        run.visits_db = await _database(database, work, "visits", created)
        run.alerts_db = await _database(database, work, "alerts", created)
        for name, url in (("visits", run.visits_db), ("alerts", run.alerts_db)):
            await asyncio.to_thread(upgrade_head, name, url)
        await ensure_topics(bootstrap, load_topology().topics)
        await _groups_from_now(bootstrap)
        yield run
    finally:
        for child in reversed(list(run.children.values())):
            processes.stop(child, 10)
        for url in created:
            await _drop(LOCAL_POSTGRES, url)


async def start(run: Platform, work: Path) -> None:
    """``rounds serve visits`` and ``rounds serve alerts``, as ``rounds up`` starts them; ready after."""
    first = find_free_port()
    ports = {"visits": first, "alerts": find_free_port(exclude=frozenset({first}))}
    common = {
        **os.environ,
        "ROUNDS_DATA_DIR": str(work),
        BOOTSTRAP_ENV: run.bootstrap,
        "PYTHONUNBUFFERED": "1",
        # A log line per event would be measured too: warnings only, as the other benchmarks.
        "ROUNDS_LOG_LEVEL": "WARNING",
        "ROUNDS_VISITS_DATABASE_URL": run.visits_db,
        "ROUNDS_ALERTS_DATABASE_URL": run.alerts_db,
    }
    for name in SERVICES:
        env = component_env(name, ports, common)
        run.children[name] = processes.spawn(
            cli_command(sys.executable, "serve", name), env=env, log_path=work / f"{name}.log"
        )
    for name in SERVICES:
        await wait_answering(f"http://127.0.0.1:{ports[name]}", "/readyz", run.children[name], 120)


def people_events(workers: Sequence[Worker], now: datetime) -> list[Envelope]:
    """Each worker registered, and a level-1 and a level-2 manager on call all day in each locality."""
    events: list[WorkerRegistered | OnCallShiftScheduled] = [
        WorkerRegistered(
            worker_id=w.worker_id,
            given_name="Worker",
            family_name=str(w.index),
            role="care_worker",
            locality=w.locality,
            languages=["en"],
        )
        for w in workers
    ]
    for locality in LOCALITIES:
        for level in (1, 2):
            events.append(
                OnCallShiftScheduled(
                    shift_id=uuid4(),
                    version=1,
                    locality=locality,
                    level=level,
                    worker_id=uuid4(),
                    worker_name=f"{locality} manager {level}",
                    role="care_manager",
                    contact_phone="+447700900000",
                    starts_at=now - timedelta(hours=12),
                    ends_at=now + timedelta(hours=12),
                    time_zone=TIME_ZONE,
                )
            )
    return [
        Envelope.wrap(e, source="/rounds/people", time=datetime.now(UTC), trace_headers={}) for e in events
    ]


async def publish(bootstrap: str, envelopes: Sequence[Envelope]) -> None:
    """Send ``envelopes`` as people's publisher would, in batches of 500."""
    publisher = KafkaPublisher(PlatformSettings(kafka_bootstrap_servers=bootstrap), client_id="bench.people")
    try:
        for first in range(0, len(envelopes), 500):
            await publisher.send_batch([e.to_kafka() for e in envelopes[first : first + 500]])
    finally:
        await publisher.close()


async def known_to_alerts(url: str) -> tuple[int, int]:
    """Workers and on-call shifts the alerts service has stored."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            workers = await conn.scalar(sa.select(sa.func.count()).select_from(a.known_workers))
            shifts = await conn.scalar(sa.select(sa.func.count()).select_from(a.on_call_shifts))
    finally:
        await engine.dispose()
    return int(workers or 0), int(shifts or 0)


@dataclass(frozen=True)
class Paged:
    """Per visit, the instants of its alert's stages (None: not reached yet)."""

    stored: dict[UUID, datetime]
    dispatched: dict[UUID, datetime]
    alerts: dict[UUID, int]
    notifications: dict[UUID, int]


async def paged(url: str, kind: str, visit_ids: set[UUID]) -> Paged:
    """For each visit in ``visit_ids``: when its ``kind`` condition reached an alert (the timeline step
    that raised the alert or raised its severity for it), and when the owner's notification queued in
    that same transaction was handed to its channel; how many alerts and such notifications it got."""
    engine = create_engine(url)
    stored: dict[UUID, datetime] = {}
    dispatched: dict[UUID, datetime] = {}
    alert_count: dict[UUID, int] = {}
    sent_count: dict[UUID, int] = {}
    try:
        async with engine.connect() as conn:
            held = (
                await conn.execute(
                    sa.select(a.alert_conditions.c.alert_id, a.alert_conditions.c.visit_id).where(
                        a.alert_conditions.c.kind == kind
                    )
                )
            ).all()
            alert_of: dict[UUID, UUID] = {}
            for alert_id, visit_id in held:
                if visit_id in visit_ids:
                    alert_count[visit_id] = alert_count.get(visit_id, 0) + 1
                    alert_of[alert_id] = visit_id
            steps = (
                await conn.execute(
                    sa.select(a.alert_timeline.c.alert_id, a.alert_timeline.c.at, a.alert_timeline.c.detail)
                    .where(a.alert_timeline.c.action.in_(("raised", "severity_raised")))
                    .order_by(a.alert_timeline.c.id)
                )
            ).all()
            for alert_id, at, detail in steps:
                visit_id = alert_of.get(alert_id)
                if visit_id is not None and (detail or {}).get("kind") == kind and visit_id not in stored:
                    stored[visit_id] = at
            sends = (
                await conn.execute(
                    sa.select(
                        a.notifications.c.alert_id, a.notifications.c.created_at, a.notifications.c.sent_at
                    ).where(
                        a.notifications.c.message_kind == "alert_raised",
                        a.notifications.c.recipient_kind == "manager",
                        a.notifications.c.sent_at.is_not(None),
                    )
                )
            ).all()
            for alert_id, created_at, sent_at in sends:
                visit_id = alert_of.get(alert_id)
                if visit_id is not None and created_at == stored.get(visit_id):
                    dispatched[visit_id] = sent_at
                    sent_count[visit_id] = sent_count.get(visit_id, 0) + 1
    finally:
        await engine.dispose()
    return Paged(stored, dispatched, alert_count, sent_count)


async def detected(url: str, condition: str, visit_ids: set[UUID]) -> dict[UUID, tuple[datetime, datetime]]:
    """For each visit: the threshold the monitor recorded for ``condition`` and when it raised it."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        v.conditions.c.visit_id, v.conditions.c.deadline, v.conditions.c.raised_at
                    ).where(v.conditions.c.condition == condition)
                )
            ).all()
    finally:
        await engine.dispose()
    return {row.visit_id: (row.deadline, row.raised_at) for row in rows if row.visit_id in visit_ids}


def cpu_of(run: Platform) -> dict[str, Any]:
    """The children's process ids, for the CPU meter."""
    return {name: child.pid for name, child in run.children.items()}
