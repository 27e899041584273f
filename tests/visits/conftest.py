"""The visits service in-process on a fresh database of each kind, with a frozen clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa

from rounds.infra.clock import FrozenClock
from rounds.infra.messaging_tables import outbox
from rounds.infra.migrations import upgrade_head
from services.visits import handlers
from services.visits.adapters import tables as t
from services.visits.domain.visits import ExpectedVisit
from services.visits.main import VisitsRuntime, create_app
from services.visits.settings import VisitsSettings
from tests.visits.factories import HOME, expected_visit, local

DAY = date(2026, 11, 24)
# 07:00 on the day of the visits: before any of them falls due.
START = local(DAY, 7, 0)


def worker_actor(worker_id: UUID) -> dict[str, str]:
    """Headers of a request from a care worker's app, as the gateway forwards it."""
    return {
        "X-Rounds-Actor": json.dumps(
            {"sub": f"w-{worker_id}", "role": "care_worker", "worker_id": str(worker_id)}
        )
    }


def coordinator_actor(*localities: str) -> dict[str, str]:
    """Headers of a request from a coordinator of ``localities``."""
    return {
        "X-Rounds-Actor": json.dumps(
            {"sub": "coord-1", "role": "coordinator", "localities": list(localities)}
        )
    }


MANAGER = {"X-Rounds-Actor": json.dumps({"sub": "rm-1", "role": "registered_manager"})}


def gps(
    record_id: UUID | None = None, at: datetime | None = None, lat: float = HOME.lat, **extra: Any
) -> dict[str, Any]:
    """A GPS check-in or check-out body."""
    return {
        "record_id": str(record_id or uuid4()),
        "occurred_at": (at or START).isoformat(),
        "method": "gps",
        "position": {"lat": lat, "lon": HOME.lon, "accuracy_m": 12},
        **extra,
    }


@dataclass
class Visits:
    """The app under test, its clock and runtime."""

    client: httpx.AsyncClient
    clock: FrozenClock
    runtime: VisitsRuntime

    async def expect(self, visit: ExpectedVisit | None = None, **kwargs: Any) -> ExpectedVisit:
        """What the consumer does when the rota announces a visit."""
        visit = visit or expected_visit(day=DAY, **kwargs)
        async with self.runtime.unit_of_work() as uow:
            await handlers.expect_visit(uow, visit, uow.defaults)
            await uow.commit()
        return visit

    async def events(self, *types: str) -> list[dict[str, Any]]:
        """Events waiting in the outbox (the relay is not running), oldest first, optionally of ``types``."""
        async with self.runtime.engine.connect() as conn:
            rows = (
                await conn.execute(sa.select(outbox.c.type, outbox.c.data).order_by(outbox.c.position))
            ).all()
        return [{"type": r.type, **json.loads(r.data)} for r in rows if not types or r.type in types]

    async def count(self, table: sa.Table) -> int:
        """Rows in one of the service's tables."""
        async with self.runtime.engine.connect() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)

    async def monitor_at(self, at: datetime) -> int:
        """Move the clock to ``at`` and run one monitor pass; how many conditions it raised."""
        assert at >= self.clock.now(), "the clock only moves forward"
        self.clock.advance(at - self.clock.now())
        return await self.runtime.monitor.run_once()


def build(database_url: str, kafka_bootstrap: str, clock: FrozenClock, **settings: Any) -> VisitsRuntime:
    """A visits runtime on ``database_url`` (not started: tests drive the monitor themselves)."""
    app = create_app(
        VisitsSettings(
            database_url=database_url,
            kafka_bootstrap_servers=kafka_bootstrap,
            kafka_session_timeout_ms=3000,
            monitor_enabled=False,
            **settings,
        ),
        clock=clock,
    )
    runtime: VisitsRuntime = app.state.runtime
    runtime.app = app  # type: ignore[attr-defined]
    return runtime


@pytest.fixture
async def visits(database_url: str, kafka_bootstrap: str) -> AsyncIterator[Visits]:
    await asyncio.to_thread(upgrade_head, "visits", database_url)
    clock = FrozenClock(START)
    runtime = build(database_url, kafka_bootstrap, clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=runtime.app),  # type: ignore[attr-defined]
        base_url="http://visits",
    ) as client:
        yield Visits(client, clock, runtime)
    await runtime.stop()


@pytest.fixture
def v(visits: Visits) -> Visits:
    """Short name for the service under test."""
    return visits


__all__ = [
    "DAY",
    "MANAGER",
    "START",
    "UTC",
    "Visits",
    "coordinator_actor",
    "gps",
    "t",
    "timedelta",
    "worker_actor",
]
