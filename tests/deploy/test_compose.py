"""compose.yaml cannot drift from the code, and comes up in order.

The file is read as compose reads it (YAML with anchors and merge keys) and checked against
``rounds/topology.yaml`` and the settings classes: one container per component ``rounds serve`` knows, on
its topology port, with only variables its process reads, its own database, healthchecks on paths it
serves, and ``depends_on`` conditions that start Postgres, then the migrations, then Kafka's consumers, then
the gateway. Where a compose v2 binary can be had, ``docker compose config`` must accept the file too.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from deploy_tools import REPO, component_env_names, compose_command, service_settings_class

from gateway.api import health as gateway_health_router
from gateway.settings import GatewaySettings
from rounds.cli import app as rounds_app
from rounds.embedded.plan import component_names
from rounds.infra.service import health_router
from rounds.infra.topology import Topology

COMPOSE_FILE = REPO / "compose.yaml"
# What compose itself runs besides the Rounds processes: the infrastructure and the telemetry stack.
INFRASTRUCTURE = {"kafka", "postgres", "migrate", "otel-collector", "jaeger", "prometheus", "grafana", "demo"}
# Read by the image's HEALTHCHECK and the healthchecks below, not by Rounds' settings.
HEALTHCHECK_VARIABLES = {"HEALTH_PORT"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """compose.yaml, parsed (PyYAML resolves the anchors and ``<<`` merge keys as compose does)."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return loaded


