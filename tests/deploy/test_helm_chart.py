"""The Helm chart lints, renders valid Kubernetes objects, passes checkov, and is locked down as intended."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_tools import (
    CHART,
    CHECKOV,
    KUBERNETES_VALIDATE,
    NAMESPACE,
    REPO,
    VALUE_SETS,
    Rendered,
    prometheus_metric_names,
    uv_tool,
)

from rounds.infra.topology import Topology

# Kubernetes versions the rendered objects must be valid for: the oldest the chart supports
# (Chart.yaml kubeVersion) and a current one.
KUBERNETES_VERSIONS = ("1.27.0", "1.33.0")
# Custom resources of operators the chart can use; kubernetes-validate has no schema for them, so
# test_custom_resources_have_the_fields_their_operators_need checks them.
CUSTOM_KINDS = {"KafkaTopic", "ServiceMonitor"}

# checkov checks skipped, each with the reason it does not apply. Anything else that fails, fails the test.
CHECKOV_SKIPS = {
    "CKV_K8S_43": (
        "Image should use digest: the chart takes image.digest and then runs repository@digest; its defaults "
        "cannot know the digest of the image an operator builds, so they render a pinned tag."
    ),
    "CKV_K8S_35": (
        "Secrets as files, not environment variables: each service reads its database URL from "
        "ROUNDS_<SERVICE>_DATABASE_URL (pydantic-settings, rounds/infra/settings.py). It comes from an "
        "existing Secret through secretKeyRef, never from a manifest or a ConfigMap; reading it from a file "
        "needs a change to the shared settings (docs/deploy.md)."
    ),
}
# Only for checkov's own rendering of the chart (--framework helm), which renders without --namespace.
CHECKOV_HELM_ONLY_SKIPS = {
    "CKV_K8S_21": (
        "The default namespace: every template sets metadata.namespace to the release namespace; checkov's "
        "helm rendering has no --namespace, and the scan of the manifests rendered with one runs this check."
    ),
}


def _helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_chart_lints_clean(helm: Path, value_set: str) -> None:
    _, extra = VALUE_SETS[value_set]
    result = _helm(helm, "lint", "--strict", str(CHART), "--namespace", NAMESPACE, *extra)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ("components.rotaa.replicas=2", "components"),
        ("kafka.ports[0]=kafka", "kafka.ports.0"),
        ("componentDefaults.probes.readiness.path=readyz", "path"),
        (
            "kafka.strimziTopics.enabled=true,kafka.strimziTopics.partitions.rounds\\.rota\\.visits=1",
            "partitions",
        ),
        # Each gateway pod would make its own key and refuse the tokens of the others.
        ("components.gateway.replicas=2", "gateway.issuerKeySecret"),
        ("components.gateway.autoscaling.enabled=true", "gateway.issuerKeySecret"),
        # The gateway refuses to start with an issuer but no keys (gateway/settings.py).
        ("gateway.oidc.issuer=https://idp.example.org", "gateway.oidc.jwksUrl"),
    ],
)
def test_chart_refuses_values_that_cannot_work(helm: Path, override: str, complaint: str) -> None:
    result = _helm(helm, "template", "r", str(CHART), "--set", override)

    assert result.returncode != 0
    assert complaint in result.stderr


@pytest.mark.integration
def test_rendered_objects_are_valid_kubernetes(rendered: dict[str, Rendered]) -> None:
    files = sorted(str(path) for r in rendered.values() for path in r.directory.rglob("*.yaml"))
    for version in KUBERNETES_VERSIONS:
        result = uv_tool(
            KUBERNETES_VALIDATE, "kubernetes-validate", "--strict", "--quiet", "-k", version, *files
        )
        lines = (result.stdout + result.stderr).splitlines()
        not_custom = [line for line in lines if not any(f"kind {kind} " in line for kind in CUSTOM_KINDS)]

        assert result.returncode == 0, "\n".join(lines)
        # The only objects it cannot check are the operators' custom resources (checked below).
        assert not_custom == [], "\n".join(not_custom)


def test_custom_resources_have_the_fields_their_operators_need(rendered: dict[str, Rendered]) -> None:
    production = rendered["production"]
    for topic in production.of_kind("KafkaTopic"):
        assert topic["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert set(topic["spec"]) == {"topicName", "partitions", "replicas", "config"}
        assert isinstance(topic["spec"]["partitions"], int)
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == 2
    (monitor,) = production.of_kind("ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    collector = production.component("Service", "otel-collector")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= collector["metadata"]["labels"].items()
    assert "metrics" in {port["name"] for port in collector["spec"]["ports"]}


def _failed_checks(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """checkov's failed checks from its JSON report, after making sure it did scan something."""
    assert result.stdout.strip(), result.stderr
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    for report in reports:
        summary = report["summary"]
        assert summary["parsing_errors"] == 0, summary
        assert summary["resource_count"] > 0, summary
    return [
        {"check": c["check_id"], "resource": c["resource"], "file": c["file_path"]}
        for report in reports
        for c in report["results"]["failed_checks"]
    ]


