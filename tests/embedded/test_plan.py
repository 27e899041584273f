"""What `rounds up` plans to start, checked without starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from rounds.embedded.plan import (
    UpOptions,
    UpPlan,
    app_factory,
    build_plan,
    component_names,
    component_port,
    port_clashes,
)
from rounds.infra.topology import Topology, load_topology

PYTHON = "/opt/python/bin/python3"
DATA = Path("/srv/rounds-data")


@pytest.fixture
def topology() -> Topology:
    return load_topology()


def _plan(
    topology: Topology,
    options: UpOptions | None = None,
    environ: dict[str, str] | None = None,
    broker_port: int | None = 19092,
) -> UpPlan:
    return build_plan(
        topology,
        options or UpOptions(data_dir=DATA),
        environ if environ is not None else {"PATH": "/usr/bin"},
        python=PYTHON,
        embedded_broker_port=broker_port,
    )


def test_every_service_then_the_gateway_is_started_by_the_same_interpreter(topology: Topology) -> None:
    plan = _plan(topology)

    assert [c.name for c in plan.components] == [
        "people",
        "rota",
        "visits",
        "supervision",
        "alerts",
        "gateway",
    ]
    assert plan.gateway is not None
    assert plan.gateway.command == (PYTHON, "-m", "rounds.cli", "serve", "gateway")
    assert all(c.command[:3] == (PYTHON, "-m", "rounds.cli") for c in plan.components)


def test_ports_come_from_the_topology_by_default(topology: Topology) -> None:
    plan = _plan(topology)

    ports = {c.name: c.port for c in plan.components}
    assert ports == {
        "people": 8101,
        "rota": 8102,
        "visits": 8103,
        "supervision": 8104,
        "alerts": 8105,
        "gateway": 8000,
    }
    assert plan.gateway is not None
    assert plan.gateway.url == "http://127.0.0.1:8000"
    assert plan.gateway.ready_url == "http://127.0.0.1:8000/readyz"


def test_command_line_ports_win_over_the_environment_which_wins_over_the_topology(topology: Topology) -> None:
    options = UpOptions(data_dir=DATA, gateway_port=9000, service_ports={"rota": 9102})
    environ = {"ROUNDS_ROTA_PORT": "7102", "ROUNDS_VISITS_PORT": "7103", "ROUNDS_GATEWAY_PORT": "7000"}

    plan = _plan(topology, options, environ)

    ports = {c.name: c.port for c in plan.components}
    assert ports["gateway"] == 9000
    assert ports["rota"] == 9102
    assert ports["visits"] == 7103
    assert ports["people"] == 8101


def test_each_component_is_told_its_port_the_broker_and_the_absolute_data_folder(topology: Topology) -> None:
    plan = _plan(topology, broker_port=20123)

    people = plan.components[0]
    assert people.env["ROUNDS_PEOPLE_PORT"] == "8101"
    assert people.env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:20123"
    assert people.env["ROUNDS_DATA_DIR"] == str(DATA)
    # Spans go to a file only when asked for (ROUNDS_TRACE_FILE): nothing grows without bound.
    assert "ROUNDS_TRACE_FILE" not in people.env
    assert people.env["PYTHONUNBUFFERED"] == "1"
    assert people.env["PATH"] == "/usr/bin"
    assert people.log_path == DATA / "logs" / "people.log"


def test_the_gateway_is_pointed_at_the_services_this_run_starts(topology: Topology) -> None:
    plan = _plan(topology, UpOptions(data_dir=DATA, service_ports={"alerts": 9105}))

    assert plan.gateway is not None
    env = plan.gateway.env
    assert env["ROUNDS_GATEWAY_SERVICE_URLS__PEOPLE"] == "http://127.0.0.1:8101"
    assert env["ROUNDS_GATEWAY_SERVICE_URLS__ALERTS"] == "http://127.0.0.1:9105"
    assert "ROUNDS_GATEWAY_SERVICE_URLS__PEOPLE" not in plan.components[0].env


def test_an_external_cluster_replaces_the_embedded_broker(topology: Topology) -> None:
    environ = {"KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9092,kafka-2:9092"}

    plan = _plan(topology, environ=environ, broker_port=None)

    assert plan.embedded_broker_port is None
    assert plan.bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert all(c.env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka-1:9092,kafka-2:9092" for c in plan.components)


def test_database_urls_and_trace_file_given_in_the_environment_pass_through(topology: Topology) -> None:
    environ = {
        "ROUNDS_PEOPLE_DATABASE_URL": "postgresql+asyncpg://rounds@db/people",
        "ROUNDS_TRACE_FILE": "/var/log/rounds/traces.jsonl",
    }

    plan = _plan(topology, environ=environ)

    people = plan.components[0]
    assert people.env["ROUNDS_PEOPLE_DATABASE_URL"] == "postgresql+asyncpg://rounds@db/people"
    assert people.env["ROUNDS_TRACE_FILE"] == "/var/log/rounds/traces.jsonl"


def test_every_service_is_migrated_before_anything_serves(topology: Topology) -> None:
    plan = _plan(topology)

    assert [m.command[3:] for m in plan.migrations] == [("migrate", s.name) for s in topology.services]
    assert plan.migrations[1].log_path == DATA / "logs" / "migrate-rota.log"


def test_two_processes_planned_on_one_port_are_reported(topology: Topology) -> None:
    plan = _plan(topology, UpOptions(data_dir=DATA, gateway_port=8101), broker_port=8103)

    assert sorted(port_clashes(plan)) == [
        "port 8101 is planned for people and gateway",
        "port 8103 is planned for broker and visits",
    ]
    assert port_clashes(_plan(topology)) == []


def test_components_are_served_by_their_app_factories(topology: Topology) -> None:
    assert component_names(topology)[-1] == "gateway"
    assert app_factory("visits") == "services.visits.main:create_app"
    assert app_factory("gateway") == "gateway.main:create_app"


def test_serve_reads_the_port_from_the_environment_else_the_topology(topology: Topology) -> None:
    assert component_port("people", topology, {}) == 8101
    assert component_port("people", topology, {"ROUNDS_PEOPLE_PORT": "18101"}) == 18101
    assert component_port("gateway", topology, {}) == 8000
