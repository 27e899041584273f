"""``rounds simulate``'s command line: clear errors before anything is sent, and the apps' requests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from typer.testing import CliRunner

from rounds.auth.issuer import load_or_create_signing_key
from rounds.demo.day import ActionKind, WorkerAction
from rounds.demo.model import Point
from rounds.embedded.ports import find_free_port
from rounds.simulate.cli import simulate_app
from rounds.simulate.driver import record_id, request_for

runner = CliRunner()
AT = datetime(2026, 11, 23, 9, 3, tzinfo=UTC)


def test_no_gateway_is_a_clear_error(tmp_path: Path) -> None:
    load_or_create_signing_key(tmp_path)
    port = find_free_port()
    result = runner.invoke(
        simulate_app,
        ["--gateway", f"http://127.0.0.1:{port}", "--data-dir", str(tmp_path)],
        env={"ROUNDS_NO_PROGRESS": "1"},
    )
    assert result.exit_code == 1
    assert "No gateway answers" in result.output
    assert "rounds up" in result.output


def test_no_issuer_key_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(simulate_app, ["--data-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "--data-dir" in result.output


def test_bad_options_name_the_option() -> None:
    assert "--size" in runner.invoke(simulate_app, ["--size", "galactic"]).output
    assert "--date" in runner.invoke(simulate_app, ["--date", "23/11/2026"]).output


def test_a_check_in_is_a_gps_record_with_the_device_time_and_a_stable_id() -> None:
    action = WorkerAction(AT, AT, ActionKind.CHECK_IN, "w-1", "v-1", Point(54.0, -1.5), 12.0)
    rid = record_id(date(2026, 11, 23), 7, action, 1)
    assert rid == record_id(date(2026, 11, 23), 7, action, 1)
    assert rid != record_id(date(2026, 11, 23), 8, action, 1)
    uuid.UUID(rid)
    request = request_for(action, rid)
    assert request is not None
    path, body = request
    assert path == "/v1/visits/visits/v-1/check-in"
    assert body == {
        "record_id": rid,
        "occurred_at": "2026-11-23T09:03:00+00:00",
        "method": "gps",
        "position": {"lat": 54.0, "lon": -1.5, "accuracy_m": 12.0},
    }


def test_a_declined_task_carries_its_reason_and_the_sick_call_goes_elsewhere() -> None:
    refused = WorkerAction(AT, AT, ActionKind.TASK_REFUSED, "w-1", "v-1", detail="medication: declined today")
    request = request_for(refused, "r")
    assert request is not None
    assert request[1]["task"] == "medication"
    assert request[1]["outcome"] == "refused"
    assert request[1]["reason"] == "declined today"
    assert request_for(WorkerAction(AT, AT, ActionKind.REPORT_SICK, "w-1"), "r") is None
