"""The proving flow through the whole platform, started by ``rounds up`` on Postgres and a real broker.

A worker registered through the gateway (people) leaves through the outbox as
``rounds.worker.registered.v1``; rota consumes it into its read model; the gateway's rota route shows
it. One trace spans every hop; a second delivery has no second effect; and a write made while the
broker is down reaches rota once the broker is back.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.engine import make_url

from rounds.auth.issuer import load_or_create_signing_key, mint_token
from rounds.embedded.broker import EmbeddedBroker
from rounds.embedded.ports import find_free_port
from rounds.infra.db import create_engine
from rounds.infra.topology import SERVICE_NAMES
from tests.integration.kit import eventually, read_topic

pytestmark = pytest.mark.e2e

WORKER = {"given_name": "Asha", "family_name": "Patel", "role": "care_worker", "locality": "Harrogate"}


@dataclass
class Platform:
    """A running ``rounds up`` and what the test needs to look inside it."""

    gateway: str
    broker: EmbeddedBroker
    databases: dict[str, str]
    trace_file: Path
    process: subprocess.Popen[bytes]
    log: Path
    # A registered manager's bearer token from the gateway's built-in issuer (key in the data folder).
    auth: dict[str, str]

    def spans(self) -> list[dict[str, Any]]:
        if not self.trace_file.exists():
            return []
        return [json.loads(line) for line in self.trace_file.read_text().splitlines() if line.strip()]


@pytest.fixture
def platform_databases(postgres_server: str) -> Iterator[dict[str, str]]:
    """One throwaway Postgres database per service (``rounds migrate`` creates them)."""
    prefix = f"rounds_e2e_{uuid.uuid4().hex[:8]}"
    base = make_url(postgres_server)
    urls = {
        name: base.set(database=f"{prefix}_{name}").render_as_string(hide_password=False)
        for name in SERVICE_NAMES
    }
    yield urls
    asyncio.run(_drop_databases(postgres_server, [f"{prefix}_{name}" for name in SERVICE_NAMES]))


async def _drop_databases(admin_url: str, names: list[str]) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        for name in names:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
async def platform(
    tmp_path: Path, stoppable_broker: EmbeddedBroker, platform_databases: dict[str, str]
) -> AsyncIterator[Platform]:
    gateway_port = find_free_port()
    service_ports = {name: find_free_port(exclude=frozenset({gateway_port})) for name in SERVICE_NAMES}
    trace_file = tmp_path / "traces.jsonl"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stoppable_broker.bootstrap_servers,
        "ROUNDS_KAFKA_SESSION_TIMEOUT_MS": "3000",
        "ROUNDS_TRACE_FILE": str(trace_file),
        **{f"ROUNDS_{name.upper()}_DATABASE_URL": url for name, url in platform_databases.items()},
    }
    command = [sys.executable, "-m", "rounds.cli", "up", "--data-dir", str(tmp_path / "data")]
    command += ["--gateway-port", str(gateway_port)]
    for name, port in service_ports.items():
        command += ["--service-port", f"{name}={port}"]
    log = tmp_path / "rounds-up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    gateway = f"http://127.0.0.1:{gateway_port}"
    try:
        await _wait_until_ready(gateway, process, log)
        key = load_or_create_signing_key(tmp_path / "data")
        auth = {"Authorization": f"Bearer {mint_token(key, subject='e2e', role='registered_manager')}"}
        yield Platform(gateway, stoppable_broker, platform_databases, trace_file, process, log, auth)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


async def _wait_until_ready(gateway: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient(timeout=3) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"rounds up exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if (await client.get(f"{gateway}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    pytest.fail(f"the platform was not ready within 120 s:\n{log.read_text()[-3000:]}")


async def _rota_has(client: httpx.AsyncClient, worker_id: str) -> bool:
    return (await client.get(f"/v1/rota/workers/{worker_id}")).status_code == 200


async def _inbox_count(database_url: str, event_id: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            count = await conn.scalar(
                sa.text("SELECT count(*) FROM inbox WHERE event_id = :id"), {"id": event_id}
            )
    finally:
        await engine.dispose()
    return int(count or 0)


async def test_a_registered_worker_reaches_the_rota_in_one_trace_and_once_only(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=10, headers=platform.auth) as client:
        response = await client.post("/v1/people/workers", json=WORKER)
        assert response.status_code == 201, response.text
        worker_id = response.json()["id"]

        await eventually(lambda: _rota_has(client, worker_id), timeout=60)
        rota_view = (await client.get(f"/v1/rota/workers/{worker_id}")).json()
        assert (rota_view["given_name"], rota_view["locality"]) == ("Asha", "Harrogate")

        # One trace: gateway -> people -> outbox relay -> Kafka -> rota's consumer.
        gateway_span = next(
            s
            for s in platform.spans()
            if s["service"] == "rounds-gateway" and s["kind"] == "SERVER" and "POST" in s["name"]
        )
        in_trace = [s for s in platform.spans() if s["trace_id"] == gateway_span["trace_id"]]
        hops = {(s["service"], s["kind"]) for s in in_trace}
        assert {
            ("rounds-gateway", "SERVER"),
            ("rounds-people", "SERVER"),
            ("rounds-people", "PRODUCER"),
            ("rounds-rota", "CONSUMER"),
        } <= hops

        # Deliver the same event a second time: rota processes it once.
        (record,) = await read_topic(platform.broker.bootstrap_servers, "rounds.people.workers", expected=1)
        event_id = dict(record.headers)["ce_id"].decode()
        producer = AIOKafkaProducer(bootstrap_servers=platform.broker.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
        finally:
            await producer.stop()

        def consumer_spans() -> list[dict[str, Any]]:
            return [
                s
                for s in platform.spans()
                if s["service"] == "rounds-rota"
                and s["kind"] == "CONSUMER"
                and s["attributes"].get("messaging.message.id") == event_id
            ]

        async def delivered_twice() -> bool:
            return len(consumer_spans()) == 2

        await eventually(delivered_twice, timeout=30)
        assert await _inbox_count(platform.databases["rota"], event_id) == 1
        workers = (await client.get("/v1/rota/workers")).json()
        assert [w["id"] for w in workers] == [worker_id]


async def test_a_worker_registered_while_the_broker_is_down_reaches_the_rota_after_it_returns(
    platform: Platform,
) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=10, headers=platform.auth) as client:
        await platform.broker.stop_async()
        response = await client.post("/v1/people/workers", json={**WORKER, "given_name": "Ben"})
        assert response.status_code == 201, (
            "writes must be accepted while Kafka is down (the outbox holds them)"
        )
        worker_id = response.json()["id"]
        await asyncio.sleep(2)
        assert not await _rota_has(client, worker_id)

        await platform.broker.start_async()
        await eventually(lambda: _rota_has(client, worker_id), timeout=90)
        assert (await client.get("/readyz")).status_code == 200
