"""The `rounds` command line: its answers to mistakes, the topic table and the foreground broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rounds.cli import app
from rounds.embedded.ports import find_free_port, is_port_free
from rounds.infra.topology import load_topology

runner = CliRunner()


def test_topics_lists_every_declared_topic_with_its_retention_in_days() -> None:
    result = runner.invoke(app, ["topics"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    for topic in load_topology().topics:
        assert topic.name in result.output
    assert "14 days" in result.output
    assert "30 days" in result.output


def test_serving_an_unknown_component_names_the_valid_ones() -> None:
    result = runner.invoke(app, ["serve", "payroll"], env={"COLUMNS": "200"})

    assert result.exit_code == 2
    assert "people, rota, visits, supervision, alerts, gateway" in result.output


def test_migrating_an_unknown_service_names_the_valid_ones() -> None:
    result = runner.invoke(app, ["migrate", "gateway"], env={"COLUMNS": "200"})

    assert result.exit_code == 2
    assert "people, rota, visits, supervision, alerts, all" in result.output


def test_a_malformed_service_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["up", "--data-dir", str(tmp_path), "--service-port", "rota:9102"], env={"COLUMNS": "200"}
    )

    assert result.exit_code == 2
    assert "SERVICE=PORT" in result.output
    assert not (tmp_path / "logs").exists()


def test_the_cli_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rounds.cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    for command in ("up", "serve", "migrate", "broker", "topics"):
        assert command in result.stdout


@pytest.mark.integration
def test_the_foreground_broker_prints_its_address_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = find_free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rounds.cli", "broker", "--port", str(port), "--log-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert f"KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:{port}" in first_line
        assert not is_port_free(port)

        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, rest
    assert "Broker stopped." in rest
    assert is_port_free(port)
    assert (tmp_path / "broker.log").exists()
