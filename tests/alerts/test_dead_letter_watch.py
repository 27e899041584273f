"""A poison message through the real broker: the alerts service's consumer dead-letters it, the
dead-letter watcher stores one operations alert with the cleaned error and texts the operator once, and
a redelivered dead letter adds nothing.

That the partition keeps flowing past the poison message is tested in tests/integration/test_messaging.py
(test_poison_messages_go_to_the_dead_letter_topic_and_the_partition_keeps_flowing).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from rounds.contracts.visits import VisitMissed
from rounds.infra.clock import FrozenClock
from rounds.infra.cloudevents import Envelope
from rounds.infra.kafka import KafkaMessage, KafkaPublisher
from rounds.infra.migrations import upgrade_head
from services.alerts.dead_letter_watch import DeadLetterWatcher, record_dead_letter
from services.alerts.domain.dead_letters import dead_letter_from
from services.alerts.main import AlertsRuntime, create_app
from tests.alerts.conftest import HttpReceiver, Team, alerts_settings, condition
from tests.integration.kit import consume_from_now, eventually

pytestmark = pytest.mark.integration

OPERATOR_PHONE = "+447700900999"
# Personal data inside the poison message: it must reach neither the stored alert nor the text.
NAME_AND_ADDRESS = "Mary Jones, 1 High St"


def manager() -> dict[str, str]:
    return {"X-Rounds-Actor": json.dumps({"sub": "rm-1", "role": "registered_manager"})}


def poison(team: Team) -> KafkaMessage:
    """A VisitMissed whose visit_id is a person's name and address: valid CloudEvent, broken contract."""
    start = datetime.now(UTC) - timedelta(minutes=30)
    envelope = Envelope.wrap(
        condition(VisitMissed, team, start), source="/rounds/test", time=datetime.now(UTC), trace_headers={}
    )
    message = envelope.to_kafka()
    data = json.loads(message.value)
    data["visit_id"] = NAME_AND_ADDRESS
    return KafkaMessage(message.topic, message.key, json.dumps(data).encode(), message.headers)


