"""Event contracts agree with the topology, and their schemas can be exported."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rounds.cli import app
from rounds.contracts.registry import registered_events
from rounds.infra.topology import load_topology


def test_every_event_goes_to_a_declared_topic_keyed_as_declared() -> None:
    topology = load_topology()
    for event in registered_events():
        topic = topology.topic(event.topic)
        assert topic.key == event.key_field, event.type
        assert event.key_field in event.model_fields, event.type


def test_rounds_schemas_writes_one_json_schema_per_event(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schemas", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{e.type}.schema.json" for e in registered_events())
    schema = json.loads((tmp_path / "rounds.worker.registered.v1.schema.json").read_text())
    assert {"worker_id", "given_name", "family_name", "role", "locality"} <= set(schema["required"])
