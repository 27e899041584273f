"""The Kafka producer every process shares, topic creation, and the broker readiness check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from rounds.infra.settings import PlatformSettings
from rounds.infra.topology import TopicSpec, load_topology

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class KafkaMessage:
    """One record to produce."""

    topic: str
    key: str
    value: bytes
    headers: list[tuple[str, bytes]]


class BrokerUnavailable(RuntimeError):
    """The Kafka cluster could not be reached; the caller retries later."""


class KafkaPublisher:
    """One aiokafka producer with ``acks=all``, (re)connected on demand.

    A producer that fails is thrown away and built again on the next send, so the process rides
    out a broker restart without a restart of its own.
    """

    def __init__(self, settings: PlatformSettings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    @property
    def client_id(self) -> str:
        """The Kafka client id (``rounds.<service>``), also the name of its relay in metrics."""
        return self._client_id

    @property
    def bootstrap_servers(self) -> str:
        """Where the broker is."""
        return self._settings.kafka_bootstrap_servers

    async def producer(self) -> AIOKafkaProducer:
        """The connected producer, connecting (and creating declared topics) first when needed."""
        async with self._lock:
            if self._producer is not None:
                return self._producer
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=self._client_id,
                acks="all",
                enable_idempotence=self._settings.kafka_idempotence,
                linger_ms=5,
                request_timeout_ms=10_000,
                max_batch_size=1_048_576,
            )
            try:
                await producer.start()
            except (KafkaError, OSError) as exc:
                await producer.stop()
                raise BrokerUnavailable(f"cannot reach Kafka at {self.bootstrap_servers}: {exc}") from exc
            # A broker that was down may have come back empty (the embedded one keeps topics in memory).
            await ensure_topics(
                self.bootstrap_servers, load_topology().topics, self._settings.kafka_replication_factor
            )
            self._producer = producer
            return producer

    async def send_batch(self, messages: Sequence[KafkaMessage]) -> None:
        """Send ``messages`` together and wait until every one is acknowledged."""
        producer = await self.producer()
        try:
            futures = [
                await producer.send(m.topic, value=m.value, key=m.key.encode(), headers=m.headers)
                for m in messages
            ]
            await asyncio.gather(*futures)
        except (KafkaError, OSError) as exc:
            await self.reset()
            raise BrokerUnavailable(f"publishing to {self.bootstrap_servers} failed: {exc!r}") from exc

    async def is_reachable(self, timeout: float = 2.0) -> bool:
        """Whether the broker answers a metadata request now."""
        try:
            producer = await asyncio.wait_for(self.producer(), timeout)
            await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout)
        except (BrokerUnavailable, KafkaError, OSError, TimeoutError):
            await self.reset()
            return False
        return True

    async def reset(self) -> None:
        """Drop the producer so that the next send connects afresh."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except (KafkaError, OSError):
                log.debug("producer stop failed while resetting", exc_info=True)

    async def close(self) -> None:
        """Flush and close."""
        await self.reset()


async def ensure_topics(
    bootstrap_servers: str, topics: Sequence[TopicSpec], replication_factor: int = 1
) -> list[str]:
    """Create the declared topics that are missing; returns the names it created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [topic for topic in topics if topic.name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(
                    topic.name,
                    num_partitions=topic.partitions,
                    replication_factor=replication_factor,
                    topic_configs={"retention.ms": str(topic.retention_ms)},
                )
                for topic in missing
            ]
        )
        for name, code, message in response.topic_errors:
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise BrokerUnavailable(f"could not create topic {name}: {message} (error {code})")
        return [topic.name for topic in missing]
    finally:
        await admin.close()
