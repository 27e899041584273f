"""The embedded broker against a real Kafka client: produce, consume, and come back after an outage."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from rounds.embedded.broker import EmbeddedBroker

pytestmark = pytest.mark.integration


async def _round_trip(bootstrap_servers: str, value: bytes) -> bytes:
    """Produce ``value`` to a new topic and read it back through a consumer group."""
    topic = f"test.embedded.{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"visit-1")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        message = await consumer.getone()
        await consumer.commit()
    finally:
        await consumer.stop()
    assert message.key == b"visit-1"
    return bytes(message.value)


@pytest.mark.timeout(60)
async def test_broker_round_trips_a_message_and_comes_back_empty_on_the_same_port(
    broker: EmbeddedBroker,
) -> None:
    port = broker.port

    assert await _round_trip(broker.bootstrap_servers, b"before the outage") == b"before the outage"

    await broker.stop_async()
    assert not broker.is_running
    await broker.start_async()

    assert broker.port == port
    assert broker.bootstrap_servers == f"127.0.0.1:{port}"
    assert await _round_trip(broker.bootstrap_servers, b"after the outage") == b"after the outage"
