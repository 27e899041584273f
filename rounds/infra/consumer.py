"""The service's Kafka consumer: decode CloudEvents, deduplicate through the inbox, call the handler.

One consumer (one group join) per service for all its topics, because the embedded broker makes
every join wait about half the session timeout. Offsets are committed after the handler's
transaction, so a crash redelivers the uncommitted batch and the inbox makes that harmless. A
message that keeps failing goes to the service's dead-letter topic with the error, and the
partition keeps flowing.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from rounds.contracts.base import Event
from rounds.infra.cloudevents import Envelope, MalformedEvent
from rounds.infra.db import is_database_outage
from rounds.infra.kafka import BrokerUnavailable, KafkaMessage, KafkaPublisher
from rounds.infra.settings import ServiceSettings
from rounds.infra.telemetry import context_from_carrier, kafka_headers_to_carrier
from rounds.infra.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
meter = metrics.get_meter(__name__)
processed_counter = meter.create_counter("rounds.consumer.processed", description="Events handled")
dead_letter_counter = meter.create_counter(
    "rounds.consumer.dead_lettered", description="Events dead-lettered"
)
# End-to-end delivery: from the event's time (its commit, with the outbox) to its handling. For the alerts
# service's group, the alert latency's first leg (a visit event to the alert stored); the dashboards use it.
event_age_histogram = meter.create_histogram(
    "rounds.consumer.event_age", unit="s", description="Seconds from an event's time to its handling"
)

U = TypeVar("U", bound=UnitOfWork)
E = TypeVar("E", bound=Event)
Handler = Callable[[Any, Envelope, U], Awaitable[None]]


@dataclass(frozen=True)
class Subscription(Generic[U]):
    """One event type and the function that handles it."""

    event_class: type[Event]
    handler: Handler[U]


class Subscriptions(Generic[U]):
    """The events a service consumes: ``@subscriptions.on(WorkerRegistered)`` on each handler."""

    def __init__(self) -> None:
        self._by_type: dict[str, Subscription[U]] = {}

    def on(
        self, event_class: type[E]
    ) -> Callable[[Callable[[E, Envelope, U], Awaitable[None]]], Callable[[E, Envelope, U], Awaitable[None]]]:
        """Register the decorated coroutine as the handler of ``event_class``."""

        def register(
            handler: Callable[[E, Envelope, U], Awaitable[None]],
        ) -> Callable[[E, Envelope, U], Awaitable[None]]:
            if event_class.type in self._by_type:
                raise ValueError(f"{event_class.type} already has a handler")
            self._by_type[event_class.type] = Subscription(event_class, handler)
            return handler

        return register

    def get(self, event_type: str) -> Subscription[U] | None:
        """The subscription for ``event_type``, if the service consumes it."""
        return self._by_type.get(event_type)

    @property
    def topics(self) -> list[str]:
        """Every topic that carries a subscribed event."""
        return sorted({s.event_class.topic for s in self._by_type.values()})


_MAX_OUTAGE_WAIT_SECONDS = 10.0
_live_consumers: weakref.WeakSet[EventConsumer[Any]] = weakref.WeakSet()


def _observe_lag(_options: Any) -> list[metrics.Observation]:
    return [
        metrics.Observation(behind, {"consumer": c.group_id, "topic": tp.topic, "partition": tp.partition})
        for c in list(_live_consumers)
        for tp, behind in c.lag.items()
    ]


meter.create_observable_gauge(
    "rounds.consumer.lag", callbacks=[_observe_lag], description="Messages behind the end of each partition"
)


class PoisonMessage(Exception):
    """A message no retry can fix (not a CloudEvent, or data that breaks its contract)."""


class EventConsumer(Generic[U]):
    """Runs the service's subscriptions against Kafka until cancelled."""

    def __init__(
        self,
        settings: ServiceSettings,
        subscriptions: Subscriptions[U],
        unit_of_work: Callable[[], U],
        publisher: KafkaPublisher,
        dead_letter_topic: str,
    ) -> None:
        self._settings = settings
        self._subscriptions = subscriptions
        self._unit_of_work = unit_of_work
        self._publisher = publisher
        self._dead_letter_topic = dead_letter_topic
        self.group_id = f"rounds.{settings.service_name}"
        self.assigned = False
        self.lag: dict[TopicPartition, int] = {}
        _live_consumers.add(self)

    @property
    def topics(self) -> frozenset[str]:
        """The topics this consumer subscribes to."""
        return frozenset(self._subscriptions.topics)

    async def run(self) -> None:
        """Consume forever, reconnecting while the broker is away."""
        if not self._subscriptions.topics:
            return
        while True:
            consumer = self._new_consumer()
            try:
                await consumer.start()
                await self._consume(consumer)
            except (KafkaError, OSError, BrokerUnavailable) as exc:
                log.warning("consumer %s lost the broker, reconnecting: %r", self.group_id, exc)
                await asyncio.sleep(1.0)
            finally:
                self.assigned = False
                await stop_quietly(consumer)

    def _new_consumer(self) -> AIOKafkaConsumer:
        return group_consumer(self._settings, self._subscriptions.topics, self.group_id)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            self.assigned = bool(consumer.assignment())
            for partition, records in batches.items():
                for record in records:
                    await self.process(record)
                await consumer.commit({partition: records[-1].offset + 1})
            await self._measure_lag(consumer)

    async def _measure_lag(self, consumer: AIOKafkaConsumer) -> None:
        lag = {}
        for partition in consumer.assignment():
            end = consumer.highwater(partition)
            if end is not None:
                lag[partition] = max(0, end - await consumer.position(partition))
        self.lag = lag

    async def process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Handle one record: exactly one effect however often it arrives, or a dead letter."""
        carrier = kafka_headers_to_carrier(record.headers or [])
        with tracer.start_as_current_span(
            f"{record.topic} process",
            context=context_from_carrier(carrier),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.consumer.group.name": self.group_id,
                "messaging.destination.name": record.topic,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
            },
        ) as span:
            try:
                envelope, event, subscription = self._decode(record)
            except PoisonMessage as exc:
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                await self._dead_letter(record, exc, attempts=1)
                return
            if subscription is None:
                return  # A type this service does not consume shares the topic.
            span.set_attribute("messaging.message.id", envelope.id)
            span.set_attribute("cloudevents.event_type", envelope.type)
            await self._handle_with_retries(record, envelope, event, subscription)

    def _decode(
        self, record: ConsumerRecord[bytes, bytes]
    ) -> tuple[Envelope, Event | None, Subscription[U] | None]:
        try:
            envelope = Envelope.from_kafka(
                topic=record.topic, key=record.key, headers=list(record.headers or []), value=record.value
            )
        except MalformedEvent as exc:
            raise PoisonMessage(str(exc)) from exc
        subscription = self._subscriptions.get(envelope.type)
        if subscription is None:
            return envelope, None, None
        try:
            event = subscription.event_class.model_validate_json(envelope.data)
        except ValidationError as exc:
            raise PoisonMessage(f"{envelope.type} does not match its contract: {exc}") from exc
        return envelope, event, subscription

    async def _handle_with_retries(
        self,
        record: ConsumerRecord[bytes, bytes],
        envelope: Envelope,
        event: Event | None,
        subscription: Subscription[U],
    ) -> None:
        attempts, attempt, outage_wait = self._settings.consumer_max_attempts, 0, 0.5
        while True:
            try:
                await self._handle_once(envelope, event, subscription)
                attributes = {"consumer": self.group_id, "type": envelope.type}
                processed_counter.add(1, attributes)
                event_age_histogram.record(
                    max(0.0, (datetime.now(UTC) - envelope.time).total_seconds()), attributes
                )
                return
            except Exception as exc:
                if is_database_outage(exc):
                    # The event is fine and the database is away: wait for it, never dead-letter.
                    log.warning("database unavailable while handling %s, waiting: %r", envelope.type, exc)
                    await asyncio.sleep(outage_wait)
                    outage_wait = min(outage_wait * 2, _MAX_OUTAGE_WAIT_SECONDS)
                    continue
                attempt += 1
                if attempt >= attempts:
                    log.exception("giving up on %s %s after %d attempts", envelope.type, envelope.id, attempt)
                    await self._dead_letter(record, exc, attempts=attempt)
                    return
                log.warning("handler for %s failed (attempt %d): %r", envelope.type, attempt, exc)
                await asyncio.sleep(0.2 * 2**attempt)

    async def _handle_once(
        self, envelope: Envelope, event: Event | None, subscription: Subscription[U]
    ) -> None:
        async with self._unit_of_work() as uow:
            if await uow.already_processed(self.group_id, envelope.id):
                return
            await subscription.handler(event, envelope, uow)
            try:
                await uow.mark_processed(self.group_id, envelope)
                await uow.commit()
            except IntegrityError:
                # Another replica handled the same event at the same moment; its effect stands.
                if await self._processed_elsewhere(envelope):
                    return
                raise

    async def _processed_elsewhere(self, envelope: Envelope) -> bool:
        async with self._unit_of_work() as uow:
            return await uow.already_processed(self.group_id, envelope.id)

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException, attempts: int
    ) -> None:
        dead_letter_counter.add(1, {"consumer": self.group_id, "topic": record.topic})
        log.error(
            "dead-lettering %s[%d]@%d to %s: %s",
            record.topic,
            record.partition,
            record.offset,
            self._dead_letter_topic,
            error,
        )
        headers = list(record.headers or []) + [
            (name, value.encode())
            for name, value in (
                ("rounds_error", str(error)[:4000]),
                ("rounds_error_type", type(error).__name__),
                ("rounds_attempts", str(attempts)),
                ("rounds_consumer", self.group_id),
                ("rounds_original_topic", record.topic),
                ("rounds_original_partition", str(record.partition)),
                ("rounds_original_offset", str(record.offset)),
            )
        ]
        key = record.key.decode("utf-8", "replace") if record.key else ""
        await self._publisher.send_batch(
            [KafkaMessage(topic=self._dead_letter_topic, key=key, value=record.value or b"", headers=headers)]
        )


def group_consumer(settings: ServiceSettings, topics: Iterable[str], group_id: str) -> AIOKafkaConsumer:
    """A consumer in ``group_id`` that commits by hand; a new group starts at the earliest offset."""
    session_timeout = settings.kafka_session_timeout_ms
    return AIOKafkaConsumer(
        *sorted(topics),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        client_id=f"{group_id}-consumer",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=session_timeout,
        heartbeat_interval_ms=max(100, session_timeout // 6),
        max_poll_records=200,
    )


async def stop_quietly(consumer: AIOKafkaConsumer) -> None:
    """Stop ``consumer``, ignoring a broker that is already gone."""
    try:
        await consumer.stop()
    except (KafkaError, OSError):
        log.debug("consumer stop failed", exc_info=True)
