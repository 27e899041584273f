"""The two ceilings ``rounds bench ingest`` holds the gateway against, measured flat out.

* a bare FastAPI endpoint (:mod:`rounds.bench._ingest_bare`, uvicorn in a child process) sent the
  same record body, with a bearer header of the same size, through the same client;
* raw aiokafka produce of the telemetry events' size to the same broker, configured as the platform's
  publisher (:class:`rounds.infra.kafka.KafkaPublisher`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from rounds.bench._ingest_load import Outcome, clients, flat_out, load_average, summary
from rounds.bench._ingest_platform import CpuMeter, bare_endpoint
from rounds.infra.kafka import ensure_topics
from rounds.infra.topology import TopicSpec, load_topology

BENCH_TOPIC = "rounds.bench.ingest"
WHERE = {"method": "gps", "position": {"lat": 54.0, "lon": -1.5, "accuracy_m": 10}}


def record_body(kind: str, record_id: str) -> dict[str, Any]:
    """A record as the app sends it, stamped with the device's now (a check-out must follow its check-in)."""
    stamp = {"record_id": record_id, "occurred_at": datetime.now(UTC).isoformat()}
    if kind == "tasks":
        return {**stamp, "task": "medication", "outcome": "done"}
    return {**stamp, **WHERE}


async def bare_ceiling(
    work: Path, seconds: float, concurrency: int, connections: int, pids: dict[str, int | None]
) -> dict[str, Any]:
    """The bare endpoint flat out for ``seconds``, ``concurrency`` requests at a time: its figures."""
    # The same header weight as the gateway's requests: a bearer token the bare endpoint ignores.
    headers = {"authorization": "Bearer " + "x" * 560}
    async with (
        bare_endpoint(work) as (url, bare_pid),
        clients(url, min(concurrency, connections)) as client,
    ):

        async def send() -> int:
            body = record_body("check-in", str(uuid4()))
            return (await client.post(f"/visits/{uuid4()}/check-in", json=body, headers=headers)).status_code

        load_before = load_average()
        meter = CpuMeter({**pids, "bare": bare_pid})
        outcome = await flat_out(send, seconds, concurrency)
        figures = summary(outcome, frozenset({202}))
        figures["cpu_ms_per_event"] = meter.per_event(figures["accepted"])
    return {**figures, "load_before": load_before, "load_after": load_average()}


async def kafka_ceiling(
    bootstrap: str, seconds: float, concurrency: int, value_bytes: int, pids: dict[str, int | None]
) -> dict[str, Any]:
    """Raw produce of ``value_bytes`` events flat out for ``seconds``, ``concurrency`` in flight."""
    telemetry = next(t for t in load_topology().topics if t.name == "rounds.visits.telemetry")
    await ensure_topics(
        bootstrap, [TopicSpec(BENCH_TOPIC, telemetry.partitions, 3_600_000, "visit_id", "bench")]
    )
    # As the platform's publisher (rounds.infra.kafka.KafkaPublisher) configures its producer.
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=5,
        request_timeout_ms=10_000,
        max_batch_size=1_048_576,
    )
    await producer.start()
    value = b"x" * value_bytes
    headers = [("ce_type", b"rounds.visit.checked_in.v1"), ("content-type", b"application/json")]

    async def send() -> int:
        future = await producer.send(BENCH_TOPIC, value=value, key=str(uuid4()).encode(), headers=headers)
        await future
        return 200

    try:
        load_before = load_average()
        meter = CpuMeter(pids)
        outcome: Outcome = await flat_out(send, seconds, concurrency)
        figures = summary(outcome, frozenset({200}))
        figures["cpu_ms_per_event"] = meter.per_event(figures["accepted"])
    finally:
        await producer.stop()
    return {
        **figures,
        "value_bytes": value_bytes,
        "load_before": load_before,
        "load_after": load_average(),
    }
