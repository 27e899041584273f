"""A dead letter as the operations team sees it: which service gave up on which message, and why.

EventConsumer (rounds/infra/consumer.py) sends a message it cannot process to its service's
``rounds.<service>.dlq`` with the original headers plus ``rounds_*`` headers naming the consumer, the
error and the original topic, partition and offset. This reads those headers only; the payload is never
looked at, and the error text is cleaned of the values pydantic and SQLAlchemy quote from it (names,
phone numbers, addresses), so an operations alert carries no personal data (UK GDPR art. 5(1)(c):
data minimisation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

# What an operator needs to find the cause; a full traceback is in the consuming service's log.
MAX_ERROR_LENGTH = 500

# pydantic quotes the rejected input ("input_value='Mary Jones'", or the whole object); SQLAlchemy quotes
# the statement's parameters ("[parameters: ('Mary', ...)]"). Both can be a person's data.
_PYDANTIC_INPUT = re.compile(r"input_value=.*?(?=, input_type=|\]$)", re.MULTILINE)
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s|$)", re.DOTALL)
_PYDANTIC_LINK = re.compile(r"\n\s*For further information visit \S+")


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered message, identified by where it was first published."""

    service: str
    consumer: str
    original_topic: str
    original_partition: int
    original_offset: int
    event_type: str | None
    event_id: str | None
    error: str
    error_type: str | None
    attempts: int | None
    dead_letter_topic: str
    dead_letter_partition: int
    dead_letter_offset: int
    dead_lettered_at: datetime

    @property
    def key(self) -> str:
        """The one alert per message: a redelivered dead letter names the same original place."""
        return f"{self.original_topic}:{self.original_partition}:{self.original_offset}"


def clean_error(text: str) -> str:
    """The error without the values it quotes from the message, at most :data:`MAX_ERROR_LENGTH`."""
    cleaned = _PYDANTIC_INPUT.sub("input_value=<withheld>", text)
    cleaned = _SQL_PARAMETERS.sub("[parameters: <withheld>]", cleaned)
    cleaned = _PYDANTIC_LINK.sub("", cleaned)
    if len(cleaned) <= MAX_ERROR_LENGTH:
        return cleaned
    return cleaned[: MAX_ERROR_LENGTH - 1] + "…"


def dead_letter_from(
    topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int | None,
    headers: Iterable[tuple[str, bytes]],
    now: datetime,
) -> DeadLetter:
    """Read a dead-letter record's headers; a record without them is known by its own place."""
    found = {name: _text(value) for name, value in headers}
    consumer = found.get("rounds_consumer") or ""
    # The topic names the service (one dead-letter topic each); the consumer group may be a test's own.
    service = _service_of(topic) or consumer.removeprefix("rounds.") or topic
    original_topic = found.get("rounds_original_topic")
    original_partition = _integer(found.get("rounds_original_partition"))
    original_offset = _integer(found.get("rounds_original_offset"))
    if not original_topic or original_partition is None or original_offset is None:
        original_topic, original_partition, original_offset = topic, partition, offset
    return DeadLetter(
        service=service[:50],
        consumer=(consumer or f"rounds.{service}")[:100],
        original_topic=original_topic[:200],
        original_partition=original_partition,
        original_offset=original_offset,
        event_type=_optional(found, "ce_type", 200),
        event_id=_optional(found, "ce_id", 200),
        error=clean_error(found.get("rounds_error") or "no error was recorded with the message"),
        error_type=_optional(found, "rounds_error_type", 100),
        attempts=_integer(found.get("rounds_attempts")),
        dead_letter_topic=topic[:200],
        dead_letter_partition=partition,
        dead_letter_offset=offset,
        dead_lettered_at=_time(timestamp_ms) or now,
    )


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value else ""


def _optional(found: dict[str, str], name: str, size: int) -> str | None:
    return found[name][:size] if found.get(name) else None


def _integer(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _service_of(topic: str) -> str | None:
    # rounds.<service>.dlq, as the topology names each service's dead-letter topic.
    parts = topic.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "rounds" and parts[2] == "dlq" else None


def _time(timestamp_ms: int | None) -> datetime | None:
    if timestamp_ms is None or timestamp_ms <= 0:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