CHECKOV_OPTIONS = ("--quiet", "--compact", "--skip-download", "--output", "json")


@pytest.mark.integration
def test_checkov_finds_nothing_in_the_rendered_manifests_or_the_dockerfile(
    rendered: dict[str, Rendered], tmp_path: Path
) -> None:
    # One checkov run (its start-up is most of its time): both renderings and the Dockerfile.
    for rendering in rendered.values():
        shutil.copytree(rendering.directory, tmp_path / rendering.name)
    shutil.copyfile(REPO / "Dockerfile", tmp_path / "Dockerfile")

    result = uv_tool(
        CHECKOV, "checkov", "--directory", str(tmp_path), "--framework", "kubernetes", "dockerfile",
        *CHECKOV_OPTIONS, "--skip-check", ",".join(CHECKOV_SKIPS),
    )  # fmt: skip

    reports = json.loads(result.stdout)
    assert sorted(report["check_type"] for report in reports) == ["dockerfile", "kubernetes"]
    assert _failed_checks(result) == []


@pytest.mark.integration
def test_checkov_finds_nothing_in_the_chart(helm: Path, tmp_path: Path) -> None:
    skips = ",".join([*CHECKOV_SKIPS, *CHECKOV_HELM_ONLY_SKIPS])
    # The chart as `helm package` stores it: files/topology.yaml's link replaced by its content. checkov
    # takes helm's warning about a followed link for a failure and would scan nothing.
    chart = tmp_path / "rounds"
    shutil.copytree(CHART, chart, symlinks=False)

    # checkov renders the chart itself, with the helm it finds on PATH.
    result = uv_tool(
        CHECKOV, "checkov", "--directory", str(chart), "--framework", "helm", *CHECKOV_OPTIONS,
        "--skip-check", skips, path_first=helm.parent,
    )  # fmt: skip

    assert _failed_checks(result) == []


def _pod_specs(rendered: Rendered) -> dict[str, dict[str, Any]]:
    return {
        f"{doc['kind']}/{doc['metadata']['name']}": doc["spec"]["template"]["spec"]
        for doc in rendered.documents
        if doc["kind"] in ("Deployment", "Job")
    }


def test_every_pod_runs_non_root_read_only_without_capabilities_or_token(each_rendering: Rendered) -> None:
    for name, pod in _pod_specs(each_rendering).items():
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        account = each_rendering.named("ServiceAccount", pod["serviceAccountName"])
        assert account["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"] == {"drop": ["ALL"]}, name
            assert security["runAsUser"] >= 10000, name
            assert container["resources"]["requests"], name
            assert container["resources"]["limits"], name


def test_only_the_gateway_is_reachable_from_outside(each_rendering: Rendered, topology: Topology) -> None:
    policies = {doc["metadata"]["name"]: doc["spec"] for doc in each_rendering.of_kind("NetworkPolicy")}
    deny = policies[f"{each_rendering.fullname}-default-deny"]
    gateway_selector = {
        "podSelector": {
            "matchLabels": each_rendering.component("Deployment", "gateway")["spec"]["selector"][
                "matchLabels"
            ]
        }
    }

    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny
    assert "egress" not in deny
    for service in topology.services:
        policy = policies[f"{each_rendering.fullname}-{service.name}"]
        assert policy["ingress"] == [
            {"ports": [{"port": "http", "protocol": "TCP"}], "from": [gateway_selector]}
        ]
    gateway = policies[f"{each_rendering.fullname}-gateway"]
    assert gateway["ingress"][0]["ports"] == [{"port": "http", "protocol": "TCP"}]


