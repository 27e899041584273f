"""Choosing TCP ports on 127.0.0.1 for the embedded broker and the platform's processes."""

from __future__ import annotations

import random
import socket
from pathlib import Path

# Well-known ports of databases and brokers a developer may run locally: never hand one of these out,
# even when it happens to be free right now, so a later `docker run` or the CI Postgres does not clash.
RESERVED_PORTS: frozenset[int] = frozenset({5432, 3306, 6379, 5672, 1883, 4222})

_EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_DEFAULT_EPHEMERAL_RANGE = (32768, 60999)
# Ports are drawn from below the kernel's ephemeral range. A port inside it can be taken by an outgoing
# connection, and a client that keeps reconnecting to a stopped broker can even connect to itself on
# the broker's port (TCP simultaneous open), which would stop the broker from restarting there.
_LOWEST_PORT = 20000


def ephemeral_port_range(path: Path = _EPHEMERAL_RANGE_FILE) -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux), or the usual default."""
    try:
        low, high = (int(part) for part in path.read_text(encoding="ascii").split())
    except (OSError, ValueError):
        return _DEFAULT_EPHEMERAL_RANGE
    return low, high


def candidate_ports(ephemeral: tuple[int, int] | None = None) -> range:
    """The ports :func:`find_free_port` draws from: below the ephemeral range, above the common ones."""
    low, high = ephemeral or ephemeral_port_range()
    if low - _LOWEST_PORT < 1000:
        # An unusual kernel setting leaves little room below; fall back to the range above it.
        return range(high + 1, 65536)
    return range(_LOWEST_PORT, low)


def is_port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``host:port`` now (reserved ports never count as free)."""
    if port in RESERVED_PORTS or not 0 < port < 65536:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Servers set SO_REUSEADDR, so a port held only by TIME_WAIT connections is free for them too.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def find_free_port(preferred: int | None = None, *, exclude: frozenset[int] = frozenset()) -> int:
    """A port free on 127.0.0.1: ``preferred`` when it is free, else a random free one.

    ``exclude`` lists ports already promised to other processes that have not started listening yet.
    Raises RuntimeError when no port is free, which only happens on a machine that is out of ports.
    """
    if preferred is not None and preferred not in exclude and is_port_free(preferred):
        return preferred
    candidates = candidate_ports()
    # A random start spreads concurrent callers (parallel test sessions) over the range.
    start = random.randrange(len(candidates))  # noqa: S311 - not security sensitive
    for index in range(len(candidates)):
        port = candidates[(start + index) % len(candidates)]
        if port not in exclude and is_port_free(port):
            return port
    raise RuntimeError(
        f"no free TCP port on 127.0.0.1 between {candidates.start} and {candidates.stop - 1}; "
        "stop some local servers and try again"
    )
