"""Smoke test of the alert latency benchmark at a tiny size (the real run is on demand)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from services.alerts.bench import register

pytestmark = pytest.mark.integration


def test_the_benchmark_measures_every_alert_stored_and_dispatched(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps "alerts" a named subcommand
    out = tmp_path / "result.json"
    result = CliRunner().invoke(app, ["alerts", "--visits", "3", "--rate", "20", "--output", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert figures["visits"] == 3
    assert 0 < figures["stored_s"]["p50"] <= figures["dispatched_s"]["p50"] < 30
    assert figures["machine"]["cores"] >= 1
    assert "dispatched" in result.output
