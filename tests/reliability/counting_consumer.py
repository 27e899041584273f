"""A consumer process for the fault tests: the platform's real EventConsumer, one effect row per event.

Run as ``python -m tests.reliability.counting_consumer DATABASE_URL BOOTSTRAP TOPIC GROUP DELAY_MS``.
Each handled event inserts one row in the same transaction as its inbox row, so a lost event shows
as a missing row and a duplicated effect as a second row. ``DELAY_MS`` slows each event so that a
SIGKILL lands in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import EventConsumer
from rounds.infra.kafka import KafkaPublisher
from tests.integration.kit import Harness, KitSettings, KitUnitOfWork, probe_event_class, subscriptions_for


async def main(database_url: str, bootstrap: str, topic: str, group: str, delay_ms: int) -> None:
    """Consume ``topic`` until killed."""
    harness = Harness(database_url, bootstrap)
    harness.event_class = probe_event_class(topic)
    settings = KitSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        kafka_session_timeout_ms=3000,
        consumer_max_attempts=3,
    )

    async def record_slowly(event: Any, envelope: Envelope, uow: KitUnitOfWork) -> None:
        await asyncio.sleep(delay_ms / 1000)
        await uow.record_effect(event.note)

    consumer = EventConsumer(
        settings,
        subscriptions_for(harness.event_class, record_slowly),
        harness.unit_of_work,
        KafkaPublisher(settings, client_id=f"rounds.{group}.dlq"),
        harness.dead_letter_topic,
    )
    consumer.group_id = f"rounds.{group}"  # a group of the test's own on the shared broker
    await consumer.run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    url, servers, topic_name, group_name, delay = sys.argv[1:6]
    asyncio.run(main(url, servers, topic_name, group_name, int(delay)))
