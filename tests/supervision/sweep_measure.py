"""How long a compliance sweep takes (``python -m tests.supervision.sweep_measure [workers] [pg-url]``).

Not a test (speed is measured, not asserted). Registers ``workers`` supervisees in a fresh database
(SQLite in a temporary folder, or a new database on the Postgres server given), then times the first
sweep (every notice is new), a second one on the same day (nothing new: the steady state) and two
replicas sweeping at once a month later. Prints one line per step.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from rounds.contracts.people import WorkerRegistered
from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from services.supervision import handlers
from services.supervision.main import SupervisionRuntime
from services.supervision.settings import SupervisionSettings


async def measure(workers: int, url: str) -> None:
    """Register, sweep, sweep again, then two replicas at once; print the timings."""
    await asyncio.to_thread(upgrade_head, "supervision", url)
    clock = FrozenClock(datetime(2026, 2, 16, 9, tzinfo=UTC))
    settings = SupervisionSettings(database_url=url, notice_sweep_seconds=0)
    runtimes = [SupervisionRuntime(settings, clock) for _ in range(2)]
    first = runtimes[0]
    async with first.unit_of_work() as uow:
        for n in range(workers):
            start = date(2025, 1, 6) + timedelta(days=n % 400)
            event = WorkerRegistered(
                worker_id=uuid.uuid4(), given_name=f"W{n}", family_name="Measure", role="care_worker",
                locality="Harrogate", start_date=start,
            )  # fmt: skip
            await handlers.register_supervisee(uow, event, clock.now(), uow.zone)
        await uow.commit()
    try:
        for label in ("first sweep (all new)", "same day again (steady state)"):
            began = time.perf_counter()
            result = await first.sweeper.sweep()
            seconds = time.perf_counter() - began
            print(f"{label}: {result.workers} workers, {result.announced} notices, {seconds:.2f} s "
                  f"({result.workers / seconds:.0f} workers/s)")  # fmt: skip
        clock.advance(timedelta(days=30))
        began = time.perf_counter()
        results = await asyncio.gather(*(r.sweeper.sweep() for r in runtimes))
        seconds = time.perf_counter() - began
        print(f"two replicas a month later: {[r.announced for r in results]} notices, {seconds:.2f} s")
    finally:
        for runtime in runtimes:
            await runtime.stop()


async def _postgres_database(server: str) -> str:
    name = f"rounds_measure_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    """Entry point: ``[workers] [postgres-server-url]``."""
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    if len(sys.argv) > 2:
        url = asyncio.run(_postgres_database(sys.argv[2]))
        asyncio.run(measure(workers, url))
        return
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(measure(workers, f"sqlite+aiosqlite:///{Path(folder) / 'measure.db'}"))


if __name__ == "__main__":
    main()
