"""Webhook delivery throughput: ``uv run python -m tests.gateway.webhooks_measure [URL ...]``.

Queues ``--deliveries`` events for one subscription in a fresh gateway database of each URL (SQLite in
a temporary folder when none is given), sends them with two dispatchers racing (as two replicas would)
to a real local receiver that checks every signature, and prints deliveries per second and how many
arrived twice (must be 0). For Postgres create an empty database first, e.g.
``createdb -h 127.0.0.1 -U postgres webhooks_measure``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime

import httpx

from gateway.audit import _upgrade
from gateway.webhooks import Dispatcher, WebhookStore
from rounds.infra.clock import SystemClock
from rounds.infra.cloudevents import Envelope
from rounds.infra.db import create_engine
from tests.gateway.standins import ServerThread, listening_socket
from tests.gateway.test_webhooks import LATE, Receiver, example, receiver_app


async def measure(url: str, count: int) -> tuple[float, int, int]:
    """Deliveries per second, duplicates, bad signatures."""
    await asyncio.to_thread(_upgrade, url)
    engine = create_engine(url)
    receiver = Receiver()
    sock = listening_socket()
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    thread = ServerThread(receiver_app(receiver), sock)
    thread.start()
    try:
        store = WebhookStore(engine, SystemClock())
        _, receiver.secret = await store.subscribe(
            client_id="council", provider="acme-care", scopes=frozenset({"visits:read"}),
            url=receiver.url, event_types=[LATE],
        )  # fmt: skip
        event = example(LATE)
        for _ in range(count):
            envelope = Envelope.wrap(event, source="/visits", time=datetime.now(UTC), trace_headers={})
            await store.enqueue(envelope, provider="acme-care")
        async with httpx.AsyncClient(trust_env=False) as http:
            first, second = Dispatcher(store, http, name="a"), Dispatcher(store, http, name="b")
            started = time.perf_counter()
            while any(await asyncio.gather(first.run_once(), second.run_once())):
                pass
            elapsed = time.perf_counter() - started
    finally:
        thread.stop()
        await engine.dispose()
    arrivals = Counter(r["delivery"] for r in receiver.received)
    assert len(arrivals) == count, f"{len(arrivals)} of {count} arrived"
    return count / elapsed, sum(n - 1 for n in arrivals.values()), receiver.bad_signatures


def main() -> None:
    """Measure each database URL given (or a temporary SQLite one) and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("urls", nargs="*")
    parser.add_argument("--deliveries", type=int, default=300)
    args = parser.parse_args()
    urls = args.urls or [f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/gateway.db"]
    for url in urls:
        rate, duplicates, bad = asyncio.run(measure(url, args.deliveries))
        print(f"{url.split(':')[0]}: {args.deliveries} deliveries, {rate:.0f}/s, duplicates {duplicates}, "
              f"bad signatures {bad}")  # fmt: skip


if __name__ == "__main__":
    main()
