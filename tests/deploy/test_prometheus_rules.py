"""The alerting rules load in Prometheus's shape, ask only for metrics the code records, and the chart
renders the same rules compose loads.

promtool is not on PyPI, so the file is checked as Prometheus reads it: groups of rules with an
``alert``, an ``expr``, a duration ``for``, a ``severity``; every metric name in an expression must be
one the platform exports (``prometheus_metric_names``, the names the dashboards test uses too).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from deploy_tools import CHART, NAMESPACE, REPO, prometheus_metric_names

RULES = REPO / "deploy" / "prometheus" / "rules.yml"
_DURATION = re.compile(r"^[0-9]+(ms|s|m|h|d)$")
# Prometheus's own words in an expression that look like metric names to the pattern below.
_PROMQL_WORDS = {"sum", "by", "max", "unless", "offset", "or", "increase", "rate"}


def _rules() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return loaded


def _alerts(groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def _metrics_in(expression: str) -> set[str]:
    # Strip label matchers, ranges and groupings first: {consumer="x"}, [10m], by (topic) name no metric.
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring)\s*\([^)]*\)", " ", expression)
    return {w for w in re.findall(r"\b[a-z_][a-z0-9_]*_[a-z0-9_]+\b", bare) if w not in _PROMQL_WORDS}


def test_rules_are_prometheus_rule_groups_with_a_severity_and_a_summary() -> None:
    groups = _rules()["groups"]

    assert groups
    assert len({g["name"] for g in groups}) == len(groups)
    for group in groups:
        assert set(group) == {"name", "rules"}
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert rule["expr"].strip()
            assert _DURATION.match(rule.get("for", "0m")), rule["alert"]
            assert rule["labels"]["severity"] in {"critical", "warning"}
            assert rule["annotations"]["summary"]
            # Balanced parentheses: the commonest way a hand-edited expression fails to load.
            depth = 0
            for character in rule["expr"]:
                depth += {"(": 1, ")": -1}.get(character, 0)
                assert depth >= 0, rule["alert"]
            assert depth == 0, rule["alert"]


def test_the_alerts_cover_dead_letters_lag_and_the_outbox_backlog() -> None:
    alerts = _alerts(_rules()["groups"])

    dead = alerts["RoundsDeadLetters"]
    # Any dead letter fires at once (no "for"), including the first of a series (the "unless" side).
    assert "for" not in dead
    assert "rounds_consumer_dead_lettered_total" in dead["expr"]
    assert "unless" in dead["expr"]
    assert dead["expr"].rstrip().endswith("> 0")
    assert "rounds_consumer_lag" in alerts["RoundsConsumerLagging"]["expr"]
    assert "rounds_outbox_backlog" in alerts["RoundsOutboxBacklog"]["expr"]


def test_every_expression_asks_for_metrics_the_code_records() -> None:
    known = prometheus_metric_names()
    for name, rule in _alerts(_rules()["groups"]).items():
        used = _metrics_in(rule["expr"])
        assert used, name
        assert used <= known, f"{name} asks for metrics nothing records: {sorted(used - known)}"


def test_the_metric_pattern_sees_a_misspelt_metric() -> None:
    # The check above must be able to fail: a near miss of a real name is caught.
    used = _metrics_in('sum by (consumer) (increase(rounds_consumer_deadlettered_total{topic="x"}[5m])) > 0')

    assert used == {"rounds_consumer_deadlettered_total"}
    assert not used <= prometheus_metric_names()


def test_compose_s_prometheus_loads_the_rules_file() -> None:
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    mounts = dict(
        volume.rsplit(":", 1)[0].split(":", 1) for volume in compose["services"]["prometheus"]["volumes"]
    )

    (rule_file,) = config["rule_files"]
    assert mounts["./deploy/prometheus/rules.yml"] == rule_file


def _template(helm: Path, *sets: str) -> list[dict[str, Any]]:
    arguments = [f"--set={value}" for value in sets]
    result = subprocess.run(
        [str(helm), "template", "r", str(CHART), "--namespace", NAMESPACE, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def test_the_chart_renders_the_same_rules_only_when_asked(helm: Path) -> None:
    assert not [d for d in _template(helm) if d["kind"] == "PrometheusRule"]

    documents = _template(helm, "prometheusRule.enabled=true", "prometheusRule.labels.release=kps")
    (rule,) = [d for d in documents if d["kind"] == "PrometheusRule"]

    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["namespace"] == NAMESPACE
    assert rule["metadata"]["labels"]["release"] == "kps"
    # The same groups, Prometheus's {{ $labels }} templates included (helm must not have read them).
    assert rule["spec"]["groups"] == _rules()["groups"]
