"""The rota service in-process on a fresh database of each kind (SQLite, Postgres), with a frozen clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest

from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from services.rota.main import create_app
from services.rota.settings import RotaSettings

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday morning
TOMORROW = date(2026, 11, 24)
EVERY_DAY = [{"weekday": d, "start": "07:00", "end": "22:00"} for d in range(7)]


@pytest.fixture
async def rota(database_url: str, kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    await asyncio.to_thread(upgrade_head, "rota", database_url)
    settings = RotaSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        horizon_days=3,
        kafka_session_timeout_ms=3000,
    )
    app = create_app(settings, clock=FrozenClock(NOW))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rota") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client
    await app.state.planning_runner.drain()
    await app.state.runtime.stop()
