"""Housekeeping: the horizon moves with the provider's local day, and abandoned runs end as failed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from rounds.infra.messaging_tables import outbox
from services.rota.domain.runs import ABANDONED_ERROR, is_abandoned
from tests.rota.conftest import NOW

pytestmark = pytest.mark.integration

DAILY_TEA = {"id": "tea", "weekdays": list(range(7)), "preferred_start": "17:00", "duration_minutes": 30}


async def _visit_days(rota: httpx.AsyncClient, first: date, days: int) -> list[int]:
    counts = []
    for offset in range(days):
        response = await rota.get("/visits", params={"date": str(first + timedelta(days=offset))})
        assert response.status_code == 200, response.text
        counts.append(len(response.json()))
    return counts


async def _scheduled_events(rota: httpx.AsyncClient) -> int:
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        query = sa.select(sa.func.count()).where(outbox.c.type == "rounds.visit.scheduled.v1")
        return int((await session.execute(query)).scalar_one())


async def test_a_new_local_day_comes_into_the_horizon_once(rota: httpx.AsyncClient) -> None:
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    package = {
        "individual_id": str(uuid.uuid4()), "locality": "leeds", "location": {"lat": 53.81, "lon": -1.56},
        "start_date": "2026-11-01", "visits": [DAILY_TEA],
    }  # fmt: skip
    assert (await rota.post("/packages", json=package)).status_code == 201
    today = date(2026, 11, 23)
    assert await _visit_days(rota, today, 5) == [1, 1, 1, 1, 0]  # horizon_days=3 in the fixture

    await runtime.housekeeping.tick()  # the same day: nothing new
    assert await _visit_days(rota, today, 5) == [1, 1, 1, 1, 0]
    announced = await _scheduled_events(rota)

    runtime.clock.advance(timedelta(days=1))
    await runtime.housekeeping.tick()
    await runtime.housekeeping.tick()  # twice on one day: the second adds nothing
    assert await _visit_days(rota, today, 6) == [1, 1, 1, 1, 1, 0]
    assert await _scheduled_events(rota) == announced + 1
    assert runtime.housekeeping.extended_on == date(2026, 11, 24)


async def test_the_day_is_the_providers_local_day_not_utcs(rota: httpx.AsyncClient) -> None:
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST, UTC+1).
    runtime.clock.advance(datetime(2027, 6, 30, 23, 30, tzinfo=UTC) - NOW)
    await runtime.housekeeping.tick()
    assert runtime.housekeeping.extended_on == date(2027, 7, 1)


async def _add_run(rota: httpx.AsyncClient, status: str, age: timedelta, time_limit_s: float) -> uuid.UUID:
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    run_id = uuid.uuid4()
    async with runtime.unit_of_work() as uow:
        await uow.runs.add(run_id, "leeds", date(2026, 11, 24), "engine", time_limit_s, NOW - age)
        await uow.runs.update(run_id, status=status)
        await uow.commit()
    return run_id


async def _run(rota: httpx.AsyncClient, run_id: uuid.UUID) -> dict[str, Any]:
    response = await rota.get(f"/planning-runs/{run_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_runs_a_stopped_process_left_behind_end_as_failed_and_live_ones_are_left(
    rota: httpx.AsyncClient,
) -> None:
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    left_running = await _add_run(rota, "running", timedelta(minutes=10), time_limit_s=60)
    left_queued = await _add_run(rota, "queued", timedelta(minutes=5), time_limit_s=60)
    still_solving = await _add_run(rota, "running", timedelta(minutes=2), time_limit_s=300)

    await runtime.housekeeping.tick()

    for run_id in (left_running, left_queued):
        run = await _run(rota, run_id)
        assert (run["status"], run["error"]) == ("failed", ABANDONED_ERROR)
    assert (await _run(rota, still_solving))["status"] == "running"


def test_a_run_is_abandoned_only_past_its_time_limit_and_the_grace() -> None:
    created = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    limit = 60.0
    assert not is_abandoned("running", created, limit, created + timedelta(minutes=3))  # 1 min + 2 min grace
    assert is_abandoned("running", created, limit, created + timedelta(minutes=3, seconds=1))
    assert not is_abandoned("done", created, limit, created + timedelta(days=1))
    assert not is_abandoned("failed", created, limit, created + timedelta(days=1))
