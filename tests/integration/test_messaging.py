"""Outbox, inbox, dead letters and trace propagation against a real broker, on SQLite and Postgres."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rounds.embedded.broker import EmbeddedBroker
from rounds.infra.clock import SystemClock
from rounds.infra.cloudevents import Envelope
from rounds.infra.kafka import BrokerUnavailable
from rounds.infra.messaging_tables import inbox, outbox
from tests.integration.kit import (
    Harness,
    KitUnitOfWork,
    count_effects,
    create_tables,
    eventually,
    read_for,
    read_topic,
    run_consumer_until,
)

pytestmark = pytest.mark.integration


async def test_event_and_state_change_commit_together_or_not_at_all(harness: Harness) -> None:
    async with harness.unit_of_work() as uow:
        await uow.record_effect("abandoned")
        uow.publish(harness.event("abandoned"))
        # Leaving without commit: neither the effect nor the event may survive.
    await harness.write("kept")

    assert await count_effects(harness.unit_of_work()) == ["written:kept"]
    async with harness.sessions() as session:
        types = (await session.scalars(sa.select(outbox.c.type))).all()
    assert types == [harness.event_class.type]


async def test_relay_publishes_cloudevents_in_order_with_trace_context(
    harness: Harness, kafka_bootstrap: str
) -> None:
    envelopes = await harness.write("first", "second", "third")
    assert await harness.relay.publish_batch() == 3
    assert await harness.unpublished() == 0

    records = await read_topic(kafka_bootstrap, harness.topic, expected=3)
    headers = [dict(record.headers) for record in records]
    assert [h["ce_id"].decode() for h in headers] == [e.id for e in envelopes]
    assert {h["ce_specversion"] for h in headers} == {b"1.0"}
    assert {h["ce_type"].decode() for h in headers} == {harness.event_class.type}
    assert all("ce_time" in h and "ce_source" in h for h in headers)
    assert all("traceparent" in h for h in headers)
    assert {record.key for record in records} == {b"individual-1"}


async def test_writes_while_the_broker_is_down_are_published_once_it_is_back(
    database_url: str, stoppable_broker: EmbeddedBroker
) -> None:
    await create_tables(database_url)
    harness = Harness(database_url, stoppable_broker.bootstrap_servers)
    try:
        stoppable_broker.stop()
        await harness.write(*[f"note-{i}" for i in range(20)])
        with pytest.raises(BrokerUnavailable):
            await harness.relay.publish_batch()
        assert await harness.unpublished() == 20, "nothing may be lost or marked sent while Kafka is down"

        relay = asyncio.create_task(harness.relay.run())
        await asyncio.sleep(1.0)
        await stoppable_broker.start_async()
        await eventually(lambda: _is_zero(harness.unpublished()), timeout=60)
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)

        records = await read_topic(stoppable_broker.bootstrap_servers, harness.topic, expected=20)
        assert [r.value for r in records] == [
            harness.event(f"note-{i}").model_dump_json().encode() for i in range(20)
        ]
    finally:
        await harness.close()


async def _is_zero(count: Any) -> bool:
    return await count == 0


async def test_a_duplicate_delivery_has_one_effect(harness: Harness, kafka_bootstrap: str) -> None:
    (envelope,) = [
        Envelope.wrap(harness.event("once"), source="/test", time=SystemClock().now(), trace_headers={})
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for _ in range(2):
            message = envelope.to_kafka()
            await producer.send_and_wait(
                message.topic, message.value, key=message.key.encode(), headers=message.headers
            )
        await producer.send_and_wait(
            *_as_args(
                Envelope.wrap(
                    harness.event("after"), source="/test", time=SystemClock().now(), trace_headers={}
                )
            )
        )
    finally:
        await producer.stop()

    async def both_handled() -> bool:
        return "after" in await count_effects(harness.unit_of_work())

    await run_consumer_until(harness.consumer(), both_handled)
    assert await count_effects(harness.unit_of_work()) == ["once", "after"]
    async with harness.sessions() as session:
        seen = (
            await session.scalars(sa.select(inbox.c.event_id).where(inbox.c.event_id == envelope.id))
        ).all()
    assert seen == [envelope.id]


def _as_args(envelope: Envelope) -> tuple[Any, ...]:
    message = envelope.to_kafka()
    return (message.topic, message.value, message.key.encode(), None, None, message.headers)


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_partition_keeps_flowing(
    harness: Harness, kafka_bootstrap: str
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    good = Envelope.wrap(harness.event("good"), source="/test", time=SystemClock().now(), trace_headers={})
    broken_contract = Envelope.wrap(
        harness.event("x"), source="/test", time=SystemClock().now(), trace_headers={}
    )
    try:
        await producer.send_and_wait(harness.topic, b"not a cloud event", key=b"individual-1")
        bad = broken_contract.to_kafka()
        await producer.send_and_wait(
            harness.topic, b'{"subject_id": 7}', key=b"individual-1", headers=bad.headers
        )
        await producer.send_and_wait(*_as_args(good))
    finally:
        await producer.stop()

    async def good_handled() -> bool:
        return await count_effects(harness.unit_of_work()) == ["good"]

    await run_consumer_until(harness.consumer(), good_handled)
    dead = await read_topic(kafka_bootstrap, harness.dead_letter_topic, expected=2)
    reasons = [dict(record.headers)["rounds_error"].decode() for record in dead]
    assert "missing CloudEvents headers" in reasons[0]
    assert "does not match its contract" in reasons[1]
    assert {dict(record.headers)["rounds_original_topic"] for record in dead} == {harness.topic.encode()}


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_its_retries(
    harness: Harness, kafka_bootstrap: str
) -> None:
    attempts: list[str] = []

    async def fails_on_bad(event: Any, envelope: Envelope, uow: KitUnitOfWork) -> None:
        if event.note == "bad":
            attempts.append(envelope.id)
            raise RuntimeError("the care plan it refers to does not exist")
        await uow.record_effect(event.note)

    await harness.write("bad", "fine")
    await harness.relay.publish_batch()

    async def fine_handled() -> bool:
        return "fine" in await count_effects(harness.unit_of_work())

    await run_consumer_until(harness.consumer(fails_on_bad), fine_handled)
    assert len(attempts) == harness.settings.consumer_max_attempts
    (dead,) = await read_topic(kafka_bootstrap, harness.dead_letter_topic, expected=1)
    headers = dict(dead.headers)
    assert headers["rounds_error_type"] == b"RuntimeError"
    assert headers["rounds_attempts"] == b"2"
    assert b"does not exist" in headers["rounds_error"]


async def test_one_trace_spans_the_writer_the_relay_and_the_consumer(
    harness: Harness, span_exporter: InMemorySpanExporter
) -> None:
    with trace.get_tracer("test").start_as_current_span("POST /workers") as root:
        await harness.write("traced")
    trace_id = root.get_span_context().trace_id
    await harness.relay.publish_batch()

    async def handled() -> bool:
        return "traced" in await count_effects(harness.unit_of_work())

    await run_consumer_until(harness.consumer(), handled)
    spans = [s for s in span_exporter.get_finished_spans() if s.context.trace_id == trace_id]
    kinds = {s.name: s.kind.name for s in spans}
    assert kinds[f"{harness.topic} publish"] == "PRODUCER"
    assert kinds[f"{harness.topic} process"] == "CONSUMER"
    process = next(s for s in spans if s.name.endswith("process"))
    publish = next(s for s in spans if s.name.endswith("publish"))
    assert process.parent is not None
    assert process.parent.span_id == publish.context.span_id


async def test_a_new_event_id_is_recorded_once_per_consumer(harness: Harness) -> None:
    envelope = Envelope.wrap(harness.event("n"), source="/t", time=SystemClock().now(), trace_headers={})
    async with harness.unit_of_work() as uow:
        await uow.mark_processed("rounds.rota", envelope)
        await uow.mark_processed("rounds.alerts", envelope)
        await uow.commit()
    async with harness.unit_of_work() as uow:
        assert await uow.already_processed("rounds.rota", envelope.id)
        assert not await uow.already_processed("rounds.visits", envelope.id)
        with pytest.raises(sa.exc.IntegrityError):
            await uow.mark_processed("rounds.rota", envelope)


async def test_a_database_outage_while_handling_waits_instead_of_dead_lettering(
    harness: Harness, kafka_bootstrap: str
) -> None:
    outages: list[str] = []

    async def database_away_three_times(event: Any, envelope: Envelope, uow: KitUnitOfWork) -> None:
        if len(outages) < 3:
            outages.append(envelope.id)
            raise sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("database restarting"))
        await uow.record_effect(event.note)

    await harness.write("survives")
    await harness.relay.publish_batch()

    async def handled() -> bool:
        return "survives" in await count_effects(harness.unit_of_work())

    await run_consumer_until(harness.consumer(database_away_three_times), handled)
    assert len(outages) == 3, "more outages than max attempts, yet no dead letter"
    assert await count_effects(harness.unit_of_work()) == ["written:survives", "survives"]
    assert await read_for(kafka_bootstrap, harness.dead_letter_topic, seconds=2) == []
