"""The relay: publishes committed outbox rows to Kafka in order, in batches, and survives broker outages."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
import zlib
from collections import Counter
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rounds.infra.clock import Clock
from rounds.infra.cloudevents import Envelope
from rounds.infra.kafka import BrokerUnavailable, KafkaMessage, KafkaPublisher
from rounds.infra.messaging_tables import outbox
from rounds.infra.telemetry import context_from_carrier, inject_traceparent

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
meter = metrics.get_meter(__name__)
published_counter = meter.create_counter("rounds.outbox.published", description="Events relayed to Kafka")
_BACKLOG_EVERY_SECONDS = 10.0

# Only one relay per database publishes at a time (Postgres advisory lock), so that events keep
# their commit order when several replicas of a service run.
_RELAY_LOCK_ID = zlib.crc32(b"rounds-outbox-relay")
_MAX_BACKOFF_SECONDS = 10.0
_PURGE_EVERY_SECONDS = 300.0


_live_relays: weakref.WeakSet[OutboxRelay] = weakref.WeakSet()


def _observe_backlog(_options: Any) -> list[metrics.Observation]:
    return [metrics.Observation(relay.last_backlog, {"relay": relay.name}) for relay in list(_live_relays)]


meter.create_observable_gauge(
    "rounds.outbox.backlog",
    callbacks=[_observe_backlog],
    description="Committed events not yet published, as of the relay's last check",
)


class OutboxRelay:
    """Moves outbox rows to Kafka: ``wake()`` after a commit, or it polls every ``poll_seconds``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: KafkaPublisher,
        clock: Clock,
        *,
        batch_size: int,
        poll_seconds: float,
        retention: timedelta,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._clock = clock
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._retention = retention
        self._wake = asyncio.Event()
        self._last_purge = time.monotonic()
        self._last_backlog_check = 0.0
        self.last_backlog = 0
        self.healthy = False
        self.name = publisher.client_id
        _live_relays.add(self)

    def wake(self) -> None:
        """Tell the relay that new rows were committed."""
        self._wake.set()

    async def run(self) -> None:
        """Relay forever; broker failures back off and retry, nothing is dropped."""
        backoff = 0.2
        while True:
            await self._check_backlog()
            try:
                # Connecting creates the declared topics, so they exist before anyone needs them.
                await self._publisher.producer()
                published = await self.publish_batch()
                self.healthy = True
                backoff = 0.2
            except BrokerUnavailable as exc:
                if self.healthy:
                    log.warning("outbox relay paused, broker unavailable: %s", exc)
                self.healthy = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
                continue
            if published < self._batch_size:
                await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
        except TimeoutError:
            if time.monotonic() - self._last_purge > _PURGE_EVERY_SECONDS:
                await self.purge_published()
        self._wake.clear()

    async def publish_batch(self) -> int:
        """Publish the oldest unpublished rows; returns how many went out."""
        # Polling would make a trace of its own every half second; only the publish spans matter.
        with suppress_instrumentation():
            return await self._publish_batch()

    async def _publish_batch(self) -> int:
        async with self._sessions() as session, session.begin():
            if not await _hold_relay_lock(session):
                return 0
            rows = (
                await session.execute(
                    sa.select(outbox)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.position)
                    .limit(self._batch_size)
                )
            ).all()
            if not rows:
                return 0
            await self._publisher.send_batch([_message(row._mapping) for row in rows])
            await session.execute(
                sa.update(outbox)
                .where(outbox.c.position.in_([row.position for row in rows]))
                .values(published_at=self._clock.now())
            )
        # By type, so that dashboards can count status changes (e.g. visits missed today).
        for event_type, count in Counter(row.type for row in rows).items():
            published_counter.add(count, {"type": event_type})
        return len(rows)

    async def _check_backlog(self) -> None:
        if time.monotonic() - self._last_backlog_check < _BACKLOG_EVERY_SECONDS:
            return
        self._last_backlog_check = time.monotonic()
        with suppress_instrumentation():
            self.last_backlog = await self.backlog()

    async def backlog(self) -> int:
        """How many committed events still wait to be published."""
        async with self._sessions() as session:
            count = await session.scalar(
                sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        return int(count or 0)

    async def purge_published(self) -> None:
        """Forget rows published longer ago than the retention."""
        cutoff = self._clock.now() - self._retention
        self._last_purge = time.monotonic()
        with suppress_instrumentation():
            async with self._sessions() as session, session.begin():
                await session.execute(sa.delete(outbox).where(outbox.c.published_at < cutoff))


async def _hold_relay_lock(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite has one writer at a time anyway.
    return bool(await session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(_RELAY_LOCK_ID))))


def _message(row: Any) -> KafkaMessage:
    """The Kafka message for one outbox row, under a producer span joined to the writer's trace."""
    with tracer.start_as_current_span(
        f"{row['topic']} publish",
        context=context_from_carrier(row["trace_headers"]),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": row["topic"],
            "messaging.message.id": row["event_id"],
            "cloudevents.event_type": row["type"],
        },
    ):
        trace_headers = inject_traceparent()
    envelope = Envelope(
        id=row["event_id"],
        type=row["type"],
        source=row["source"],
        time=row["time"],
        topic=row["topic"],
        key=row["key"],
        data=bytes(row["data"]),
        subject=row["subject"],
        trace_headers=trace_headers,
    )
    return envelope.to_kafka()
