"""The platform ``rounds bench day`` runs, and what it watches while the day plays.

The visits and alerts services and the gateway run as ``rounds up`` starts them (``rounds serve <name>``
children with :func:`rounds.embedded.plan.component_env`), each on its own database, the visits
monitor's thresholds divided by the day's speed. :class:`Watch` samples, every second, each consumer
group's lag and each service's outbox backlog; :class:`EventLog` reads the topics as they grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.ext.asyncio import AsyncEngine

from rounds.auth.issuer import SigningKey, load_or_create_signing_key
from rounds.bench._ingest_platform import _database, wait_answering
from rounds.bench.visits import LOCAL_POSTGRES, _drop
from rounds.embedded import processes
from rounds.embedded.plan import BOOTSTRAP_ENV, cli_command, component_env
from rounds.embedded.ports import find_free_port
from rounds.infra.db import create_engine
from rounds.infra.kafka import ensure_topics
from rounds.infra.messaging_tables import outbox
from rounds.infra.migrations import upgrade_head
from rounds.infra.topology import load_topology

SERVICES = ("visits", "alerts")
TOPICS = ("rounds.visits.telemetry", "rounds.alerts.alerts")
#: The consumer groups the day's events flow through, the day's topics each reads, and whether a
#: partition it has not committed on counts from 0: the alerts service's new group starts at the
#: earliest offset; the gateway's webhook group at the latest, committing only where it read something.
GROUPS: dict[str, tuple[tuple[str, ...], bool]] = {
    "rounds.alerts": (("rounds.visits.telemetry",), True),
    "rounds.gateway.webhooks": (TOPICS, False),
}


@dataclass
class DayPlatform:
    """The running processes of one day and where their data lives."""

    databases: dict[str, str]
    gateway_url: str
    key: SigningKey
    bootstrap: str
    pids: dict[str, int] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def day_platform(
    database: str, bootstrap: str, work: Path, thresholds: dict[str, float]
) -> AsyncIterator[DayPlatform]:
    """Visits, alerts and the gateway on ``database`` against ``bootstrap``; stopped after."""
    created: list[str] = []
    children: list[Any] = []
    try:
        databases = {name: await _database(database, work, name, created) for name in (*SERVICES, "gateway")}
        for name in SERVICES:
            await asyncio.to_thread(upgrade_head, name, databases[name])
        await ensure_topics(bootstrap, load_topology().topics)
        ports: dict[str, int] = {}
        for name in (*SERVICES, "gateway"):
            ports[name] = find_free_port(exclude=frozenset(ports.values()))
        common = {
            **os.environ,
            "ROUNDS_DATA_DIR": str(work),
            BOOTSTRAP_ENV: bootstrap,
            "PYTHONUNBUFFERED": "1",
            "ROUNDS_LOG_LEVEL": "WARNING",  # a log line per request would be measured too
            **{f"ROUNDS_{name.upper()}_DATABASE_URL": url for name, url in databases.items()},
            # The day runs faster than the real clock the monitor reads: so do its thresholds.
            **{f"ROUNDS_VISITS_{name.upper()}_MINUTES": f"{value:.6f}" for name, value in thresholds.items()},
        }
        key = load_or_create_signing_key(work)  # the gateway's built-in issuer reads the same key
        for name in (*SERVICES, "gateway"):
            env = component_env(name, ports, common)
            command = cli_command(sys.executable, "serve", name)
            children.append(processes.spawn(command, env=env, log_path=work / f"{name}.log"))
        for name, child in zip(SERVICES, children, strict=False):
            await wait_answering(f"http://127.0.0.1:{ports[name]}", "/readyz", child, 90)
        gateway_url = f"http://127.0.0.1:{ports['gateway']}"
        await wait_answering(gateway_url, "/healthz", children[-1], 90)
        pids = {name: child.pid for name, child in zip((*SERVICES, "gateway"), children, strict=True)}
        yield DayPlatform(databases, gateway_url, key, bootstrap, pids)
    finally:
        for child in reversed(children):
            processes.stop(child, 10)
        for url in created:
            await _drop(LOCAL_POSTGRES, url)


#: The fields of an event's body the counting needs (a national day has tens of millions of events).
KEPT_FIELDS = ("record_id", "visit_id", "alert_id")


class EventLog:
    """Reads the day's topics from their start as they grow, keeping each event's type and its ids."""

    def __init__(self, bootstrap: str, topics: tuple[str, ...] = TOPICS) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        self._topics = topics
        self.partitions: list[TopicPartition] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        #: The next offset this reader will read per partition: the true end once it has caught up.
        self.read_to: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        """Connect and start at the beginning of every partition."""
        await self._consumer.start()
        await self._consumer.topics()
        for topic in self._topics:
            for p in sorted(self._consumer.partitions_for_topic(topic) or ()):
                self.partitions.append(TopicPartition(topic, p))
        self._consumer.assign(self.partitions)
        await self._consumer.seek_to_beginning(*self.partitions)

    async def stop(self) -> None:
        """Disconnect."""
        await self._consumer.stop()

    async def read(self, timeout_ms: int = 200) -> int:
        """Read what has arrived; how many events."""
        batches = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=5000)
        count = 0
        for tp, messages in batches.items():
            for message in messages:
                kind = next((v.decode() for k, v in message.headers if k == "ce_type"), "")
                body = json.loads(message.value) if message.value else {}
                self.events.append((kind, {k: body[k] for k in KEPT_FIELDS if k in body}))
                self.read_to[tp] = message.offset + 1
                count += 1
        return count

    async def catch_up(self, quiet_reads: int = 3) -> None:
        """Read until several reads in a row bring nothing (the broker's reported end can be short)."""
        quiet = 0
        while quiet < quiet_reads:
            quiet = quiet + 1 if await self.read(300) == 0 else 0

    async def end_offsets(self) -> dict[TopicPartition, int]:
        """The later of the broker's reported end and what this reader has read, per partition.

        The embedded broker can report a multi-record batch's end as its first offset + 1 (see
        ``tests/integration/kit.py``), which would under-read a lag; what was actually read cannot.
        """
        ends = await self._consumer.end_offsets(self.partitions)
        return {tp: max(ends.get(tp, 0), self.read_to.get(tp, 0)) for tp in self.partitions}


def lag(ends: dict[TopicPartition, int], committed: dict[TopicPartition, int], from_zero: bool = True) -> int:
    """Messages a group has still to read: the end minus its committed offset, per partition it reads.

    A partition the group has not committed on counts from 0 when ``from_zero`` (a new group starts
    at the earliest offset), else not at all (it starts at the latest: nothing there is owed).
    """
    return sum(
        max(0, end - committed[tp]) if tp in committed else end if from_zero else 0
        for tp, end in ends.items()
    )


class Watch:
    """Once a second: each group's lag on the day's topics, each service's outbox backlog, and more."""

    def __init__(self, platform: DayPlatform, log: EventLog, extra: dict[str, Callable[[], float]]) -> None:
        self._platform = platform
        self._log = log
        self._extra = extra
        self._admin = AIOKafkaAdminClient(bootstrap_servers=platform.bootstrap, request_timeout_ms=10_000)
        self._engines: dict[str, AsyncEngine] = {}
        self.series: dict[str, list[list[float]]] = {}
        self.started = time.perf_counter()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect and sample every second in the background."""
        await self._admin.start()
        for name in SERVICES:
            self._engines[name] = create_engine(self._platform.databases[name])
        self.started = time.perf_counter()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stop sampling and disconnect."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._admin.close()
        for engine in self._engines.values():
            await engine.dispose()

    async def backlog(self, service: str) -> int:
        """Unpublished outbox rows in a service's database."""
        async with self._engines[service].connect() as conn:
            query = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            return int(await conn.scalar(query) or 0)

    async def lags(self) -> dict[str, int]:
        """Each group's lag on the day's topics, now."""
        await self._log.read(0)
        ends = await self._log.end_offsets()
        found: dict[str, int] = {}
        for group, (topics, from_zero) in GROUPS.items():
            read = {tp: end for tp, end in ends.items() if tp.topic in topics}
            offsets = await self._admin.list_consumer_group_offsets(group, partitions=list(read))
            committed = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
            found[group] = lag(read, committed, from_zero)
        return found

    async def sample(self) -> dict[str, float]:
        """One reading of everything watched."""
        reading: dict[str, float] = {f"lag {g}": float(v) for g, v in (await self.lags()).items()}
        for service in SERVICES:
            reading[f"outbox {service}"] = float(await self.backlog(service))
        for name, read in self._extra.items():
            reading[name] = float(read())
        t = round(time.perf_counter() - self.started, 1)
        for name, value in reading.items():
            self.series.setdefault(name, []).append([t, value])
        return reading

    async def _loop(self) -> None:
        while True:
            began = time.perf_counter()
            with contextlib.suppress(Exception):  # a slow or failed reading is a gap, not a failed run
                await self.sample()
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - began)))
