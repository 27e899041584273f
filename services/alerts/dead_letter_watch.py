"""The dead-letter watcher: an operations alert for every message a service gave up on.

EventConsumer dead-letters a message that keeps failing to its service's ``rounds.<service>.dlq`` and
moves on, so the partition keeps flowing; this makes sure somebody hears of it. It reads every
dead-letter topic of the topology in a consumer group of its own, as raw records (they are other
services' events, often ones the alerts service does not consume, and some are not CloudEvents at
all), and for each stores one operations alert keyed by the message's original topic, partition and
offset, then queues a message to the operator (ROUNDS_ALERTS_OPERATOR_PHONE / _EMAIL) through the
same notifications table and dispatcher as every other message, so retries and leases apply. A
redelivered dead letter finds its alert and does nothing. Offsets are committed after the alert's
transaction, so a crash redelivers rather than loses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError
from sqlalchemy.exc import IntegrityError

from rounds.infra.clock import Clock
from rounds.infra.consumer import group_consumer, stop_quietly
from rounds.infra.db import is_database_outage
from rounds.infra.topology import load_topology
from services.alerts import handlers
from services.alerts.domain.dead_letters import DeadLetter, dead_letter_from
from services.alerts.domain.recipients import ChannelName, Recipient, RecipientKind
from services.alerts.settings import AlertsSettings
from services.alerts.unit_of_work import AlertsUnitOfWork

log = logging.getLogger(__name__)

_MAX_OUTAGE_WAIT_SECONDS = 10.0


def dead_letter_topics() -> frozenset[str]:
    """Every service's dead-letter topic, as the topology declares them."""
    return frozenset(t.name for t in load_topology().topics if t.name.endswith(".dlq"))


def operator_from(settings: AlertsSettings) -> Recipient | None:
    """The operator as a recipient (SMS first when both are set), or None when none is configured."""
    if not (settings.operator_phone or settings.operator_email):
        return None
    return Recipient(
        kind=RecipientKind.MANAGER,
        id="operations",
        name="Operations",
        preferred_channel=ChannelName.SMS if settings.operator_phone else ChannelName.EMAIL,
        phone=settings.operator_phone,
        email=settings.operator_email,
    )


async def record_dead_letter(
    uow: AlertsUnitOfWork, letter: DeadLetter, operator: Recipient | None, clock: Clock
) -> bool:
    """Store the operations alert and queue the operator's message; False when it was already there."""
    if await uow.dead_letters.find(letter.original_topic, letter.original_partition, letter.original_offset):
        return False
    now = clock.now()
    await uow.dead_letters.add(letter, now)
    if operator is not None:
        values: dict[str, Any] = {
            "service": letter.service,
            "consumer": letter.consumer,
            "event_type": letter.event_type or "a message",
            "topic": letter.original_topic,
            "partition": letter.original_partition,
            "offset": letter.original_offset,
            # One SMS is short: the first line of the error says what broke, the list has the rest.
            "error": letter.error.splitlines()[0][:200],
            "dead_letter_topic": letter.dead_letter_topic,
        }
        await handlers.queue_notification(
            uow,
            operator,
            None,
            "dead_letter",
            values,
            f"dead-letter:{letter.key}:operator",
            None,
            letter.dead_lettered_at,
            now,
            uow.policy,
            urgent=True,  # an operator is told at once, whatever the hour
        )
    await uow.commit()
    return True


class DeadLetterWatcher:
    """Reads the dead-letter topics until cancelled (the alerts runtime starts it with the runner)."""

    def __init__(
        self,
        settings: AlertsSettings,
        unit_of_work: Callable[[], AlertsUnitOfWork],
        clock: Clock,
        operator: Recipient | None,
    ) -> None:
        self._settings = settings
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._operator = operator
        self.group_id = settings.dead_letter_group
        self.topics = dead_letter_topics()
        self.assigned = False

    async def run(self) -> None:
        """Consume forever, reconnecting while the broker is away."""
        while True:
            consumer = self._new_consumer()
            try:
                await consumer.start()
                await self._consume(consumer)
            except (KafkaError, OSError) as exc:
                log.warning("dead-letter watcher lost the broker, reconnecting: %r", exc)
                await asyncio.sleep(1.0)
            finally:
                self.assigned = False
                await stop_quietly(consumer)

    def _new_consumer(self) -> AIOKafkaConsumer:
        # A new installation reports what is still kept on the topics (30 days), once each.
        return group_consumer(self._settings, self.topics, self.group_id)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            self.assigned = bool(consumer.assignment())
            for partition, records in batches.items():
                for record in records:
                    await self.process(record)
                await consumer.commit({partition: records[-1].offset + 1})

    async def process(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """One dead-letter record: True when it made a new operations alert.

        A database outage is waited out (the alert must not be lost); any other failure is logged and
        the record skipped, since there is nowhere further to dead-letter it; the Prometheus alert on
        the dead-letter counter still fires.
        """
        letter = dead_letter_from(
            record.topic,
            record.partition,
            record.offset,
            record.timestamp,
            list(record.headers or []),
            self._clock.now(),
        )
        wait = 0.5
        while True:
            try:
                async with self._unit_of_work() as uow:
                    stored = await record_dead_letter(uow, letter, self._operator, self._clock)
            except IntegrityError:
                # Another replica stored it in the same moment (a rebalance redelivered the batch).
                return False
            except Exception as exc:
                if not is_database_outage(exc):
                    log.exception("could not record the dead letter %s", letter.key)
                    return False
                log.warning("dead-letter watcher waiting for the database: %r", exc)
                await asyncio.sleep(wait)
                wait = min(wait * 2, _MAX_OUTAGE_WAIT_SECONDS)
                continue
            if stored:
                log.error(
                    "dead letter from %s: %s %s[%d]@%d: %s",
                    letter.consumer,
                    letter.event_type or "a message",
                    letter.original_topic,
                    letter.original_partition,
                    letter.original_offset,
                    letter.error,
                )
            return stored
