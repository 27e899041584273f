"""`rounds up`'s supervisor running stand-in processes: start, report failures, stop everything."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from rounds.embedded.plan import ChildPlan, ComponentPlan, UpPlan
from rounds.embedded.ports import find_free_port, is_port_free
from rounds.embedded.supervisor import Supervisor

pytestmark = pytest.mark.integration

FAKE = str(Path(__file__).with_name("fake_component.py"))


def _component(tmp_path: Path, name: str, mode: str, taken: set[int]) -> ComponentPlan:
    port = find_free_port(exclude=frozenset(taken))
    taken.add(port)
    return ComponentPlan(
        name=name,
        command=(sys.executable, FAKE, mode, str(port)),
        env=dict(os.environ),
        log_path=tmp_path / "logs" / f"{name}.log",
        port=port,
    )


def _migration(tmp_path: Path, name: str, code: int) -> ChildPlan:
    return ChildPlan(
        name=f"migrate {name}",
        command=(sys.executable, "-c", f"import sys; print('no such table: visit'); sys.exit({code})"),
        env=dict(os.environ),
        log_path=tmp_path / "logs" / f"migrate-{name}.log",
    )


def _plan(
    tmp_path: Path,
    modes: dict[str, str],
    *,
    migrations: tuple[ChildPlan, ...] = (),
    broker_port: int | None = None,
) -> UpPlan:
    taken: set[int] = set()
    components = tuple(_component(tmp_path, name, mode, taken) for name, mode in modes.items())
    return UpPlan(
        data_dir=tmp_path,
        logs_dir=tmp_path / "logs",
        bootstrap_servers=f"127.0.0.1:{broker_port}" if broker_port else "kafka.example:9092",
        embedded_broker_port=broker_port,
        migrations=migrations,
        components=components,
    )


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, color_system=None), out


def _when(condition: Callable[[], bool], then: Callable[[], None], within: float = 30.0) -> threading.Thread:
    """Run ``then`` in a thread once ``condition`` holds, so the test can act while run() blocks."""

    def wait() -> None:
        deadline = time.monotonic() + within
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)
        then()

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    return thread


def _all_ports_free(plan: UpPlan) -> bool:
    return all(is_port_free(c.port) for c in plan.components)


def test_sigterm_once_up_stops_every_child_and_the_broker_and_exits_zero(tmp_path: Path) -> None:
    plan = _plan(tmp_path, {"people": "serve", "gateway": "serve"}, broker_port=find_free_port())
    console, out = _console()
    supervisor = Supervisor(plan, console, timeout_seconds=20)
    _when(lambda: "Press Ctrl-C" in out.getvalue(), lambda: os.kill(os.getpid(), signal.SIGTERM))

    code = supervisor.run()

    assert code == 0, out.getvalue()
    text = out.getvalue()
    assert "Rounds is up" in text
    assert plan.gateway is not None
    assert plan.gateway.url in text
    assert f"{plan.gateway.url}/docs" in text
    assert "Rounds stopped." in text
    assert supervisor.broker is not None
    assert not supervisor.broker.is_running
    assert _all_ports_free(plan)


def test_a_component_that_crashes_on_start_is_named_with_its_log_and_the_rest_are_stopped(
    tmp_path: Path,
) -> None:
    plan = _plan(tmp_path, {"people": "serve", "rota": "crash", "gateway": "serve"})
    console, out = _console()

    code = Supervisor(plan, console, timeout_seconds=20).run()

    text = out.getvalue()
    assert code == 1
    assert "rota exited with code 2" in text
    assert "boom: cannot open the database" in text
    assert "rounds serve rota" in text
    assert _all_ports_free(plan)


def test_a_component_that_dies_while_running_stops_everything_with_a_failure(tmp_path: Path) -> None:
    plan = _plan(tmp_path, {"people": "serve", "visits": "once"})
    console, out = _console()

    code = Supervisor(plan, console, timeout_seconds=20).run()

    text = out.getvalue()
    assert code == 1
    assert "Rounds is up" in text
    assert "visits exited with code 3" in text
    assert _all_ports_free(plan)


def test_a_component_that_never_gets_ready_times_out_with_a_hint(tmp_path: Path) -> None:
    plan = _plan(tmp_path, {"alerts": "hang"})
    console, out = _console()

    code = Supervisor(plan, console, timeout_seconds=1).run()

    text = out.getvalue()
    assert code == 1
    assert f"did not answer GET {plan.components[0].ready_url} with 200 within 1 s" in text
    assert "--timeout" in text


def test_a_failed_migration_stops_the_start_before_any_service_runs(tmp_path: Path) -> None:
    migrations = (_migration(tmp_path, "people", 0), _migration(tmp_path, "visits", 1))
    plan = _plan(tmp_path, {"people": "serve"}, migrations=migrations)
    console, out = _console()

    code = Supervisor(plan, console, timeout_seconds=20).run()

    text = out.getvalue()
    assert code == 1
    assert "migrate visits exited with code 1" in text
    assert "no such table: visit" in text
    assert "rounds migrate visits" in text
    assert not (tmp_path / "logs" / "people.log").exists()


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    plan = _plan(tmp_path, {"people": "stubborn"})
    console, out = _console()
    supervisor = Supervisor(plan, console, timeout_seconds=20, stop_grace=0.5)
    _when(lambda: "Press Ctrl-C" in out.getvalue(), lambda: os.kill(os.getpid(), signal.SIGTERM))

    started = time.monotonic()
    assert supervisor.run() == 0
    assert time.monotonic() - started < 15
    assert _all_ports_free(plan)