def _rounds_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The containers that run ``rounds serve <component>``, by component."""
    return {
        spec["command"][1]: {"name": name, **spec}
        for name, spec in compose["services"].items()
        if spec.get("command", [None])[0] == "serve"
    }


def _port(component: str, topology: Topology) -> int:
    return topology.gateway_port if component == "gateway" else topology.service(component).port


def _depends(spec: dict[str, Any]) -> dict[str, str]:
    """``depends_on`` as {service: condition} (the short list form means service_started)."""
    found = spec.get("depends_on", {})
    if isinstance(found, list):
        return dict.fromkeys(found, "service_started")
    return {name: entry.get("condition", "service_started") for name, entry in found.items()}


def test_compose_runs_each_component_rounds_serve_knows_and_the_platform_around_it(
    compose: dict[str, Any], topology: Topology
) -> None:
    services = _rounds_services(compose)

    assert sorted(services) == sorted(component_names(topology))
    for component, spec in services.items():
        # Named after the component, so the gateway's URLs and the dashboards' service names read the same.
        assert spec["name"] == component
    assert set(compose["services"]) == set(services) | INFRASTRUCTURE


def test_each_component_listens_on_its_topology_port_and_reads_every_variable_it_gets(
    compose: dict[str, Any], topology: Topology
) -> None:
    for component, spec in _rounds_services(compose).items():
        env = {name: str(value) for name, value in spec["environment"].items()}
        port = _port(component, topology)
        unread = set(env) - component_env_names(component, topology) - HEALTHCHECK_VARIABLES

        assert env[f"ROUNDS_{component.upper()}_PORT"] == str(port), component
        assert env[f"ROUNDS_{component.upper()}_HOST"] == "0.0.0.0", component
        assert env["HEALTH_PORT"] == str(port), component
        assert not unread, f"{component} gets variables nothing reads: {sorted(unread)}"


def test_settings_built_from_the_compose_environment_match_the_topology(
    compose: dict[str, Any], topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _rounds_services(compose)
    for component, spec in services.items():
        with monkeypatch.context() as patch:
            for name, value in spec["environment"].items():
                patch.setenv(name, str(value))
            if component == "gateway":
                gateway = GatewaySettings()
                assert gateway.port == topology.gateway_port
                # Each URL names the compose service of that name on its topology port.
                assert gateway.service_urls == {
                    s.name: f"http://{services[s.name]['name']}:{s.port}" for s in topology.services
                }
                assert gateway.database_url.endswith("@postgres:5432/gateway")
                continue
            settings = service_settings_class(component)()
            assert settings.port == topology.service(component).port
            assert settings.kafka_bootstrap_servers == "kafka:9092"
            assert settings.otel_exporter_otlp_endpoint == "http://otel-collector:4318"
            # A database of its own on the compose Postgres, named after the service.
            assert settings.database_url.endswith(f"@postgres:5432/{component}"), component


def test_each_component_gets_its_own_database_and_the_migrations_get_every_service_s(
    compose: dict[str, Any], topology: Topology
) -> None:
    services = _rounds_services(compose)
    urls = {}
    for component in component_names(topology):
        env = services[component]["environment"]
        names = sorted(name for name in env if name.endswith("_DATABASE_URL"))
        assert names == [f"ROUNDS_{component.upper()}_DATABASE_URL"], component
        assert env[names[0]].endswith(f"@postgres:5432/{component}"), component
        urls[names[0]] = env[names[0]]
    # The gateway migrates its audit trail itself at start (gateway/audit.py); `rounds migrate all` does
    # the services'.
    del urls["ROUNDS_GATEWAY_DATABASE_URL"]

    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["migrate", "all"]
    migrate_urls = {k: v for k, v in migrate["environment"].items() if k.endswith("_DATABASE_URL")}
    assert migrate_urls == urls


def _paths(router: Any) -> set[str]:
    return {route.path for route in router.routes}


def test_healthchecks_ask_paths_the_processes_serve_on_their_own_port(
    compose: dict[str, Any], topology: Topology
) -> None:
    served = {"service": _paths(health_router()), "gateway": _paths(gateway_health_router)}

    for component, spec in _rounds_services(compose).items():
        command = " ".join(spec["healthcheck"]["test"])
        paths = re.findall(r"/(?:healthz|readyz)\b", command)
        assert paths, f"{component}: {command}"
        assert set(paths) <= served["gateway" if component == "gateway" else "service"]
        assert "HEALTH_PORT" in command, component
        # Ready means the database and the broker answer (a service), or every service does (the gateway).
        assert paths == ["/readyz"], component


def test_everything_comes_up_in_order(compose: dict[str, Any], topology: Topology) -> None:
    services = compose["services"]
    depends = {name: _depends(spec) for name, spec in services.items()}

    # Every dependency exists, and one on a healthy service has a healthcheck to wait for.
    for name, needs in depends.items():
        for needed, condition in needs.items():
            assert needed in services, f"{name} depends on {needed}, which is not a service"
            assert condition in {"service_started", "service_healthy", "service_completed_successfully"}
            if condition == "service_healthy":
                check = services[needed].get("healthcheck", {})
                assert check.get("test"), f"{needed} has no healthcheck"
                assert not check.get("disable"), f"{needed} has its healthcheck disabled"
    # Postgres is healthy before the migrations start; the migrations finish before any process starts.
    assert depends["migrate"]["postgres"] == "service_healthy"
    for component in component_names(topology):
        assert depends[component]["migrate"] == "service_completed_successfully", component
        assert depends[component]["kafka"] == "service_healthy", component
        assert depends[component]["otel-collector"] in {"service_started", "service_healthy"}, component
    # The gateway starts once every service is ready.
    for service in topology.services:
        assert depends["gateway"][service.name] == "service_healthy"
    # And there is an order at all: no cycle.
    _topological_order(depends)


def _topological_order(depends: dict[str, dict[str, str]]) -> list[str]:
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        assert name not in visiting, f"depends_on cycle through {name}"
        visiting.add(name)
        for needed in depends[name]:
            visit(needed)
        visiting.discard(name)
        order.append(name)

    for name in depends:
        visit(name)
    return order


def test_rounds_containers_are_locked_down_and_publish_only_on_loopback(compose: dict[str, Any]) -> None:
    for name, spec in compose["services"].items():
        for port in spec.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"
        if spec.get("image") == "rounds:dev":
            assert spec["read_only"] is True, name
            assert spec["cap_drop"] == ["ALL"], name
            assert "no-new-privileges:true" in spec["security_opt"], name
            assert spec["tmpfs"] == ["/tmp"], name
    gateway_ports = compose["services"]["gateway"]["ports"]
    assert gateway_ports == ["127.0.0.1:8000:8000"]


def test_every_mounted_file_is_in_the_repository(compose: dict[str, Any]) -> None:
    mounted = [
        volume.split(":")[0]
        for spec in compose["services"].values()
        for volume in spec.get("volumes", [])
        if volume.startswith("./")
    ]

    assert mounted
    for source in mounted:
        assert (REPO / source).exists(), source


def test_the_collector_serves_what_prometheus_scrapes_and_grafana_reads(compose: dict[str, Any]) -> None:
    collector = yaml.safe_load((REPO / "deploy/otel-collector/config.yaml").read_text(encoding="utf-8"))
    prometheus = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    datasources = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/datasources/datasources.yaml").read_text(encoding="utf-8")
    )

    exporter_port = collector["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]
    targets = [t for job in prometheus["scrape_configs"] for c in job["static_configs"] for t in c["targets"]]
    assert targets == [f"otel-collector:{exporter_port}"]
    assert "http" in collector["receivers"]["otlp"]["protocols"]
    for pipeline in collector["service"]["pipelines"].values():
        assert set(pipeline["exporters"]) <= set(collector["exporters"])
    urls = {source["type"]: source["url"] for source in datasources["datasources"]}
    assert urls["prometheus"] == "http://prometheus:9090"
    assert "prometheus" in compose["services"]
    assert "jaeger" in compose["services"]


def test_the_optional_demo_loads_through_the_gateway_with_its_issuer_key(
    compose: dict[str, Any], topology: Topology
) -> None:
    demo = compose["services"]["demo"]
    gateway = compose["services"]["gateway"]
    data_dir = gateway["environment"]["ROUNDS_DATA_DIR"]
    gateway_volume = next(v for v in gateway["volumes"] if v.split(":")[1] == data_dir).split(":")[0]

    # Only with --profile demo, once the gateway is ready, reading (not writing) the gateway's data folder.
    assert demo["profiles"] == ["demo"]
    assert _depends(demo) == {"gateway": "service_healthy"}
    assert demo["environment"]["ROUNDS_DATA_DIR"] == data_dir
    assert demo["volumes"] == [f"{gateway_volume}:{data_dir}:ro"]
    assert gateway_volume in compose["volumes"]
    # The command is one the image's `rounds` knows, and it names the gateway where compose runs it.
    root: Any = typer.main.get_command(rounds_app)
    if "demo" not in root.commands:
        pytest.skip("rounds/cli.py does not register the demo group (rounds.demo.cli.demo_app) yet")
    group = root.commands["demo"]
    command, *arguments = demo["command"][1:]
    context = group.commands[command].make_context(command, list(arguments))
    assert context.params["gateway"] == f"http://gateway:{topology.gateway_port}"


@pytest.fixture(scope="module")
def compose_config(tool_cache: Path, compose: dict[str, Any]) -> dict[str, Any]:
    """``docker compose config``: the file as compose itself understands it, normalised to JSON."""
    command = compose_command(tool_cache)
    # Every profile, so the optional services are read too.
    profiles = sorted({p for spec in compose["services"].values() for p in spec.get("profiles", [])})
    result = subprocess.run(
        [
            *command,
            "--file",
            str(COMPOSE_FILE),
            *(f"--profile={p}" for p in profiles),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_docker_compose_accepts_the_file_and_reads_it_as_these_tests_do(
    compose_config: dict[str, Any], compose: dict[str, Any]
) -> None:
    assert set(compose_config["services"]) == set(compose["services"])
    for name, spec in compose["services"].items():
        normalised = compose_config["services"][name]
        assert {k: v["condition"] for k, v in normalised.get("depends_on", {}).items()} == _depends(spec)
        assert normalised.get("command") == spec.get("command"), name
