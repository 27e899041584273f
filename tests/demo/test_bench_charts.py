"""The benchmark charts: PNGs drawn from figures, and refused when there is nothing to draw."""

from __future__ import annotations

from pathlib import Path

import pytest

from rounds.bench._charts import cdf_chart, line_chart

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
