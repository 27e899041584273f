"""The CloudEvents binary-mode envelope: what goes on the wire and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from rounds.contracts.people import WorkerRegistered
from rounds.contracts.registry import event_class, json_schemas
from rounds.infra.cloudevents import Envelope, MalformedEvent

AT = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def registered() -> WorkerRegistered:
    return WorkerRegistered(
        worker_id=uuid4(), given_name="Asha", family_name="Patel", role="care_worker", locality="Harrogate"
    )


def test_an_event_travels_with_the_cloudevents_headers_and_its_trace() -> None:
    event = registered()
    envelope = Envelope.wrap(
        event, source="/rounds/people", time=AT, trace_headers={"traceparent": "00-ab-cd-01"}
    )
    message = envelope.to_kafka()
    headers = dict(message.headers)

    assert message.topic == "rounds.people.workers"
    assert message.key == str(event.worker_id)
    assert headers["ce_type"] == b"rounds.worker.registered.v1"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_source"] == b"/rounds/people"
    assert headers["ce_subject"] == str(event.worker_id).encode()
    assert headers["ce_time"] == b"2026-03-29T00:30:00+00:00"
    assert headers["traceparent"] == b"00-ab-cd-01"


def test_an_envelope_reads_back_what_was_written() -> None:
    envelope = Envelope.wrap(registered(), source="/rounds/people", time=AT, trace_headers={})
    message = envelope.to_kafka()
    read = Envelope.from_kafka(
        topic=message.topic, key=message.key.encode(), headers=message.headers, value=message.value
    )
    assert read == envelope
    assert WorkerRegistered.model_validate_json(read.data) == WorkerRegistered.model_validate_json(
        envelope.data
    )


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ([], b"{}", "missing CloudEvents headers"),
        (
            [
                ("ce_id", b"1"),
                ("ce_type", b"t"),
                ("ce_source", b"s"),
                ("ce_specversion", b"0.3"),
                ("ce_time", b"x"),
            ],
            b"{}",
            "unsupported ce_specversion",
        ),
        (
            [
                ("ce_id", b"1"),
                ("ce_type", b"t"),
                ("ce_source", b"s"),
                ("ce_specversion", b"1.0"),
                ("ce_time", b"soon"),
            ],
            b"{}",
            "not an RFC 3339 time",
        ),
        ([("ce_id", b"\xff"), ("ce_type", b"t")], b"{}", "not UTF-8"),
        (
            [
                ("ce_id", b"1"),
                ("ce_type", b"t"),
                ("ce_source", b"s"),
                ("ce_specversion", b"1.0"),
                ("ce_time", b"2026-01-01T00:00:00+00:00"),
            ],
            None,
            "no body",
        ),
    ],
)
def test_a_message_that_is_not_a_cloudevent_is_refused_with_the_reason(
    headers: list[tuple[str, bytes]], value: bytes | None, reason: str
) -> None:
    with pytest.raises(MalformedEvent, match=reason):
        Envelope.from_kafka(topic="t", key=None, headers=headers, value=value)


def test_every_event_type_is_versioned_past_tense_and_has_a_schema() -> None:
    schemas = json_schemas()
    assert "rounds.worker.registered.v1" in schemas
    for event_type, schema in schemas.items():
        assert event_type.startswith("rounds.")
        assert event_type.rsplit(".", 1)[1].startswith("v")
        assert schema["type"] == "object"
        assert event_class(event_type) is not None
    assert event_class("rounds.unknown.v1") is None
