"""Fault tests: break the broker, the database and the consumers on purpose, then count.

Every test counts events in and effects out: an effect row per handled event, written in the same
transaction as the consumer's inbox row, so a lost event is a missing row and a duplicated effect
is a second one (issue 12; architecture.md: at-least-once delivery, exactly-once effect).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from rounds.embedded.ports import find_free_port
from rounds.infra.kafka import ensure_topics
from rounds.infra.migrations import upgrade_head
from rounds.infra.topology import TopicSpec
from tests.integration.kit import Harness, create_tables, effects, eventually
from tests.reliability.faults import REPO_ROOT, ConsumerProcess, CuttableLink, PrivatePostgres

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = float(os.environ.get("ROUNDS_FAULT_OUTAGE_SECONDS", "30"))


async def _consumed(harness: Harness) -> list[str]:
    """Notes the consumers have recorded (the writer's own rows start with ``written:``)."""
    async with harness.unit_of_work() as uow:
        rows = await uow.session.scalars(
            sa.select(effects.c.note).where(~effects.c.note.startswith("written:"))
        )
        return list(rows.all())


async def _write(harness: Harness, notes: list[str]) -> None:
    """One transaction: a state change and one event per note, each keyed by its own individual."""
    async with harness.unit_of_work() as uow:
        for note in notes:
            await uow.record_effect(f"written:{note}")
            uow.publish(harness.event_class(subject_id=f"individual-{note}", note=note))
        await uow.commit()


async def _drain_outbox(harness: Harness) -> None:
    while await harness.relay.publish_batch():
        pass


@pytest.fixture
async def pg_harness(postgres_database: str, kafka_bootstrap: str) -> AsyncIterator[Harness]:
    await create_tables(postgres_database)
    h = Harness(postgres_database, kafka_bootstrap)
    yield h
    await h.close()


async def test_a_consumer_killed_mid_batch_loses_nothing_and_repeats_no_effect(
    pg_harness: Harness, postgres_database: str, kafka_bootstrap: str
) -> None:
    notes = [f"n{i:04d}" for i in range(400)]
    for start in range(0, len(notes), 100):
        await _write(pg_harness, notes[start : start + 100])
    await _drain_outbox(pg_harness)

    group = f"fault-{uuid.uuid4().hex[:8]}"
    first = ConsumerProcess(postgres_database, kafka_bootstrap, pg_harness.topic, group, delay_ms=10).start()
    try:
        await eventually(lambda: _has_at_least(pg_harness, 60, first), timeout=60)
    finally:
        first.kill()
    handled_before_kill = len(await _consumed(pg_harness))
    assert handled_before_kill < len(notes), "the kill must land before the consumer has finished"

    second = ConsumerProcess(postgres_database, kafka_bootstrap, pg_harness.topic, group, delay_ms=0).start()
    try:
        await eventually(lambda: _has_at_least(pg_harness, len(notes), second), timeout=90)
        await asyncio.sleep(2)  # give a duplicate time to show
    finally:
        second.stop()
    consumed = await _consumed(pg_harness)
    assert sorted(consumed) == notes  # every event once: none lost, none twice


async def _has_at_least(harness: Harness, count: int, *processes: ConsumerProcess) -> bool:
    for process in processes:
        if (failure := process.failure()) is not None:
            raise AssertionError(f"a consumer process died: {failure}")
    return len(await _consumed(harness)) >= count


async def test_two_replicas_through_a_rebalance_have_one_effect_per_event(
    pg_harness: Harness, postgres_database: str, kafka_bootstrap: str
) -> None:
    await ensure_topics(
        kafka_bootstrap, [TopicSpec(pg_harness.topic, 4, 3_600_000, key="subject_id", producer="test")]
    )
    group = f"fault-{uuid.uuid4().hex[:8]}"
    notes = [f"r{i:04d}" for i in range(300)]
    replica_a = ConsumerProcess(
        postgres_database, kafka_bootstrap, pg_harness.topic, group, delay_ms=5
    ).start()
    replica_b = ConsumerProcess(postgres_database, kafka_bootstrap, pg_harness.topic, group, delay_ms=5)
    try:
        for index, start in enumerate(range(0, len(notes), 30)):
            await _write(pg_harness, notes[start : start + 30])
            await _drain_outbox(pg_harness)
            if index == 3:
                replica_b.start()  # a second replica joins mid-stream: the group rebalances
            if index == 7:
                replica_a.kill()  # and the first dies without leaving: rebalanced again
            await asyncio.sleep(0.5)
        await eventually(lambda: _has_at_least(pg_harness, len(notes)), timeout=90)
        await asyncio.sleep(2)
    finally:
        replica_a.stop()
        replica_b.stop()
    assert sorted(await _consumed(pg_harness)) == notes


async def test_a_broker_outage_under_steady_load_loses_nothing(
    postgres_database: str, tmp_path: Path
) -> None:
    await create_tables(postgres_database)
    link = await CuttableLink(tmp_path).start()
    harness = Harness(postgres_database, link.bootstrap)
    relay = asyncio.create_task(harness.relay.run())
    consumer = asyncio.create_task(harness.consumer().run())
    written: list[str] = []
    accepted_while_cut = 0

    async def steady_writer() -> None:
        nonlocal accepted_while_cut
        for i in range(10_000):
            note = f"s{i:05d}"
            await _write(harness, [note])  # the write is accepted whatever the broker is doing
            written.append(note)
            accepted_while_cut += not link.connected
            await asyncio.sleep(0.05)

    writer = asyncio.create_task(steady_writer())
    try:
        await eventually(lambda: _has_at_least(harness, 20), timeout=60)
        link.cut()
        await asyncio.sleep(OUTAGE_SECONDS)
        assert await harness.unpublished() > 0, "writes during the outage wait in the outbox"
        link.restore()
        await asyncio.sleep(3)
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        total = len(written)
        await eventually(lambda: _has_at_least(harness, total), timeout=120)
        await asyncio.sleep(2)
        assert await harness.unpublished() == 0, "the backlog drains"
        consumed = await _consumed(harness)
    finally:
        writer.cancel()
        for task in (relay, consumer):
            task.cancel()
        await asyncio.gather(writer, relay, consumer, return_exceptions=True)
        await harness.close()
        await link.stop()
    assert accepted_while_cut >= OUTAGE_SECONDS * 10  # about 20 a second kept being accepted
    assert sorted(consumed) == sorted(written)


async def test_a_database_restart_fails_requests_cleanly_and_recovers_without_a_service_restart(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    postgres = PrivatePostgres().init()
    service: subprocess.Popen[bytes] | None = None
    try:
        database_url = postgres.url.rsplit("/", 1)[0] + "/people"
        await asyncio.to_thread(upgrade_head, "people", database_url)
        port = find_free_port()
        service = subprocess.Popen(
            [sys.executable, "-m", "rounds.cli", "serve", "people"],
            cwd=REPO_ROOT,
            env={
                **os.environ,
                "ROUNDS_PEOPLE_DATABASE_URL": database_url,
                "ROUNDS_PEOPLE_PORT": str(port),
                "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                "ROUNDS_DATA_DIR": str(tmp_path / "data"),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as people:
            await eventually(lambda: _status_is(people, "/readyz", 200), timeout=60)
            before = await people.post("/workers", json=_worker("Before"))
            assert before.status_code == 201

            postgres.stop()
            await eventually(lambda: _status_is(people, "/readyz", 503), timeout=30)
            readiness = (await people.get("/readyz")).json()
            assert readiness["checks"]["database"] != "ok"
            during = await people.post("/workers", json=_worker("During"))
            listing = await people.get("/workers")
            for response in (during, listing):
                assert response.status_code == 503
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["detail"]

            postgres.start()
            await eventually(lambda: _status_is(people, "/readyz", 200), timeout=60)
            after = await people.post("/workers", json=_worker("After"))
            assert after.status_code == 201
            names = {worker["given_name"] for worker in (await people.get("/workers")).json()}
        assert service.poll() is None, "the service recovered by itself, without a restart"
        assert names == {"Before", "After"}  # nothing lost, and the refused write left nothing behind
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=15)
        postgres.destroy()


def _worker(given_name: str) -> dict[str, object]:
    return {"given_name": given_name, "family_name": "Tester", "role": "care_worker", "locality": "Harrogate"}


async def _status_is(client: httpx.AsyncClient, path: str, status: int) -> bool:
    try:
        return (await client.get(path)).status_code == status
    except httpx.TransportError:
        return False
