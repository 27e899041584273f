"""The monitor sleeps until the next deadline stored, never longer than its poll interval (issue 11)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from rounds.infra.clock import SystemClock
from services.visits import handlers
from services.visits.runner import SHORTEST_PAUSE_SECONDS
from tests.visits.conftest import Visits, build, t
from tests.visits.factories import expected_visit


async def test_the_pause_runs_to_the_next_deadline_and_no_further_than_the_poll(v: Visits) -> None:
    monitor = v.runtime.monitor
    assert await monitor.pause() == 0.5  # nothing expected: the poll interval
    visit = await v.expect(start=(8, 0), minutes=30)
    late = visit.planned_start + timedelta(minutes=15)
    assert await monitor.pause() == 0.5  # 07:00: the deadline is an hour away, look again in 0.5 s
    v.clock.advance(late - timedelta(seconds=0.3) - v.clock.now())
    assert await monitor.pause() == pytest.approx(0.302, abs=1e-6)  # wakes just after the deadline
    v.clock.advance(timedelta(seconds=1))
    assert await monitor.pause() == SHORTEST_PAUSE_SECONDS  # passed and not raised yet: at once
    assert await monitor.run_once() == 1
    missed = visit.planned_end
    v.clock.advance(missed - timedelta(seconds=0.1) - v.clock.now())
    assert await monitor.pause() == pytest.approx(0.102, abs=1e-6)  # the next deadline: missed


async def test_a_running_monitor_raises_a_threshold_moments_after_it_passes(
    database_url: str, kafka_bootstrap: str, v: Visits
) -> None:
    # Polling every 5 s would raise this ~4 s late; sleeping until the deadline raises it at once.
    runtime = build(database_url, kafka_bootstrap, SystemClock(), monitor_poll_seconds=5.0)  # type: ignore[arg-type]
    now = datetime.now(UTC)
    late_at = now + timedelta(seconds=1.5)
    start = late_at - timedelta(minutes=15)
    visit = replace(expected_visit(), planned_start=start, planned_end=start + timedelta(minutes=30))
    async with runtime.unit_of_work() as uow:
        await handlers.expect_visit(uow, visit, uow.defaults)
        await uow.commit()
    task = asyncio.create_task(runtime.monitor.run())
    try:
        deadline = time.monotonic() + 10
        row = None
        while row is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            async with runtime.engine.connect() as conn:
                query = sa.select(t.conditions.c.deadline, t.conditions.c.raised_at).where(
                    t.conditions.c.visit_id == visit.visit_id, t.conditions.c.condition == "late"
                )
                row = (await conn.execute(query)).first()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runtime.stop()
    assert row is not None, "late was not raised"
    assert row.deadline == late_at
    assert timedelta(0) <= row.raised_at - row.deadline < timedelta(seconds=1)
