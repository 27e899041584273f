"""CloudEvents 1.0 in Kafka binary mode: attributes in ``ce_*`` headers, the data as the JSON body."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4

from rounds.contracts.base import Event
from rounds.infra.kafka import KafkaMessage

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
REQUIRED_HEADERS = ("ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time")


class MalformedEvent(ValueError):
    """A Kafka message that is not a valid CloudEvent: retrying will never help."""


@dataclass(frozen=True)
class Envelope:
    """One CloudEvent as it travels over Kafka."""

    id: str
    type: str
    source: str
    time: datetime
    topic: str
    key: str
    data: bytes
    subject: str | None = None
    trace_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def wrap(cls, event: Event, *, source: str, time: datetime, trace_headers: dict[str, str]) -> Envelope:
        """Put ``event`` in a new envelope with a fresh id."""
        return cls(
            id=str(uuid4()),
            type=event.type,
            source=source,
            time=time,
            topic=event.topic,
            key=event.key(),
            subject=event.key(),
            data=event.model_dump_json().encode(),
            trace_headers=trace_headers,
        )

    def to_kafka(self) -> KafkaMessage:
        """The Kafka record for this event."""
        return KafkaMessage(topic=self.topic, key=self.key, value=self.data, headers=self.kafka_headers())

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """The binary-mode headers, including W3C trace context."""
        headers = [
            ("ce_id", self.id),
            ("ce_type", self.type),
            ("ce_source", self.source),
            ("ce_specversion", SPEC_VERSION),
            ("ce_time", self.time.isoformat()),
            ("content-type", CONTENT_TYPE),
        ]
        if self.subject:
            headers.append(("ce_subject", self.subject))
        headers.extend(self.trace_headers.items())
        return [(name, value.encode()) for name, value in headers]

    @classmethod
    def from_kafka(
        cls, *, topic: str, key: bytes | None, headers: list[tuple[str, bytes]], value: bytes | None
    ) -> Envelope:
        """Read a CloudEvent from a Kafka message, or raise :class:`MalformedEvent` saying why."""
        found: dict[str, str] = {}
        for name, raw in headers:
            try:
                found[name] = raw.decode("utf-8")
            except (UnicodeDecodeError, AttributeError) as exc:
                raise MalformedEvent(f"header {name!r} is not UTF-8") from exc
        missing = [name for name in REQUIRED_HEADERS if not found.get(name)]
        if missing:
            raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
        if found["ce_specversion"] != SPEC_VERSION:
            raise MalformedEvent(f"unsupported ce_specversion {found['ce_specversion']!r}")
        try:
            time = datetime.fromisoformat(found["ce_time"])
        except ValueError as exc:
            raise MalformedEvent(f"ce_time {found['ce_time']!r} is not an RFC 3339 time") from exc
        if value is None:
            raise MalformedEvent("the message has no body")
        return cls(
            id=found["ce_id"],
            type=found["ce_type"],
            source=found["ce_source"],
            time=time,
            topic=topic,
            key=key.decode("utf-8", "replace") if key else "",
            subject=found.get("ce_subject"),
            data=value,
            trace_headers={k: v for k, v in found.items() if k in ("traceparent", "tracestate")},
        )

    def json(self) -> Any:
        """The decoded JSON data, or :class:`MalformedEvent` when it is not JSON."""
        try:
            return json.loads(self.data)
        except ValueError as exc:
            raise MalformedEvent(f"the body is not JSON: {exc}") from exc
