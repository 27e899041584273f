"""The benchmark charts: PNGs drawn from figures, and refused when there is nothing to draw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rounds.bench._charts import cdf_chart, line_chart
from rounds.cli import app

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> bool:
    # 9 x 5 inches at 110 dpi with lines and text: tens of kB; a blank or broken file is far smaller.
    return path.read_bytes()[:8] == PNG_MAGIC and 10_000 < path.stat().st_size < 1_000_000


def test_a_line_chart_is_a_png_in_a_folder_it_creates(tmp_path: Path) -> None:
    path = tmp_path / "new" / "lines.png"
    written = line_chart(
        path,
        "Latency at rising load",
        "offered events/s",
        "ms",
        {"p50": [(25, 4.0), (50, 5.0), (100, 9.0)], "p99": [(25, 20.0), (50, 40.0), (100, 400.0)]},
        log_y=True,
        note="2 cores, 7.7 GiB",
    )
    assert written == path
    assert _is_png(path)


def test_a_cdf_chart_is_a_png(tmp_path: Path) -> None:
    path = cdf_chart(
        tmp_path / "cdf.png",
        "Lag",
        "ms",
        {"alerts": [float(n) for n in range(1, 200)], "visits": [5.0, 7.0, 900.0]},
        note="quick run",
        marks=[1000.0],
    )
    assert _is_png(path)


def test_nothing_to_draw_is_refused_naming_what_is_empty(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no series"):
        line_chart(tmp_path / "a.png", "t", "x", "y", {})
    with pytest.raises(ValueError, match="series with no points: p99"):
        line_chart(tmp_path / "b.png", "t", "x", "y", {"p50": [(1.0, 2.0)], "p99": []})
    with pytest.raises(ValueError, match="no sample sets"):
        cdf_chart(tmp_path / "c.png", "t", "x", {})
    with pytest.raises(ValueError, match="sample sets with no values: lag"):
        cdf_chart(tmp_path / "d.png", "t", "x", {"lag": []})
    assert not list(tmp_path.iterdir())


def _step(offered: int, accepted: float, p50: float, p95: float, p99: float) -> dict[str, Any]:
    return {"offered_per_s": offered, "accepted_per_s": accepted, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99}


def _ingest_json(path: Path) -> Path:
    # The keys rounds bench ingest writes (the few the charts read, and the machine facts).
    result = {
        "benchmark": "telemetry ingest through the gateway",
        "database": "sqlite",
        "step_seconds": 5.0,
        "steps": [
            _step(25, 25.0, 6.1, 9.0, 14.2),
            _step(50, 49.8, 7.0, 12.5, 30.1),
            _step(100, 81.0, 90, 400, 950),
        ],
        "machine": {"cores": 2, "memory_bytes": 8 * 2**30, "python": "3.11.9", "platform": "Linux"},
        "ran_at": "2026-11-23T17:00:00+00:00",
    }
    path.write_text(json.dumps(result), encoding="utf-8")
    return path


def test_rounds_bench_chart_draws_ingest_latency_and_throughput_into_a_folder(tmp_path: Path) -> None:
    source = _ingest_json(tmp_path / "bench-ingest.json")
    out = tmp_path / "img"
    result = CliRunner().invoke(app, ["bench", "chart", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == [
        "bench-ingest-latency.png",
        "bench-ingest-throughput.png",
    ]
    assert all(_is_png(path) for path in out.iterdir())


def test_a_png_out_names_each_chart_after_it(tmp_path: Path) -> None:
    source = _ingest_json(tmp_path / "run.json")
    result = CliRunner().invoke(app, ["bench", "chart", str(source), "--out", str(tmp_path / "quick.png")])
    assert result.exit_code == 0, result.output
    assert _is_png(tmp_path / "quick-latency.png")
    assert _is_png(tmp_path / "quick-throughput.png")


def test_a_benchmark_without_charts_is_refused_naming_those_with_them(tmp_path: Path) -> None:
    source = tmp_path / "rota.json"
    source.write_text(json.dumps({"benchmark": "rota solver", "steps": []}), encoding="utf-8")
    result = CliRunner().invoke(app, ["bench", "chart", str(source)])
    assert result.exit_code == 1
    said = " ".join(result.output.split())  # rich wraps the line at the terminal's width
    assert "no charts for benchmark 'rota solver'" in said
    assert "charts exist for: 'alert-latency', 'day', 'telemetry ingest through the gateway'" in said
    assert not list(tmp_path.glob("*.png"))


def test_the_ingest_charts_are_keyed_by_the_name_rounds_bench_ingest_writes() -> None:
    # A renamed benchmark would leave `rounds bench ingest --chart` refusing its own JSON; the full run
    # needs a broker and half a minute, so the name is checked in the source it is written from.
    from rounds.bench import ingest
    from rounds.bench.charts import CHARTS, INGEST

    assert f'"benchmark": "{INGEST}"' in Path(ingest.__file__).read_text(encoding="utf-8")
    assert INGEST in CHARTS


def test_the_day_and_alert_latency_json_are_charted_too(tmp_path: Path) -> None:
    from rounds.bench.alert_latency import STAGES

    day = {
        "benchmark": "day", "visits": 24, "speed": 100.0, "accepted_per_s": 5.0, "machine": {"cores": 2},
        "series": {"lag rounds.alerts": [[0, 3], [1, 0], [2, 1]], "outbox visits": [[0, 0], [1, 4], [2, 0]]},
    }  # fmt: skip
    alerts = {
        "benchmark": "alert-latency", "visits": 100, "missed": 3, "database": "sqlite",
        "machine": {"cores": 2}, "load_average_after": [1.0, 1.0, 1.0],
        "samples_ms": {stage: [5.0 * (i + 1), 300.0, 900.0] for i, stage in enumerate(STAGES)},
    }  # fmt: skip
    for name, figures in (("day.json", day), ("alerts.json", alerts)):
        (tmp_path / name).write_text(json.dumps(figures), encoding="utf-8")
        result = CliRunner().invoke(app, ["bench", "chart", str(tmp_path / name), "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
    assert _is_png(tmp_path / "bench-day-lag.png")
    assert _is_png(tmp_path / "bench-alert-latency-cdf.png")
