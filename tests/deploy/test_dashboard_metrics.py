"""The measures the dashboards chart are recorded with the labels they group by.

Visit status counts come from ``rounds.outbox.published`` by event type; alert latency from
``rounds.consumer.event_age`` (an event's time to its handling) by consumer group and type.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from rounds.infra import consumer as consumer_module
from rounds.infra import outbox_relay as relay_module
from tests.integration.kit import Harness, create_tables, run_consumer_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def harness(database_url: str, kafka_bootstrap: str) -> AsyncIterator[Harness]:
    """The platform's outbox relay and consumer on a fresh database and the session's broker."""
    await create_tables(database_url)
    h = Harness(database_url, kafka_bootstrap)
    yield h
    await h.close()


def _points(reader: InMemoryMetricReader, name: str) -> list[Any]:
    data = reader.get_metrics_data()
    assert data is not None
    return [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


async def test_published_events_are_counted_by_type_and_handled_ones_timed(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    # The instruments are module level, on the process's global provider; record on one we can read.
    monkeypatch.setattr(relay_module, "published_counter", meter.create_counter("rounds.outbox.published"))
    monkeypatch.setattr(
        consumer_module,
        "event_age_histogram",
        meter.create_histogram("rounds.consumer.event_age", unit="s"),
    )
    event_type = harness.event_class.type

    written = await harness.write("one", "two", "three")
    assert await harness.relay.publish_batch() == 3
    consumer = harness.consumer()

    async def all_handled() -> bool:
        handled: int = sum(point.count for point in _points(reader, "rounds.consumer.event_age"))
        return handled == 3

    await run_consumer_until(consumer, all_handled)

    (published,) = _points(reader, "rounds.outbox.published")
    assert published.attributes == {"type": event_type}
    assert published.value == 3
    (age,) = _points(reader, "rounds.consumer.event_age")
    assert age.attributes == {"consumer": consumer.group_id, "type": event_type}
    assert age.count == 3
    # Between zero and the time since the first event was written, not an epoch or a negative clock skew.
    assert 0 <= age.min <= age.max < 60, (age.min, age.max, written[0].time)
