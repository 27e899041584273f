"""Choosing ports for the embedded broker and the platform's processes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rounds.embedded.ports import (
    RESERVED_PORTS,
    candidate_ports,
    ephemeral_port_range,
    find_free_port,
    is_port_free,
)


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", find_free_port()))
        server.listen()
        yield server.getsockname()[1]


def test_a_port_something_listens_on_is_not_free(listening_port: int) -> None:
    assert not is_port_free(listening_port)


def test_the_preferred_port_is_used_when_free_and_passed_over_when_taken(listening_port: int) -> None:
    free = find_free_port()

    assert find_free_port(preferred=free) == free
    assert find_free_port(preferred=listening_port) != listening_port


def test_well_known_database_and_broker_ports_are_never_handed_out() -> None:
    assert {5432, 3306, 6379, 5672, 1883, 4222} <= RESERVED_PORTS
    assert not any(is_port_free(port) for port in RESERVED_PORTS)
    assert find_free_port(preferred=5432) != 5432


def test_excluded_ports_are_not_handed_out() -> None:
    first = find_free_port()

    assert find_free_port(preferred=first, exclude=frozenset({first})) != first


def test_ports_are_drawn_from_below_the_ephemeral_range() -> None:
    low, _ = ephemeral_port_range()

    assert candidate_ports((32768, 60999)) == range(20000, 32768)
    assert find_free_port() < low


def test_a_kernel_with_a_low_ephemeral_range_gets_ports_above_it() -> None:
    assert candidate_ports((1024, 50000)) == range(50001, 65536)


def test_the_ephemeral_range_falls_back_when_the_kernel_does_not_say(tmp_path: Path) -> None:
    assert ephemeral_port_range(tmp_path / "missing") == (32768, 60999)
    (tmp_path / "range").write_text("40000\t50000\n")
    assert ephemeral_port_range(tmp_path / "range") == (40000, 50000)
