"""Smoke test of ``rounds bench rota`` at a tiny size (the real figures come from running it on demand)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rounds.cli import app


def test_the_rota_benchmark_plans_a_tiny_day_with_every_engine_and_writes_json(tmp_path: Path) -> None:
    output = tmp_path / "rota.json"
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "rota",
            "--sizes",
            "4x30",
            "--time-limit",
            "0.5",
            "--processes",
            "1",
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "service" in result.output
    report = json.loads(output.read_text())
    assert report["machine"]["cores"] >= 1
    (day,) = report["results"]
    assert set(day["engines"]) == {"greedy", "plain", "travel", "solver", "service"}
    for name in ("greedy", "travel", "solver", "service"):
        assert day["engines"][name]["hard_violations"] == 0, name
        assert day["engines"][name]["visits"] == 30
    assert day["engines"]["service"]["cost"] <= day["engines"]["greedy"]["cost"]
    assert day["repair"]["others_untouched"] is True
    travel, service = day["engines"]["travel"], day["engines"]["service"]
    expected = service["travel_per_allocation"] / travel["travel_per_allocation"] - 1
    assert abs(day["service_travel_over_travel_only"] - expected) < 1e-3
    assert "against travel alone with the same rules" in result.output
    assert day["repair"]["hard_violations"] == 0


def test_a_malformed_size_is_refused() -> None:
    result = CliRunner().invoke(app, ["bench", "rota", "--sizes", "ten-by-100"])
    assert result.exit_code != 0
    assert "WORKERSxVISITS" in result.output
