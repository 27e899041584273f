"""When the embedded broker cannot start, the error says why and what to do."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from rounds.embedded.broker import BrokerStartError, EmbeddedBroker, broker_command
from rounds.embedded.ports import find_free_port
from rounds.embedded.processes import describe_exit, log_tail


def test_the_broker_listens_and_advertises_on_loopback_in_memory() -> None:
    command = broker_command("/opt/tansu", 20555)

    assert command[:2] == ["/opt/tansu", "broker"]
    assert command[command.index("--listener-url") + 1] == "tcp://127.0.0.1:20555"
    assert command[command.index("--advertised-listener-url") + 1] == "tcp://127.0.0.1:20555"
    assert command[command.index("--storage-engine") + 1] == "memory://tansu/"


def test_a_port_held_by_another_process_is_named_with_the_way_out(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", find_free_port()))
        squatter.listen()
        port = squatter.getsockname()[1]
        broker = EmbeddedBroker(port, log_dir=tmp_path, start_timeout=0.3)

        with pytest.raises(BrokerStartError, match=rf"port {port} .* in use .*--broker-port"):
            broker.start()


def test_a_broker_that_exits_at_once_is_reported_with_its_log(tmp_path: Path) -> None:
    script = tmp_path / "broken-tansu"
    script.write_text("#!/bin/sh\necho 'error: storage engine unavailable'\nexit 4\n")
    script.chmod(0o755)
    broker = EmbeddedBroker(log_dir=tmp_path, binary=str(script))

    with pytest.raises(BrokerStartError, match=r"exited with code 4(.|\n)*storage engine unavailable"):
        broker.start()
    assert not broker.is_running


def test_a_broker_that_never_answers_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    script = tmp_path / "silent-tansu"
    script.write_text("#!/bin/sh\necho 'starting slowly'\nexec sleep 60\n")
    script.chmod(0o755)
    broker = EmbeddedBroker(log_dir=tmp_path, binary=str(script), start_timeout=0.5, stop_grace=1)

    with pytest.raises(BrokerStartError, match=r"did not answer(.|\n)*starting slowly"):
        broker.start()
    assert not broker.is_running


def test_a_log_tail_quotes_only_what_was_written_since_the_offset(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("old run\n")
    offset = log.stat().st_size
    with log.open("a") as out:
        out.writelines(f"line {n}\n" for n in range(40))

    tail = log_tail(log, 3, start_offset=offset)

    assert tail == "line 37\nline 38\nline 39"
    assert "is empty" in log_tail(log, start_offset=log.stat().st_size)
    assert "could not read" in log_tail(tmp_path / "missing.log")


def test_a_child_killed_by_a_signal_is_described_by_the_signal_name() -> None:
    assert describe_exit(2) == "exited with code 2"
    assert describe_exit(-9) == "was killed by SIGKILL"
