"""Load generators of ``rounds bench ingest``: open loop at a fixed arrival rate, and flat out.

Open loop (the gateway steps): every event has a scheduled send time ``i / rate`` from the step's
start, whatever happened to the ones before, and its latency is counted from that scheduled time, so a
server that falls behind is charged for the queue it builds (no coordinated omission). Flat out (the
ceilings): ``concurrency`` senders each send again as soon as they get an answer, for a fixed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Outcome:
    """What one step or ceiling run saw: per-event latency (seconds) and each answer's status."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def count(self, status: int, latency: float) -> None:
        """Note one answer (status 0: no answer, a transport error or a timeout)."""
        self.latencies.append(latency)
        self.statuses[status] = self.statuses.get(status, 0) + 1


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (0 when there are none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def summary(outcome: Outcome, accepted_statuses: frozenset[int]) -> dict[str, Any]:
    """The figures of one run: accepted events/s over the whole run, latency percentiles in ms."""
    accepted = sum(n for status, n in outcome.statuses.items() if status in accepted_statuses)
    sent = len(outcome.latencies)
    return {
        "sent": sent,
        "accepted": accepted,
        "errors": sent - accepted,
        "statuses": {str(k): v for k, v in sorted(outcome.statuses.items())},
        "seconds": round(outcome.seconds, 3),
        "accepted_per_s": round(accepted / outcome.seconds, 1) if outcome.seconds else 0.0,
        "p50_ms": round(percentile(outcome.latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(outcome.latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(outcome.latencies, 0.99) * 1000, 1),
    }


#: One event to send: given the time it was due (perf_counter), send it and return the HTTP status.
Send = Callable[[float], Awaitable[int]]


async def open_loop(events: Sequence[Send], rate: float) -> Outcome:
    """Start ``events[i]`` at ``i / rate`` seconds; wait for every answer; latency from the due time.

    Each send is its own task, so a slow answer never delays the next arrival. ``seconds`` runs from
    the first due time to the last answer, so an overloaded server's backlog lowers the rate.
    """
    outcome = Outcome()
    began = time.perf_counter()

    async def one(send: Send, due: float) -> None:
        try:
            status = await send(due)
        except Exception:  # any transport failure is a lost event, counted, not a crash of the run
            status = 0
        outcome.count(status, time.perf_counter() - due)

    tasks = []
    for index, send in enumerate(events):
        due = began + index / rate
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        tasks.append(asyncio.create_task(one(send, due)))
    await asyncio.gather(*tasks)
    outcome.seconds = time.perf_counter() - began
    return outcome


async def flat_out(send: Callable[[], Awaitable[int]], seconds: float, concurrency: int) -> Outcome:
    """``concurrency`` senders sending back to back for ``seconds``: the most the target takes."""
    outcome = Outcome()
    began = time.perf_counter()
    stop_at = began + seconds

    async def sender() -> None:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                status = await send()
            except Exception:  # a lost event is counted, like in the open loop
                status = 0
            outcome.count(status, time.perf_counter() - started)

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    outcome.seconds = time.perf_counter() - began
    return outcome


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (None where the platform has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


class Clients:
    """``connections`` httpx clients of one connection each, used in turn: the client's connection pool.

    One ``AsyncClient`` with many connections spends more and more of its time finding a connection as
    requests queue for it (measured here: 64 senders on one client got a fifth of what 64 clients of
    one connection got from the same bare endpoint), which would make the client the bottleneck it is
    meant to measure past. Separate clients also look more like many apps than like one.
    """

    def __init__(self, clients: list[httpx.AsyncClient]) -> None:
        self._clients = clients
        self._turn = itertools.cycle(clients)

    async def post(self, path: str, *, json: Any, headers: dict[str, str]) -> httpx.Response:
        """POST on the next client in turn."""
        return await next(self._turn).post(path, json=json, headers=headers)


@contextlib.asynccontextmanager
async def clients(base_url: str, connections: int, timeout: float = 30.0) -> AsyncIterator[Clients]:
    """:class:`Clients` to ``base_url``, closed after."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        made = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout)
            )
            for _ in range(connections)
        ]
        yield Clients(made)
