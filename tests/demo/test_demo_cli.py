"""``rounds demo`` and ``rounds bench demo`` through Typer, as a person runs them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from typer.testing import CliRunner

from rounds.bench import bench_app
from rounds.demo.cli import demo_app
from rounds.demo.generator import generate
from rounds.embedded.ports import find_free_port

runner = CliRunner(env={"COLUMNS": "160", "ROUNDS_NO_PROGRESS": "1"})


def test_show_prints_each_locality_and_writes_the_provider(tmp_path: Path) -> None:
    out = tmp_path / "provider.json"
    result = runner.invoke(
        demo_app, ["show", "--size", "medium", "--seed", "3", "--as-of", "2026-11-23", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for town in ("Harrogate", "Knaresborough", "Ripon", "Skipton"):
        assert town in result.output
    assert "07:00-22:00" in result.output
    written = json.loads(out.read_text())
    expected = generate("medium", 3, date(2026, 11, 23))
    assert len(written["workers"]) == 500
    assert written["individuals"][0]["nhs_number"] == expected.individuals[0].nhs_number


def test_unknown_size_is_refused_naming_the_sizes() -> None:
    result = runner.invoke(demo_app, ["show", "--size", "enormous"])
    assert result.exit_code == 2
    assert "tiny, small, medium, large, national" in result.output


def test_load_says_clearly_when_no_gateway_is_up(tmp_path: Path) -> None:
    gateway = f"http://127.0.0.1:{find_free_port()}"
    result = runner.invoke(
        demo_app,
        ["load", "--size", "tiny", "--gateway", gateway, "--token", "x"],
        env={"ROUNDS_NO_PROGRESS": "1"},
    )
    assert result.exit_code == 1
    assert f"No gateway answers at {gateway}" in result.output
    assert "rounds up" in result.output


def test_load_without_a_key_or_token_says_where_to_find_one(tmp_path: Path) -> None:
    result = runner.invoke(
        demo_app,
        ["load", "--size", "tiny", "--data-dir", str(tmp_path / "nowhere")],
        env={"ROUNDS_TOKEN": ""},
    )
    assert result.exit_code == 1
    assert "No issuer key" in result.output
    assert "--data-dir" in result.output


def test_bench_demo_smoke_writes_json_with_the_machine(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    app = typer.Typer()
    app.add_typer(bench_app)
    result = runner.invoke(
        app, ["bench", "demo", "--size", "tiny", "--size", "small", "--repeat", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Peak MiB" in result.output
    document = json.loads(out.read_text())
    assert document["machine"]["cores"] >= 1
    rows = {row["size"]: row for row in document["results"]}
    assert rows["tiny"]["workers"] == 12
    assert rows["small"]["workers"] == 50
    assert rows["small"]["peak_bytes"] > rows["tiny"]["peak_bytes"] > 0
    assert rows["small"]["seconds"] > 0
