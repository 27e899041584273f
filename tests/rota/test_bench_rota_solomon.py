"""Smoke test of ``rounds bench rota-solomon`` on a tiny VRPLIB instance written here (none is shipped)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rounds.bench.rota_solomon import read_instance
from rounds.cli import app

TINY = """NAME : TINY
TYPE : CVRPTW
DIMENSION : 4
VEHICLES : 2
CAPACITY : 10
SERVICE_TIME : 1
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 3 4
3 6 8
4 0 5
DEMAND_SECTION
1 0
2 4
3 4
4 4
TIME_WINDOW_SECTION
1 0 100
2 0 50
3 0 60
4 0 50
DEPOT_SECTION
1
-1
EOF
"""


def test_a_vrplib_instance_is_read_with_dimacs_scaling(tmp_path: Path) -> None:
    (tmp_path / "TINY.vrp").write_text(TINY)
    (tmp_path / "TINY.sol").write_text("Route #1: 1 2\nRoute #2: 3\nCost 30.0\n")
    instance = read_instance(tmp_path / "TINY.vrp")
    assert instance.best_known == 30.0
    assert len(instance.problem.visits) == 3
    assert instance.problem.visits[0].duration == 10  # service time x10
    assert instance.problem.matrix("car")[0][1] == 50  # (3,4) to (6,8): 5 units, x10


def test_the_solomon_benchmark_solves_and_reports_the_gap(tmp_path: Path) -> None:
    (tmp_path / "TINY.vrp").write_text(TINY)
    (tmp_path / "TINY.sol").write_text("Cost 30.0\n")
    output = tmp_path / "out.json"
    result = CliRunner().invoke(
        app,
        ["bench", "rota-solomon", "--data", str(tmp_path), "--time-limit", "0.3", "--output", str(output)],
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(output.read_text())["results"]
    assert row["service"]["unallocated"] == 0
    assert row["service"]["hard_violations"] == 0
    assert row["service"]["distance"] <= row["greedy"]["distance"]
    assert row["service"]["gap_pct"] is not None
