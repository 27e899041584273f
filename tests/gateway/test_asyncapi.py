"""The AsyncAPI 3 document: generated from the contracts registry and the topology, served by the gateway."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from rounds.contracts.asyncapi import asyncapi_document, channel_id, example_for
from rounds.contracts.base import Event
from rounds.contracts.registry import registered_events
from rounds.infra.topology import load_topology
from tests.gateway.standins import RunningGateway


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document(version="1.2.3")


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_every_registered_event_is_a_message_on_its_topics_channel(document: dict[str, Any]) -> None:
    events = registered_events()
    assert events, "the registry found no contracts"
    for cls in events:
        channel = document["channels"][channel_id(cls.topic)]
        assert channel["address"] == cls.topic
        assert cls.__name__ in channel["messages"], cls.type
        message = document["components"]["messages"][cls.__name__]
        assert message["name"] == cls.type
        assert message["bindings"]["kafka"]["key"]["description"].endswith(cls.key_field)


def test_every_topic_is_a_channel_with_its_kafka_binding(document: dict[str, Any]) -> None:
    for topic in load_topology().topics:
        kafka = document["channels"][channel_id(topic.name)]["bindings"]["kafka"]
        assert (kafka["topic"], kafka["partitions"]) == (topic.name, topic.partitions)
        assert kafka["topicConfiguration"]["retention.ms"] == topic.retention_ms


def test_each_producer_sends_its_topics_messages(document: dict[str, Any]) -> None:
    sends = {op["channel"]["$ref"].rsplit("/", 1)[1]: op for op in document["operations"].values()}
    for topic in load_topology().topics:
        published = [cls for cls in registered_events() if cls.topic == topic.name]
        if not published:
            continue
        operation = sends[channel_id(topic.name)]
        assert operation["action"] == "send"
        assert operation["title"].startswith(topic.producer)
        assert len(operation["messages"]) == len(published)


def test_it_is_an_asyncapi_3_document_whose_references_all_resolve(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["version"] == "1.2.3"
    for ref in _refs(document):
        assert _resolve(document, ref) is not None, ref
    # AsyncAPI 3 ids may not contain dots.
    for section in ("channels", "operations"):
        assert all("." not in key for key in document[section]), section


def test_every_example_is_a_valid_event(document: dict[str, Any]) -> None:
    # The examples are what a partner developer copies: each must be accepted by its contract.
    for cls in registered_events():
        [example] = document["components"]["messages"][cls.__name__]["examples"]
        cls.model_validate(example["payload"])
        assert example["headers"]["ce_type"] == cls.type


class _NewThingHappened(Event):
    """A contract written after the document code: it needs nothing else to appear."""

    type: ClassVar[str] = "rounds.thing.happened.v1"
    topic: ClassVar[str] = "rounds.alerts.alerts"
    key_field: ClassVar[str] = "thing_id"

    thing_id: str
    count: int


def test_a_new_contract_appears_with_no_other_change() -> None:
    document = asyncapi_document(events=(*registered_events(), _NewThingHappened))
    assert "_NewThingHappened" in document["channels"]["rounds_alerts_alerts"]["messages"]


def test_a_contract_on_an_undeclared_topic_is_refused() -> None:
    class Stray(_NewThingHappened):
        topic: ClassVar[str] = "rounds.nowhere"

    with pytest.raises(ValueError, match=r"rounds\.nowhere"):
        asyncapi_document(events=(Stray,))


def test_examples_follow_formats_enums_and_bounds() -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "at": {"type": "string", "format": "date-time"},
            "kind": {"enum": ["late", "missed"]},
            "workers": {"type": "integer", "minimum": 1, "maximum": 2},
            "note": {"anyOf": [{"type": "null"}, {"type": "string", "minLength": 6}]},
        },
    }
    assert example_for(schema, {}) == {
        "id": "5b0c6f2e-8d4a-4c1e-9f3b-2a7d9e6c1b40",
        "at": "2026-03-29T08:15:00Z",
        "kind": "late",
        "workers": 1,
        "note": "textxx",
    }


@pytest.mark.integration
async def test_the_gateway_serves_the_document_and_a_page(gateway: RunningGateway) -> None:
    document = await gateway.client.get("/asyncapi.json", headers={"Authorization": ""})
    page = await gateway.client.get("/asyncapi", headers={"Authorization": ""})
    assert document.status_code == 200
    assert document.json()["asyncapi"] == "3.0.0"
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for cls in registered_events():
        assert cls.type in page.text
    assert "<script" not in page.text
