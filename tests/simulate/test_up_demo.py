"""``rounds up --demo`` (opt-in): the plan gains one demo child pointed at the gateway; off by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from rounds.embedded.plan import UpOptions, UpPlan, build_plan
from rounds.infra.topology import load_topology
from rounds.simulate.live import main

DATA = Path("/tmp/rounds-demo-plan")


def _plan(demo: bool) -> UpPlan:
    options = UpOptions(data_dir=DATA, gateway_port=18123, demo=demo)
    return build_plan(
        load_topology(), options, {"PATH": "/usr/bin"}, python="/py", embedded_broker_port=19092
    )


def test_without_the_flag_there_is_no_demo_child() -> None:
    assert _plan(False).demo is None


def test_the_demo_child_loads_and_simulates_through_the_gateway() -> None:
    demo = _plan(True).demo
    assert demo is not None
    assert demo.command == ("/py", "-m", "rounds.simulate.live", "--gateway", "http://127.0.0.1:18123")
    assert demo.env["ROUNDS_DATA_DIR"] == str(DATA)
    assert demo.env["ROUNDS_NO_PROGRESS"] == "1"
    assert demo.log_path == DATA / "logs" / "demo.log"


def test_the_live_entry_point_parses_its_arguments() -> None:
    # --help exits before anything starts: the module imports and its options exist.
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
