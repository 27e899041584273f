"""Feeding a service's real consumer one Kafka record at a time, for the anonymisation tests.

Each record goes through ``EventConsumer.process``: the inbox, the handler and the unit of work commit
together, as in production. A dead letter fails the test (nothing here should be refused).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from aiokafka.structs import ConsumerRecord

from rounds.contracts.base import Event
from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import EventConsumer, Subscriptions
from rounds.infra.kafka import KafkaMessage
from rounds.infra.service import ServiceRuntime
from rounds.infra.topology import load_topology

#: The anonymisation's placeholder in people (services/people/domain/retention.py REMOVED).
REMOVED = "(anonymised)"


class _DeadLetters:
    """Stands in for the publisher: the consumer only publishes dead letters."""

    def __init__(self) -> None:
        self.messages: list[KafkaMessage] = []

    async def send_batch(self, messages: list[KafkaMessage]) -> None:
        self.messages.extend(messages)


@dataclass
class Feed:
    """One service's consumer, fed records with rising offsets."""

    runtime: ServiceRuntime[Any]
    subscriptions: Subscriptions[Any]
    service: str
    offset: int = 0
    dead_letters: _DeadLetters = field(default_factory=_DeadLetters)

    def consumer(self) -> EventConsumer[Any]:
        return EventConsumer(
            self.runtime.settings.model_copy(update={"consumer_max_attempts": 1}),
            self.subscriptions,
            self.runtime.unit_of_work,
            self.dead_letters,  # type: ignore[arg-type]
            load_topology().dead_letter_topic(self.service),
        )

    def envelope(self, event: Event, at: datetime) -> Envelope:
        """``event`` in a new CloudEvent from the producer of its topic."""
        producer = load_topology().topic(event.topic).producer
        return Envelope.wrap(event, source=f"/rounds/{producer}", time=at, trace_headers={})

    async def deliver(self, envelope: Envelope) -> None:
        """One record of ``envelope`` through the real consumer; a dead letter fails the test."""
        message = envelope.to_kafka()
        key = message.key.encode()
        self.offset += 1
        record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
            topic=message.topic, partition=0, offset=self.offset, timestamp=0, timestamp_type=0, key=key,
            value=message.value, checksum=None, serialized_key_size=len(key),
            serialized_value_size=len(message.value), headers=message.headers,
        )  # fmt: skip
        await self.consumer().process(record)
        if self.dead_letters.messages:
            headers = dict(self.dead_letters.messages[0].headers)
            pytest.fail(f"{self.service} dead-lettered {envelope.type}: {headers['rounds_error']!r}")

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Raw SQL on the service's database: what is really stored, not what a repository says."""
        statement = sa.text(sql).bindparams(
            *(
                sa.bindparam(name, type_=sa.Uuid())
                for name, value in params.items()
                if isinstance(value, UUID)
            )
        )
        async with self.runtime.engine.connect() as conn:
            result = await conn.execute(statement, params)
            return [dict(row._mapping) for row in result]


def json_of(value: Any) -> Any:
    """A JSON column as raw SQL returns it (text on SQLite and asyncpg, parsed elsewhere)."""
    return json.loads(value) if isinstance(value, str) else value