async def read_at(bootstrap: str, topic: str, partition: int, offset: int) -> ConsumerRecord[bytes, bytes]:
    """The record at ``offset``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        async with asyncio.timeout(30):
            while True:
                for record in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                    if record.offset == offset:
                        return record
    finally:
        await consumer.stop()


async def test_a_poison_message_makes_one_operations_alert_and_one_text_and_a_redelivery_nothing(
    database_url: str, kafka_bootstrap: str, receiver: HttpReceiver
) -> None:
    await asyncio.to_thread(upgrade_head, "alerts", database_url)
    settings = alerts_settings(database_url, kafka_bootstrap, receiver, operator_phone=OPERATOR_PHONE)
    app = create_app(settings)
    runtime: AlertsRuntime = app.state.runtime
    watcher = runtime.dead_letter_watcher
    # Which dead-letter records the watcher handled, and whether each made a new alert.
    handled: list[tuple[int, bool]] = []
    process = watcher.process

    async def counting(record: ConsumerRecord[bytes, bytes]) -> bool:
        stored = await process(record)
        if record.topic == "rounds.alerts.dlq":
            handled.append((record.offset, stored))
        return stored

    watcher.process = counting  # type: ignore[method-assign]
    publisher = KafkaPublisher(settings, client_id="test.poison")
    team = Team(uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://alerts") as client:

        async def dead_letters(headers: dict[str, str] | None = None) -> httpx.Response:
            return await client.get("/alerts/dead-letters", headers=headers or manager())

        def texts() -> list[dict[str, Any]]:
            return [r.json() for r in receiver.to("/sms") if r.json()["to"] == OPERATOR_PHONE]

        try:
            await consume_from_now(runtime.consumer, kafka_bootstrap)
            await consume_from_now(watcher, kafka_bootstrap)  # type: ignore[arg-type]
            await runtime.start()
            await publisher.send_batch([poison(team)])

            async def alerted() -> bool:
                return bool((await dead_letters()).json()["items"]) and len(texts()) == 1

            await eventually(alerted, timeout=60)
            (alert,) = (await dead_letters()).json()["items"]
            # Redeliver the very dead letter (a rebalance, a replay by hand): same original place.
            letter = await read_at(
                kafka_bootstrap,
                alert["dead_letter_topic"],
                alert["dead_letter_partition"],
                alert["dead_letter_offset"],
            )
            await publisher.send_batch(
                [
                    KafkaMessage(
                        letter.topic, (letter.key or b"").decode(), letter.value or b"", list(letter.headers)
                    )
                ]
            )

            async def redelivery_handled() -> bool:
                return any(offset > alert["dead_letter_offset"] for offset, _ in handled)

            await eventually(redelivery_handled, timeout=30)
            await asyncio.sleep(1.0)  # a second text, if one were queued, would be sent by now
            page = (await dead_letters()).json()["items"]
            coordinator = await dead_letters(
                {
                    "X-Rounds-Actor": json.dumps(
                        {"sub": "c-1", "role": "coordinator", "localities": ["Harrogate"]}
                    )
                }
            )
        finally:
            await publisher.close()
            await runtime.stop()

    assert [stored for _, stored in handled] == [True, False]
    assert [a["id"] for a in page] == [alert["id"]]
    assert alert["service"] == "alerts"
    assert alert["consumer"] == runtime.consumer.group_id  # rounds.alerts, a group of this test's own
    assert alert["original_topic"] == VisitMissed.topic
    assert alert["event_type"] == VisitMissed.type
    assert alert["attempts"] == 1
    assert alert["error_type"] == "PoisonMessage"
    assert "visit_id" in alert["error"]
    assert len(alert["error"]) <= 500
    (text,) = texts()
    assert (
        f"{VisitMissed.topic} partition {alert['original_partition']} offset {alert['original_offset']}"
        in (text["text"])
    )
    for said in (alert["error"], text["text"], json.dumps(alert)):
        assert "Mary Jones" not in said
        assert "High St" not in said
    assert coordinator.status_code == 403


async def test_without_an_operator_contact_the_alert_is_stored_and_nobody_is_messaged(
    database_url: str, kafka_bootstrap: str, receiver: HttpReceiver
) -> None:
    await asyncio.to_thread(upgrade_head, "alerts", database_url)
    settings = alerts_settings(database_url, kafka_bootstrap, receiver)
    app = create_app(settings, clock=FrozenClock(datetime(2026, 3, 29, 7, 30, tzinfo=UTC)))
    runtime: AlertsRuntime = app.state.runtime
    watcher = DeadLetterWatcher(settings, runtime.unit_of_work, runtime.clock, operator=None)
    # A record on a dead-letter topic without the consumer's headers: known by its own place.
    letter = dead_letter_from(
        "rounds.visits.dlq", 0, 41, None, [("ce_type", b"rounds.visit.late.v1")], runtime.clock.now()
    )
    try:
        async with runtime.unit_of_work() as uow:
            first = await record_dead_letter(uow, letter, None, runtime.clock)
        async with runtime.unit_of_work() as uow:
            again = await record_dead_letter(uow, letter, None, runtime.clock)
            stored = await uow.dead_letters.page(None, 10)
            queued = await uow.notifications.due(runtime.clock.now() + timedelta(days=1), 10)
    finally:
        await runtime.stop()

    assert (first, again) == (True, False)
    (alert,) = stored
    assert (alert.service, alert.consumer) == ("visits", "rounds.visits")
    assert (alert.original_topic, alert.original_partition, alert.original_offset) == (
        "rounds.visits.dlq",
        0,
        41,
    )
    assert alert.error == "no error was recorded with the message"
    assert queued == []
    assert watcher.topics == {
        f"rounds.{s}.dlq" for s in ("people", "rota", "visits", "supervision", "alerts")
    }
