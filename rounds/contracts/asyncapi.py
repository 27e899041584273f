"""The AsyncAPI 3.0 document of every Rounds event, generated from the contracts and the topology.

Nothing here is written by hand per event: each topic in ``rounds/topology.yaml`` is a channel (with
its Kafka binding: partitions, retention, key), each registered contract is a message on its topic's
channel (its payload the contract's JSON Schema, its headers the CloudEvents binary-mode headers),
and each producing service has one ``send`` operation per topic. A new contract class or topic shows
up in the document with no other change.

Each message carries an example, built from its schema and checked against the contract in the
tests, so that a partner developer can copy it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rounds.contracts.base import Event
from rounds.contracts.registry import registered_events
from rounds.infra.topology import Topology, load_topology

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
_SCHEMA_REF = "#/components/schemas/{model}"

# CloudEvents 1.0 Kafka protocol binding, binary mode (architecture.md: Events).
CLOUDEVENTS_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes in Kafka binary mode, and the W3C trace context.",
    "required": ["ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time"],
    "properties": {
        "ce_id": {"type": "string", "description": "Unique per event; consumers de-duplicate on it."},
        "ce_type": {"type": "string", "description": "The event type with its version."},
        "ce_source": {"type": "string", "description": "The service that published it, e.g. /rounds/rota."},
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_time": {"type": "string", "format": "date-time", "description": "When it happened (UTC)."},
        "ce_subject": {"type": "string", "description": "The aggregate the event is about."},
        "content-type": {"type": "string", "const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context of the change that caused it."},
    },
}


def channel_id(topic: str) -> str:
    """An AsyncAPI id for ``topic`` (no dots): ``rounds.rota.visits`` -> ``rounds_rota_visits``."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", topic)


def _hoist(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without its ``$defs``, which move to the document's schemas (shared by name)."""
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    return schema


def _message(cls: type[Event], schemas: dict[str, Any]) -> dict[str, Any]:
    name = cls.__name__
    schemas[name] = _hoist(cls.model_json_schema(ref_template=_SCHEMA_REF), schemas)
    doc = (cls.__doc__ or "").strip()
    return {
        "name": cls.type,
        "title": name,
        "summary": doc.splitlines()[0] if doc else cls.type,
        "description": doc,
        "contentType": "application/json",
        "headers": {"$ref": "#/components/schemas/CloudEventsHeaders"},
        "payload": {"$ref": f"#/components/schemas/{name}"},
        "correlationId": {
            "description": "The trace of the change",
            "location": "$message.header#/traceparent",
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"the event's {cls.key_field}"},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def asyncapi_document(
    *,
    version: str = "0",
    bootstrap_servers: str | None = None,
    topology: Topology | None = None,
    events: tuple[type[Event], ...] | None = None,
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the platform's events (pure: contracts and topology in, JSON out)."""
    topology = topology or load_topology()
    events = registered_events() if events is None else events
    schemas: dict[str, Any] = {"CloudEventsHeaders": CLOUDEVENTS_HEADERS}
    messages: dict[str, Any] = {}
    by_topic: dict[str, list[type[Event]]] = {}
    for cls in events:
        messages[cls.__name__] = _message(cls, schemas)
        by_topic.setdefault(cls.topic, []).append(cls)
    unknown = sorted(set(by_topic) - {topic.name for topic in topology.topics})
    if unknown:
        raise ValueError(f"contracts name topics that topology.yaml does not declare: {', '.join(unknown)}")
    for cls in events:
        example = example_for(schemas[cls.__name__], schemas)
        messages[cls.__name__]["examples"] = [
            {
                "name": cls.type,
                "headers": _example_headers(cls, topology),
                "payload": example,
            }
        ]

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in topology.topics:
        cid = channel_id(topic.name)
        dead_letters = topic.name.endswith(".dlq")
        description = (
            f"Messages {topic.producer} could not process after retries, with the error (not a contract)."
            if dead_letters
            else f"Published by the {topic.producer} service, keyed by {topic.key} (the order that matters)."
        )
        channels[cid] = {
            "address": topic.name,
            "title": topic.name,
            "description": description,
            "messages": {
                cls.__name__: {"$ref": f"#/components/messages/{cls.__name__}"}
                for cls in by_topic.get(topic.name, [])
            },
            "bindings": {
                "kafka": {
                    "topic": topic.name,
                    "partitions": topic.partitions,
                    "topicConfiguration": {"retention.ms": topic.retention_ms, "cleanup.policy": ["delete"]},
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
        }
        if by_topic.get(topic.name):
            operations[f"{topic.producer}_publishes_{cid}"] = {
                "action": "send",
                "title": f"{topic.producer} publishes on {topic.name}",
                "channel": {"$ref": f"#/channels/{cid}"},
                "messages": [
                    {"$ref": f"#/channels/{cid}/messages/{cls.__name__}"} for cls in by_topic[topic.name]
                ],
            }

    document: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Rounds events",
            "version": version,
            "description": (
                "Every event Rounds publishes on Kafka, as CloudEvents 1.0 in binary mode: the attributes "
                "are `ce_*` headers, the body is the JSON payload below. Types are versioned and past "
                "tense (`rounds.visit.missed.v1`); a new optional field keeps the version, any other "
                "change is a new type. Consumers must ignore fields they do not know and de-duplicate "
                "on `ce_id` (delivery is at least once)."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }
    if bootstrap_servers:
        document["servers"] = {
            f"kafka{index}": {
                "host": host.strip(),
                "protocol": "kafka",
                "description": "A broker of this deployment",
            }
            for index, host in enumerate(bootstrap_servers.split(","))
        }
    return document


def _example_headers(cls: type[Event], topology: Topology) -> dict[str, str]:
    producer = topology.topic(cls.topic).producer
    return {
        "ce_id": "0b9f8a52-3f5c-4a53-9a5e-6f1d2c3b4a59",
        "ce_type": cls.type,
        "ce_source": f"/rounds/{producer}",
        "ce_specversion": "1.0",
        "ce_time": "2026-03-29T08:15:00Z",
        "content-type": "application/json",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }


_FORMAT_EXAMPLES = {
    "uuid": "5b0c6f2e-8d4a-4c1e-9f3b-2a7d9e6c1b40",
    "date-time": "2026-03-29T08:15:00Z",
    "date": "2026-03-29",
    "time": "08:15:00",
    "email": "someone@example.org",
    "uri": "https://example.org/",
    "duration": "PT30M",
}


def example_for(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> Any:
    """A value that fits ``schema`` (refs resolved in ``schemas``), using its examples and defaults first."""
    if "$ref" in schema:
        return example_for(schemas[schema["$ref"].rsplit("/", 1)[1]], schemas)
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema and schema["default"] not in (None, [], {}):
        return schema["default"]
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [option for option in schema[combined] if option.get("type") != "null"]
            return example_for(options[0] if options else schema[combined][0], schemas)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return {name: example_for(prop, schemas) for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [example_for(schema.get("items", {}), schemas) for _ in range(count)]
    if kind == "integer":
        if "minimum" in schema:
            return int(schema["minimum"])
        return int(schema["exclusiveMinimum"]) + 1 if "exclusiveMinimum" in schema else 1
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    text = _FORMAT_EXAMPLES.get(schema.get("format", ""), "text")
    return text.ljust(int(schema.get("minLength", 0)), "x")
