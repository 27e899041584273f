"""The Helm chart cannot drift from the code: components, ports, topics, environment variables and probes.

Everything is checked on what ``helm template`` renders, against what the code reads and serves:
``rounds/topology.yaml`` through ``load_topology()``, the settings classes (``rounds/infra/settings.py``,
``services/*/settings.py``, ``gateway/settings.py``) and the health routes.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from deploy_tools import (
    CHART,
    PRODUCTION_VALUES,
    Rendered,
    component_env_names,
    env_list_names,
    render_with,
    service_settings_class,
)

from gateway.api import health as gateway_health_router
from gateway.settings import GatewaySettings
from rounds.auth.issuer import key_path
from rounds.embedded.plan import component_names
from rounds.infra.service import health_router
from rounds.infra.topology import TOPOLOGY_FILE, Topology


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def _component_port(component: str, topology: Topology) -> int:
    return topology.gateway_port if component == "gateway" else topology.service(component).port


def _rounds_deployments(rendered: Rendered) -> dict[str, dict[str, Any]]:
    """The Deployments that run `rounds serve`, by component."""
    return {
        doc["metadata"]["labels"]["app.kubernetes.io/component"]: doc
        for doc in rendered.of_kind("Deployment")
        if _container(doc)["args"][0] == "serve"
    }


def _environment(rendered: Rendered, deployment: dict[str, Any]) -> dict[str, str]:
    """The variables a container gets: its ConfigMaps, then its own env (Secrets stand in as placeholders)."""
    container = _container(deployment)
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(rendered.named("ConfigMap", source["configMapRef"]["name"])["data"])
    for entry in container["env"]:
        env[entry["name"]] = entry.get("value", "<from the cluster>")
    return env


def test_chart_reads_the_topology_file_the_code_reads() -> None:
    # A symbolic link, so there is nothing to keep in step; `helm package` stores the linked content.
    chart_topology = CHART / "files" / "topology.yaml"

    assert chart_topology.is_symlink(), "files/topology.yaml must link to rounds/topology.yaml, not copy it"
    assert chart_topology.resolve() == TOPOLOGY_FILE.resolve()


def test_the_packaged_chart_carries_the_topology_itself(helm: Path, tmp_path: Path) -> None:
    # A chart pushed to a registry has no repository beside it: `helm package` must store the content.
    result = subprocess.run(
        [str(helm), "package", str(CHART), "--destination", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (package,) = tmp_path.glob("rounds-*.tgz")
    with tarfile.open(package) as bundle:
        member = bundle.extractfile("rounds/files/topology.yaml")
        assert member is not None
        packaged = member.read()
        names = bundle.getnames()

    assert packaged == TOPOLOGY_FILE.read_bytes()
    assert not [name for name in names if "/examples/" in name], "examples stay out of the package"


def test_a_deployment_runs_each_component_rounds_serve_knows(
    each_rendering: Rendered, topology: Topology
) -> None:
    deployments = _rounds_deployments(each_rendering)

    assert sorted(deployments) == sorted(component_names(topology))
    for component, deployment in deployments.items():
        assert _container(deployment)["args"] == ["serve", component]


def test_each_component_listens_and_is_served_on_its_topology_port(
    each_rendering: Rendered, topology: Topology
) -> None:
    for component, deployment in _rounds_deployments(each_rendering).items():
        port = _component_port(component, topology)
        container = _container(deployment)
        env = _environment(each_rendering, deployment)
        service = each_rendering.component("Service", component)

        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert env[f"ROUNDS_{component.upper()}_PORT"] == str(port)
        assert env[f"ROUNDS_{component.upper()}_HOST"] == "0.0.0.0"
        assert service["spec"]["ports"][0]["port"] == port
        assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_every_variable_the_chart_sets_is_one_the_process_reads(
    each_rendering: Rendered, topology: Topology
) -> None:
    for component, deployment in _rounds_deployments(each_rendering).items():
        env = _environment(each_rendering, deployment)
        # POD_NAME and POD_NAMESPACE only feed OTEL_RESOURCE_ATTRIBUTES through $(...) substitution.
        unread = set(env) - component_env_names(component, topology) - {"POD_NAME", "POD_NAMESPACE"}

        assert not unread, f"{component} gets variables nothing reads: {sorted(unread)}"


def test_each_component_gets_its_own_database_url_from_a_secret_and_no_other(
    each_rendering: Rendered, topology: Topology
) -> None:
    # The gateway's database holds its audit trail of reads of restricted personal data.
    for component in component_names(topology):
        deployment = each_rendering.component("Deployment", component)
        env = _container(deployment)["env"]
        database_urls = sorted(e["name"] for e in env if e["name"].endswith("_DATABASE_URL"))

        assert database_urls == [f"ROUNDS_{component.upper()}_DATABASE_URL"]
        secret = next(e for e in env if e["name"] == database_urls[0])["valueFrom"]["secretKeyRef"]
        assert secret["key"] == component


def test_settings_built_from_the_chart_environment_match_the_topology(
    each_rendering: Rendered, topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    for component, deployment in _rounds_deployments(each_rendering).items():
        with monkeypatch.context() as patch:
            for name, value in _environment(each_rendering, deployment).items():
                patch.setenv(name, value)
            if component == "gateway":
                gateway = GatewaySettings()
                assert gateway.port == topology.gateway_port
                assert gateway.service_urls == {
                    s.name: f"http://{each_rendering.fullname}-{s.name}:{s.port}" for s in topology.services
                }
                assert not gateway.database_url.startswith("sqlite"), "the audit trail must outlive the pod"
                continue
            settings = service_settings_class(component)()
            assert settings.port == topology.service(component).port
            assert settings.host == "0.0.0.0"
            assert settings.kafka_idempotence is True
            assert settings.kafka_replication_factor == 3
            assert settings.otel_exporter_otlp_endpoint
            assert settings.provider_time_zone == topology.provider_time_zone


def test_gateway_routes_to_services_the_chart_defines(each_rendering: Rendered, topology: Topology) -> None:
    data = each_rendering.named("ConfigMap", f"{each_rendering.fullname}-gateway")["data"]
    services = {doc["metadata"]["name"]: doc for doc in each_rendering.of_kind("Service")}

    for service in topology.services:
        url = data[f"ROUNDS_GATEWAY_SERVICE_URLS__{service.name.upper()}"]
        host, port = url.removeprefix("http://").split(":")
        assert services[host]["spec"]["ports"][0]["port"] == int(port) == service.port


def _paths(router: Any) -> set[str]:
    return {route.path for route in router.routes}


def test_probes_ask_paths_the_processes_serve(each_rendering: Rendered) -> None:
    served = {"service": _paths(health_router()), "gateway": _paths(gateway_health_router)}

    for component, deployment in _rounds_deployments(each_rendering).items():
        container = _container(deployment)
        probes = {kind: container[f"{kind}Probe"]["httpGet"] for kind in ("liveness", "readiness", "startup")}
        kind = "gateway" if component == "gateway" else "service"
        for probe in probes.values():
            assert probe["path"] in served[kind]
            assert probe["port"] == "http"
        assert probes["liveness"]["path"] == "/healthz"
        # A service is ready when its database and the broker answer; the gateway when it serves HTTP,
        # because its /readyz fans out to every service (see values.yaml).
        assert probes["readiness"]["path"] == ("/healthz" if component == "gateway" else "/readyz")


def test_strimzi_topics_are_the_declared_topics(rendered: dict[str, Rendered], topology: Topology) -> None:
    production = rendered["production"]
    topics = {doc["spec"]["topicName"]: doc for doc in production.of_kind("KafkaTopic")}

    assert not rendered["default"].of_kind("KafkaTopic"), "Strimzi topics are opt-in"
    assert sorted(topics) == sorted(t.name for t in topology.topics)
    for declared in topology.topics:
        topic = topics[declared.name]
        assert topic["spec"]["config"]["retention.ms"] == declared.retention_ms
        assert topic["spec"]["partitions"] >= declared.partitions
        assert topic["metadata"]["annotations"]["rounds/key"] == declared.key
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "rounds"


def test_values_schema_names_exactly_the_components(topology: Topology) -> None:
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    enum = schema["properties"]["components"]["propertyNames"]["enum"]

    assert sorted(enum) == sorted(component_names(topology))


def test_migrations_job_gets_every_service_database_url(each_rendering: Rendered, topology: Topology) -> None:
    job = each_rendering.named("Job", f"{each_rendering.fullname}-migrate")
    container = _container(job)

    assert container["args"] == ["migrate", "all"]
    expected = {f"ROUNDS_{s.name.upper()}_DATABASE_URL" for s in topology.services}
    assert expected <= env_list_names(container["env"])
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"


# (helm arguments, the issuer, the Secret with the issuer's key, the Secret with the partner clients)
GATEWAY_FILES = {
    "default": ([], None, None, None),
    "shared-issuer-key": (
        ["--set", "gateway.issuerKeySecret.name=rounds-issuer-key,components.gateway.replicas=3"],
        None,
        "rounds-issuer-key",
        None,
    ),
    "production-with-partners": (
        ["--values", str(PRODUCTION_VALUES)],
        "https://login.care.example.org/realms/rounds",
        None,
        "rounds-partner-clients",
    ),
}


@pytest.mark.parametrize("case", list(GATEWAY_FILES))
def test_the_gateway_reads_its_key_and_partners_where_the_chart_mounts_them(
    helm: Path, rendered_dir: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra, issuer, key_secret, partners_secret = GATEWAY_FILES[case]
    rendered = render_with(helm, rendered_dir / f"gateway-{case}", "demo", extra)
    deployment = rendered.component("Deployment", "gateway")
    pod = deployment["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounted = {
        f"{mount['mountPath']}/{item['path']}": source["secret"]["name"]
        for mount in _container(deployment)["volumeMounts"]
        for source in volumes[mount["name"]].get("projected", {}).get("sources", [])
        for item in source["secret"]["items"]
    }
    with monkeypatch.context() as patch:
        for name, value in _environment(rendered, deployment).items():
            patch.setenv(name, value)
        gateway = GatewaySettings()

    assert gateway.oidc_issuer == issuer
    if key_secret:
        # Every replica signs and checks with the one key in the Secret.
        assert mounted[str(key_path(gateway.data_dir))] == key_secret
    elif issuer is None:
        # Its own key in the pod's writable /tmp: the chart allows only one replica then.
        assert str(key_path(gateway.data_dir)).startswith("/tmp/")
        assert deployment["spec"]["replicas"] == 1
    if partners_secret:
        assert mounted[str(gateway.partner_clients_path)] == partners_secret
    else:
        assert str(gateway.partner_clients_path) not in mounted
