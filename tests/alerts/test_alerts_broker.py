"""End to end through the real broker: a missed visit pages the on-call manager once, escalates when
nobody acknowledges it, and the consenting key person (only) gets one message in their channel.

The clock is the real one here, so alert latency is real; the high-severity window is shortened to
three seconds by the provider's rule overrides so the escalation happens within the test.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from rounds.contracts.alerts import ALERTS_TOPIC
from rounds.contracts.people import KeyPersonUpdated
from rounds.contracts.visits import VisitLate, VisitMissed
from rounds.infra.cloudevents import Envelope
from rounds.infra.kafka import KafkaPublisher
from rounds.infra.migrations import upgrade_head
from services.alerts import handlers
from services.alerts.main import AlertsRuntime, create_app
from tests.alerts.conftest import HttpReceiver, Team, alerts_settings, condition, team_events
from tests.integration.kit import consume_from_now, eventually

pytestmark = pytest.mark.integration


async def alert_events(bootstrap: str, alert_id: str) -> list[str]:
    """The types of every event on the alerts topic about ``alert_id``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(ALERTS_TOPIC, p) for p in consumer.partitions_for_topic(ALERTS_TOPIC) or []
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[str] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < end for tp, end in ends.items()])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if record.key == alert_id.encode():
                        headers = dict(record.headers)
                        found.append(headers["ce_type"].decode())
        return found
    finally:
        await consumer.stop()


async def test_a_missed_visit_through_the_broker_pages_on_call_escalates_and_tells_the_consenting_family_once(
    database_url: str, kafka_bootstrap: str, receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    monkeypatch.setattr(handlers, "alert_latency", meter.create_histogram("rounds.alerts.latency", unit="s"))
    await asyncio.to_thread(upgrade_head, "alerts", database_url)
    settings = alerts_settings(database_url, kafka_bootstrap, receiver, rules={"ack_minutes": {"high": 0.05}})
    runtime: AlertsRuntime = create_app(settings).state.runtime
    team = Team(uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4())
    start = datetime.now(UTC) - timedelta(minutes=30)
    publisher = KafkaPublisher(settings, client_id="test.producers")
    # Quiet hours would make this test depend on the hour it runs at: the daughter drops hers (v2).
    no_quiet_hours = KeyPersonUpdated(
        individual_id=team.individual, key_person_id=team.daughter, version=2, given_name="Joan",
        family_name="Jones", relationship="daughter", phone="+447700900123", consent_to_be_informed=True,
        informed_of=["missed_visits"], preferred_channel="sms", language="cy",
    )  # fmt: skip

    def wrap(event: Any) -> Envelope:
        return Envelope.wrap(event, source="/rounds/test", time=datetime.now(UTC), trace_headers={})

    try:
        await consume_from_now(runtime.consumer, runtime.settings.kafka_bootstrap_servers)
        await runtime.start()
        await publisher.send_batch([wrap(e).to_kafka() for e in [*team_events(team, start), no_quiet_hours]])

        async def known() -> bool:
            async with runtime.unit_of_work() as uow:
                people = await uow.known.key_people_of(team.individual)
                shifts = await uow.known.shifts_covering("Harrogate", datetime.now(UTC))
                visit = await uow.known.visit(team.visit)
            return visit is not None and len(shifts) == 2 and {p["version"] for p in people} == {1, 2}

        await eventually(known, timeout=60)
        missed = wrap(condition(VisitMissed, team, start))
        late = wrap(condition(VisitLate, team, start))
        # Late, then missed twice (at-least-once delivery): one alert, one message to the daughter.
        await publisher.send_batch([late.to_kafka(), missed.to_kafka(), missed.to_kafka()])

        async def escalated() -> bool:
            async with runtime.unit_of_work() as uow:
                page = await uow.alerts.page(None, None, None, None, 10)
            return len(page) == 1 and page[0].level == 2 and page[0].severity == "high"

        await eventually(escalated, timeout=60)

        def texts(phone: str) -> list[dict[str, Any]]:
            return [r.json() for r in receiver.to("/sms") if r.json()["to"] == phone]

        async def paged() -> bool:
            return len(texts("+447700900888")) == 1 and len(texts("+447700900123")) == 1

        await eventually(paged, timeout=30)
        await asyncio.sleep(1.0)  # anything extra the runner might still send would show now
    finally:
        await publisher.close()
        await runtime.stop()

    assert len(texts("+447700900123")) == 1  # the consenting daughter, once, by SMS, in Welsh
    assert "ni ddigwyddodd" in texts("+447700900123")[0]["text"]
    assert texts("+447700900456") == []  # the son did not consent
    assert 1 <= len(texts("+447700900777")) <= 2  # level 1: raised (and raised again when it became high)
    assert len(texts("+447700900888")) == 1  # level 2, after nobody acknowledged

    async with runtime.unit_of_work() as uow:
        [alert] = await uow.alerts.page(None, None, None, None, 10)
        steps = [t for t in await uow.alerts.timeline(alert.id) if t.action == "escalation_step"]
    assert [s.detail["owner_id"] for s in steps[:2]] == [str(team.manager), str(team.area_manager)]
    types = await alert_events(kafka_bootstrap, str(alert.id))
    assert types[0] == "rounds.alert.raised.v1"
    assert "rounds.alert.escalated.v1" in types

    data = reader.get_metrics_data()
    assert data is not None
    points = {
        point.attributes["stage"]: point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "rounds.alerts.latency"
        for point in metric.data.data_points
    }
    assert points["stored"].count == 1
    assert points["dispatched"].count >= 3
    assert 0 < points["stored"].sum < 60  # seconds from the monitor's event to the alert stored
    assert set(points) == {"stored", "dispatched"}
