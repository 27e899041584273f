"""The processes ``rounds bench ingest`` measures: the visits service and the gateway, as ``rounds up``
starts them, a bare FastAPI endpoint, and what reached the telemetry topic.

The services run as ``rounds serve <name>`` children with the environment :mod:`rounds.embedded.plan`
gives them under ``rounds up`` (so the gateway routes to this run's visits service, consumes the topics
for webhooks, and is its own token issuer with the key in this run's data folder).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from rounds.auth.issuer import SigningKey, load_or_create_signing_key
from rounds.bench.visits import LOCAL_POSTGRES, _drop, _throwaway_postgres
from rounds.embedded import processes
from rounds.embedded.plan import BOOTSTRAP_ENV, cli_command, component_env
from rounds.embedded.ports import find_free_port
from rounds.infra.kafka import ensure_topics
from rounds.infra.migrations import upgrade_head
from rounds.infra.topology import load_topology

TELEMETRY_TOPIC = "rounds.visits.telemetry"
#: The events one accepted record announces, one each (conditions it raises or resolves come on top).
RECORD_EVENTS = frozenset(
    {"rounds.visit.checked_in.v1", "rounds.visit.task_recorded.v1", "rounds.visit.checked_out.v1"}
)


@dataclass
class Platform:
    """The visits service and the gateway of one benchmark run, and where their data lives."""

    database: str
    visits_db: str
    gateway_url: str
    visits_url: str
    key: SigningKey
    bootstrap: str
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)


async def _database(database: str, work: Path, name: str, created: list[str]) -> str:
    """A fresh database for one component: a file under ``work``, or a throwaway Postgres database."""
    if database == "sqlite":
        return f"sqlite+aiosqlite:///{work / f'{name}.db'}"
    url = await _throwaway_postgres(LOCAL_POSTGRES)
    if url is None:
        raise RuntimeError(f"no Postgres answers at {LOCAL_POSTGRES}; run with --database sqlite")
    created.append(url)
    return url


async def wait_answering(base_url: str, path: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll ``base_url + path`` until it answers 200; RuntimeError when the process dies or time is up."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{base_url} exited with {process.returncode} before answering {path}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(path)).status_code == 200:
                    return
            await asyncio.sleep(0.3)
    raise RuntimeError(f"{base_url}{path} did not answer 200 within {timeout:g} s")


@contextlib.asynccontextmanager
async def platform(database: str, bootstrap: str, work: Path) -> AsyncIterator[Platform]:
    """The visits service and the gateway running on ``database`` against ``bootstrap``; stopped after."""
    created: list[str] = []
    children: list[subprocess.Popen[bytes]] = []
    try:
        visits_db = await _database(database, work, "visits", created)
        gateway_db = await _database(database, work, "gateway", created)
        await asyncio.to_thread(upgrade_head, "visits", visits_db)
        # The topics exist before the first record, as after `rounds up`'s first publish.
        await ensure_topics(bootstrap, load_topology().topics)
        visits_port = find_free_port()
        ports = {"visits": visits_port, "gateway": find_free_port(exclude=frozenset({visits_port}))}
        common = {
            **os.environ,
            "ROUNDS_DATA_DIR": str(work),
            BOOTSTRAP_ENV: bootstrap,
            "PYTHONUNBUFFERED": "1",
            # One log line per request would be measured too; the platform logs warnings only here.
            "ROUNDS_LOG_LEVEL": "WARNING",
            "ROUNDS_VISITS_DATABASE_URL": visits_db,
            "ROUNDS_GATEWAY_DATABASE_URL": gateway_db,
        }
        key = load_or_create_signing_key(work)  # the gateway's built-in issuer reads the same key
        for name in ("visits", "gateway"):
            env = component_env(name, ports, common)
            command = cli_command(sys.executable, "serve", name)
            children.append(processes.spawn(command, env=env, log_path=work / f"{name}.log"))
        visits_url = f"http://127.0.0.1:{ports['visits']}"
        gateway_url = f"http://127.0.0.1:{ports['gateway']}"
        await wait_answering(visits_url, "/readyz", children[0], 90)
        # The gateway's /readyz asks every service; only visits runs here, so it is asked if it is up.
        await wait_answering(gateway_url, "/healthz", children[1], 90)
        yield Platform(database, visits_db, gateway_url, visits_url, key, bootstrap, children)
    finally:
        for child in reversed(children):
            processes.stop(child, 10)
        for url in created:
            await _drop(LOCAL_POSTGRES, url)


@contextlib.asynccontextmanager
async def bare_endpoint(work: Path) -> AsyncIterator[tuple[str, int]]:
    """The bare FastAPI app of :mod:`rounds.bench._ingest_bare` served by uvicorn in a child: URL, pid."""
    port = find_free_port()
    app = "rounds.bench._ingest_bare:create_app"
    command = [sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1", "--port",
               str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    env = dict(os.environ)
    child = processes.spawn(command, env=env, log_path=work / "bare.log")
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_answering(url, "/healthz", child, 60)
        yield url, child.pid
    finally:
        processes.stop(child, 10)


class TopicCount:
    """Reads the telemetry topic as it grows and counts the record events it carries, by ``record_id``."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        self.seen: dict[str, int] = {}
        self.by_type: dict[str, int] = {}
        self.value_bytes: list[int] = []
        self._partitions: list[TopicPartition] = []

    async def start(self) -> None:
        """Connect and read from the start of every partition of the topic."""
        await self._consumer.start()
        await self._consumer.topics()  # the cluster's metadata, so the topic's partitions are known
        partitions = self._consumer.partitions_for_topic(TELEMETRY_TOPIC) or set()
        if not partitions:
            raise RuntimeError(f"{TELEMETRY_TOPIC} has no partitions on the broker: nothing could be counted")
        self._partitions = [TopicPartition(TELEMETRY_TOPIC, p) for p in sorted(partitions)]
        self._consumer.assign(self._partitions)
        await self._consumer.seek_to_beginning(*self._partitions)

    async def stop(self) -> None:
        """Disconnect."""
        await self._consumer.stop()

    async def catch_up(self, timeout: float = 60.0) -> None:
        """Read until every partition's position reaches the end offset it has now."""
        ends = await self._consumer.end_offsets(self._partitions)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            behind = [tp for tp in self._partitions if await self._consumer.position(tp) < ends[tp]]
            if not behind:
                return
            batches = await self._consumer.getmany(*behind, timeout_ms=500, max_records=5000)
            for messages in batches.values():
                for message in messages:
                    self._note(message.headers, message.value)
        raise RuntimeError(f"the telemetry topic was not read to its end within {timeout:g} s")

    def _note(self, headers: Any, value: bytes | None) -> None:
        kind = next((v.decode() for k, v in headers if k == "ce_type"), "")
        self.by_type[kind] = self.by_type.get(kind, 0) + 1
        if kind in RECORD_EVENTS and value is not None:
            record_id = str(json.loads(value).get("record_id"))
            self.seen[record_id] = self.seen.get(record_id, 0) + 1
            self.value_bytes.append(len(value))


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far, from /proc (None where there is no /proc).

    Per event, it says what each process costs whatever else the machine is doing: on a shared machine
    the wall-clock rate says how busy the neighbours were, the CPU per event what ours would do alone.
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields 14 and 15 of proc(5) (utime, stime), counted after the ")" that ends the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used by named processes (and this one, the client) between two readings."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self._pids = {name: pid for name, pid in pids.items() if pid is not None}
        self._before = self._now()

    def _now(self) -> dict[str, float]:
        used = {"client": time.process_time()}
        for name, pid in self._pids.items():
            used[name] = cpu_seconds(pid) or 0.0
        return used

    def per_event(self, events: int) -> dict[str, float]:
        """Milliseconds of CPU per event of each process since the meter was made."""
        now = self._now()
        return {name: round(1000 * (now[name] - self._before[name]) / max(1, events), 3) for name in now}


async def drained(platform_: Platform, timeout: float = 120.0) -> float:
    """Seconds until the visits outbox has nothing left to publish (NaN when it never empties)."""
    from rounds.bench.visits import _drained_after

    return await _drained_after(platform_.visits_db, timeout)