def test_pods_reach_only_dns_the_collector_their_database_and_kafka_or_the_services(
    each_rendering: Rendered, topology: Topology
) -> None:
    policies = {doc["metadata"]["name"]: doc["spec"] for doc in each_rendering.of_kind("NetworkPolicy")}
    # Only what a component's extraEgress adds besides (the production example: rota's route server).
    extra = {"rota": {5000}} if each_rendering.name == "production" else {}
    for service in topology.services:
        egress = policies[f"{each_rendering.fullname}-{service.name}"]["egress"]
        ports = {port["port"] for rule in egress for port in rule["ports"]}
        assert ports == {53, 4318, 5432, 9092} | extra.get(service.name, set()), service.name
    gateway_egress = policies[f"{each_rendering.fullname}-gateway"]["egress"]
    gateway_ports = {port["port"] for rule in gateway_egress for port in rule["ports"]}
    # The audit trail's database, and the identity provider's keys (HTTPS) where the values name one.
    identity_provider = {443} if each_rendering.name == "production" else set()
    assert gateway_ports == {53, 4318, 5432} | identity_provider | {s.port for s in topology.services}


def test_migrations_run_as_a_hook_before_the_pods_with_their_own_account_and_policy(
    each_rendering: Rendered,
) -> None:
    name = f"{each_rendering.fullname}-migrate"
    job = each_rendering.named("Job", name)
    account = each_rendering.named("ServiceAccount", name)
    policy = each_rendering.named("NetworkPolicy", name)

    for hooked in (job, account, policy):
        assert hooked["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    # The account and the policy exist before the Job's pod starts.
    assert int(account["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"]
    )
    assert {port["port"] for rule in policy["spec"]["egress"] for port in rule["ports"]} == {53, 5432}


def test_production_example_scales_out_and_keeps_pods_through_disruptions(
    rendered: dict[str, Rendered],
) -> None:
    production = rendered["production"]
    autoscaled = {
        doc["spec"]["scaleTargetRef"]["name"] for doc in production.of_kind("HorizontalPodAutoscaler")
    }
    budgets = {doc["metadata"]["name"] for doc in production.of_kind("PodDisruptionBudget")}

    assert f"{production.fullname}-visits" in autoscaled
    assert f"{production.fullname}-gateway" in autoscaled
    for name in autoscaled:
        assert "replicas" not in production.named("Deployment", name)["spec"], (
            "the HPA owns the replica count"
        )
        assert name in budgets
    (ingress,) = production.of_kind("Ingress")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == f"{production.fullname}-gateway"


def test_dashboards_use_only_metrics_the_code_records() -> None:
    known = prometheus_metric_names() | {
        # The FastAPI instrumentation's histogram, with OTEL_SEMCONV_STABILITY_OPT_IN=http.
        "http_server_request_duration_seconds_bucket",
        "http_server_request_duration_seconds_count",
        "http_server_request_duration_seconds_sum",
    }
    dashboards = sorted((CHART / "dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        expressions = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
        used = {word for expr in expressions for word in _metric_names(expr)}
        assert used, path.name
        assert used <= known, f"{path.name} asks for metrics nothing records: {sorted(used - known)}"


def test_dashboards_chart_visit_status_counts_and_alert_latency_of_real_consumer_groups(
    topology: Topology,
) -> None:
    expressions = [
        target["expr"]
        for path in sorted((CHART / "dashboards").glob("*.json"))
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]
        for target in panel.get("targets", [])
    ]
    # EventConsumer's group is rounds.<service> (rounds/infra/consumer.py).
    groups = {f"rounds.{service.name}" for service in topology.services}
    named = {group for expr in expressions for group in re.findall(r'consumer="([^"]+)"', expr)}

    assert any("rounds_outbox_published_total" in e and "rounds\\\\.visit" in e for e in expressions)
    assert any('rounds_consumer_event_age_seconds_bucket{consumer="rounds.alerts"}' in e for e in expressions)
    assert named
    assert named <= groups, f"no consumer group {sorted(named - groups)}"


def _metric_names(expression: str) -> set[str]:
    return set(re.findall(r"\b((?:rounds|http_server)_[a-z_]+)\b", expression))


def test_compose_and_the_chart_provision_the_same_dashboards() -> None:
    compose = (REPO / "compose.yaml").read_text(encoding="utf-8")

    assert "./deploy/helm/rounds/dashboards:/var/lib/grafana/dashboards:ro" in compose


DIGEST = "sha256:" + "0123456789abcdef" * 4


def _template(helm: Path, *sets: str) -> list[dict[str, Any]]:
    arguments = [f"--set={value}" for value in sets]
    result = _helm(helm, "template", "r", str(CHART), "--namespace", NAMESPACE, *arguments)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _kinds(documents: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for doc in documents:
        found.setdefault(doc["kind"], []).append(doc)
    return found


def _platform(documents: list[dict[str, Any]]) -> dict[str, str]:
    (config,) = [
        d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "r-rounds-platform"
    ]
    data: dict[str, str] = config["data"]
    return data


def _egress_ports(documents: list[dict[str, Any]], name: str) -> set[int]:
    (policy,) = [d for d in documents if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == name]
    return {port["port"] for rule in policy["spec"]["egress"] for port in rule["ports"]}


def test_without_the_collector_nothing_is_exported_and_no_egress_opens_for_it(helm: Path) -> None:
    documents = _template(helm, "collector.enabled=false")

    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in _platform(documents)
    assert "r-rounds-otel-collector" not in {d["metadata"]["name"] for d in documents}
    assert _egress_ports(documents, "r-rounds-people") == {53, 5432, 9092}


def test_an_external_collector_gets_the_telemetry_and_the_egress(helm: Path) -> None:
    documents = _template(
        helm, "collector.enabled=false", "telemetry.otlpEndpoint=http://otel.monitoring:4318"
    )

    assert _platform(documents)["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel.monitoring:4318"
    assert "r-rounds-otel-collector" not in {d["metadata"]["name"] for d in documents}
    assert _egress_ports(documents, "r-rounds-people") == {53, 4318, 5432, 9092}


def test_options_switch_their_objects_off_and_on(helm: Path) -> None:
    assert "NetworkPolicy" not in _kinds(_template(helm, "networkPolicy.enabled=false"))
    assert "Job" not in _kinds(_template(helm, "migrations.enabled=false"))
    (ingress,) = _kinds(_template(helm, "ingress.enabled=true"))["Ingress"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "r-rounds-gateway", "port": {"number": 8000}}


def test_a_digest_pins_every_rounds_container(helm: Path) -> None:
    documents = _template(helm, f"image.digest={DIGEST}")
    images = {
        container["image"]
        for doc in documents
        if doc["kind"] in ("Deployment", "Job")
        for container in doc["spec"]["template"]["spec"]["containers"]
        if container["name"] != "otel-collector"
    }

    assert images == {f"rounds@{DIGEST}"}


def test_dashboards_load_in_grafana_as_one_folder_without_clashes() -> None:
    dashboards = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted((CHART / "dashboards").glob("*.json"))
    ]
    uids = [dashboard["uid"] for dashboard in dashboards]

    assert len(set(uids)) == len(uids)
    for dashboard in dashboards:
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(set(ids)) == len(ids), dashboard["uid"]
        # Panels tile the 24-column grid without covering each other.
        cells: set[tuple[int, int]] = set()
        for panel in dashboard["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, panel["title"]
            covered = {
                (x, y)
                for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])
            }
            assert not covered & cells, f"{dashboard['uid']}: {panel['title']} covers another panel"
            cells |= covered
            # Every query asks the Prometheus the viewer picked (compose's, or the cluster's).
            for target in panel.get("targets", []):
                assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
