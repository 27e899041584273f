"""How long the audit trail adds to a request: ``uv run python -m tests.gateway.audit_measure [URL ...]``.

Appends ``--requests`` records (each with its outcome, as the gateway does) to a fresh audit database
of each URL given (SQLite in a temporary folder when none is) and prints p50 and p95 of the time the
request path waits. Against Postgres, create an empty database first, e.g.
``createdb -h 127.0.0.1 -U postgres audit_measure`` and pass
``postgresql+asyncpg://postgres@127.0.0.1:5432/audit_measure``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time

from gateway.audit import audit_entry, open_audit_log
from gateway.policy import Decision, actor_from_claims
from rounds.infra.clock import SystemClock


async def measure(url: str, requests: int) -> tuple[float, float]:
    """p50 and p95 in ms of recording one request and noting its outcome."""
    log = await open_audit_log(url, SystemClock())
    actor = actor_from_claims({"sub": "rm-1", "role": "registered_manager"})
    decision = Decision(True, "the role may use this route", {"worker_id": "W1"}, "/workers/{worker_id}/**")
    waits = []
    try:
        for i in range(requests):
            entry = audit_entry(
                actor=actor, decision=decision, method="GET", service="rota", path="/v1/rota/workers/W1",
                localities=[], at=log.clock.now(), request_id=f"m{i}", client_address=None, purpose=None,
            )  # fmt: skip
            started = time.perf_counter()
            seq = await log.record(entry)
            await log.record_outcome(seq, 200)
            waits.append((time.perf_counter() - started) * 1000)
    finally:
        await log.close()
    waits.sort()
    return statistics.median(waits), waits[int(len(waits) * 0.95)]


def main() -> None:
    """Measure each database named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("urls", nargs="*")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    urls = args.urls or [f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/audit.db"]
    for url in urls:
        p50, p95 = asyncio.run(measure(url, args.requests))
        print(f"{url.split('://')[0]:<20} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   ({args.requests} requests)")


if __name__ == "__main__":
    main()
