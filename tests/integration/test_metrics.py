"""The operational measures the platform exports: outbox backlog and consumer lag."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from rounds.infra import consumer as consumer_module
from rounds.infra import outbox_relay as relay_module
from tests.integration.kit import Harness, run_consumer_until

pytestmark = pytest.mark.integration


def backlog(reader: InMemoryMetricReader, harness: Harness) -> list[Any]:
    """The backlog this harness's relay reports (other tests' relays may still be alive)."""
    points = gauge_points(reader, "rounds.outbox.backlog")
    return [p.value for p in points if p.attributes["relay"] == harness.relay.name]


def gauge_points(reader: InMemoryMetricReader, name: str) -> list[Any]:
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


async def test_the_outbox_backlog_and_the_consumer_lag_are_measured(harness: Harness) -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    # The gauges are module level (one per process); register their callbacks on a provider we can read.
    meter = provider.get_meter("test")
    meter.create_observable_gauge("rounds.outbox.backlog", callbacks=[relay_module._observe_backlog])
    meter.create_observable_gauge("rounds.consumer.lag", callbacks=[consumer_module._observe_lag])

    await harness.write("one", "two", "three")
    await harness.relay._check_backlog()
    assert backlog(reader, harness) == [3]

    await harness.relay.publish_batch()
    harness.relay._last_backlog_check = 0.0
    await harness.relay._check_backlog()
    assert backlog(reader, harness) == [0]

    consumer = harness.consumer()

    async def caught_up() -> bool:
        return bool(consumer.lag) and sum(consumer.lag.values()) == 0

    await run_consumer_until(consumer, caught_up)
    lag = [p for p in gauge_points(reader, "rounds.consumer.lag") if p.attributes["topic"] == harness.topic]
    assert lag
    assert {p.value for p in lag} == {0}
    await asyncio.sleep(0)
