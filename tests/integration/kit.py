"""A small service made for the messaging tests: one event, one table of effects, one handler.

Each test gets its own topic so tests never see each other's messages on the shared broker.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic_settings import SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from rounds.contracts.base import Event
from rounds.infra.clock import SystemClock
from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import EventConsumer, Subscriptions
from rounds.infra.db import create_engine, create_sessions
from rounds.infra.kafka import KafkaPublisher, ensure_topics
from rounds.infra.messaging_tables import messaging_metadata
from rounds.infra.outbox_relay import OutboxRelay
from rounds.infra.settings import ServiceSettings
from rounds.infra.topology import load_topology
from rounds.infra.unit_of_work import UnitOfWork

test_metadata = sa.MetaData()
effects = sa.Table(
    "effects",
    test_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("note", sa.String(200), nullable=False),
)


class KitSettings(ServiceSettings):
    """Settings of the test service; the dead-letter topic is the people service's."""

    service_name = "people"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_KIT_", extra="ignore")


class KitUnitOfWork(UnitOfWork):
    """Adds a way to record effects."""

    async def record_effect(self, note: str) -> None:
        """One row per handled event: duplicates would show as extra rows."""
        await self.session.execute(sa.insert(effects).values(note=note))

    def _open_repositories(self, session: AsyncSession) -> None:
        pass


def probe_event_class(topic: str) -> type[Event]:
    """An event type bound to ``topic`` (a fresh topic per test)."""

    class NoteTaken(Event):
        type: ClassVar[str] = f"rounds.test.note-taken.{topic}.v1"
        key_field: ClassVar[str] = "subject_id"

        subject_id: str
        note: str

    NoteTaken.topic = topic
    return NoteTaken


def new_topic() -> str:
    """A topic name no other test uses."""
    return f"rounds.test.{uuid.uuid4().hex[:10]}"


async def create_tables(url: str) -> None:
    """The outbox, inbox and effects tables in a fresh database."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(messaging_metadata.create_all)
        await conn.run_sync(test_metadata.create_all)
    await engine.dispose()


async def count_effects(uow: KitUnitOfWork) -> list[str]:
    """Notes recorded so far."""
    async with uow:
        return list((await uow.session.scalars(sa.select(effects.c.note).order_by(effects.c.id))).all())


def subscriptions_for(
    event_class: type[Event], handler: Callable[[Any, Envelope, KitUnitOfWork], Awaitable[None]] | None = None
) -> Subscriptions[KitUnitOfWork]:
    """Subscriptions that record an effect per event (or run ``handler``)."""
    subscriptions: Subscriptions[KitUnitOfWork] = Subscriptions()

    async def record(event: Any, envelope: Envelope, uow: KitUnitOfWork) -> None:
        await uow.record_effect(event.note)

    subscriptions.on(event_class)(handler or record)
    return subscriptions


async def read_topic(
    bootstrap: str, topic: str, expected: int, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read ``expected`` records from the start of ``topic`` (no consumer group)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout):
            while len(records) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                for partition_records in batch.values():
                    records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def read_for(bootstrap: str, topic: str, seconds: float) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything that arrives on ``topic`` (from its start) within ``seconds``."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            for partition_records in (await consumer.getmany(timeout_ms=250)).values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0, every: float = 0.2) -> None:
    """Wait until ``check`` passes, failing with a timeout otherwise."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(every)


async def consume_from_now(consumer: EventConsumer[Any], bootstrap: str) -> None:
    """Give ``consumer`` a group of its own whose committed offsets are the current ends of its topics.

    The services' groups are shared by every test on the session's broker: a test consuming in one
    would first work through whatever earlier tests (and the platforms they ran) left unread.
    """
    await ensure_topics(bootstrap, [t for t in load_topology().topics if t.name in consumer.topics])
    group = f"{consumer.group_id}.test-{uuid.uuid4().hex[:8]}"
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        await probe.topics()  # loads the partitions of every topic
        partitions = [
            TopicPartition(topic, p)
            for topic in consumer.topics
            for p in probe.partitions_for_topic(topic) or ()
        ]
        probe.assign(partitions)
        await probe.seek_to_end(*partitions)
        # The embedded broker can report the end of a multi-record batch as its first offset + 1:
        # reading on until nothing comes puts the positions truly at the end.
        while await probe.getmany(timeout_ms=300):
            pass
        await probe.commit({tp: await probe.position(tp) for tp in partitions})
    finally:
        await probe.stop()
    consumer.group_id = group


class Harness:
    """One database, one broker, and the platform's outbox relay and consumer wired to them."""

    def __init__(self, database_url: str, bootstrap: str) -> None:
        self.settings = KitSettings(
            database_url=database_url,
            kafka_bootstrap_servers=bootstrap,
            kafka_session_timeout_ms=3000,
            consumer_max_attempts=2,
        )
        self.engine = create_engine(database_url)
        self.sessions = create_sessions(self.engine)
        self.topic = new_topic()
        self.publisher = KafkaPublisher(self.settings, client_id=f"rounds.test.{self.topic}")
        self.relay = OutboxRelay(
            self.sessions,
            self.publisher,
            SystemClock(),
            batch_size=100,
            poll_seconds=0.1,
            retention=timedelta(hours=1),
        )
        self.dead_letter_topic = new_topic()
        self.event_class = probe_event_class(self.topic)

    def unit_of_work(self) -> KitUnitOfWork:
        return KitUnitOfWork(self.sessions, SystemClock(), source="/rounds/test", on_commit=self.relay.wake)

    def consumer(self, handler: Any = None) -> EventConsumer[KitUnitOfWork]:
        return EventConsumer(
            self.settings,
            subscriptions_for(self.event_class, handler),
            self.unit_of_work,
            self.publisher,
            self.dead_letter_topic,
        )

    def event(self, note: str) -> Any:
        return self.event_class(subject_id="individual-1", note=note)

    async def write(self, *notes: str) -> list[Envelope]:
        """Commit one effect and one event per note, as a handler would."""
        envelopes = []
        async with self.unit_of_work() as uow:
            for note in notes:
                await uow.record_effect(f"written:{note}")
                envelopes.append(uow.publish(self.event(note)))
            await uow.commit()
        return envelopes

    async def unpublished(self) -> int:
        return await self.relay.backlog()

    async def close(self) -> None:
        await self.publisher.close()
        await self.engine.dispose()


async def run_consumer_until(
    consumer: EventConsumer[KitUnitOfWork], done: Any, timeout: float = 45.0
) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(done, timeout=timeout)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
