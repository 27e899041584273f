"""The people service in-process on a fresh database (SQLite and Postgres) and the real broker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from rounds.infra.clock import FrozenClock
from rounds.infra.messaging_tables import outbox
from rounds.infra.migrations import upgrade_head
from services.people.main import create_app
from services.people.settings import PeopleSettings

#: 10:00 in London on a Monday in summer time (09:00 UTC).
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    """The service's clock, frozen at NOW; tests move it."""
    return FrozenClock(NOW)


@pytest.fixture
async def people(
    database_url: str, kafka_bootstrap: str, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the people app (``client.app`` is the app)."""
    await asyncio.to_thread(upgrade_head, "people", database_url)
    settings = PeopleSettings(database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap)
    app = create_app(settings, clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://people") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client
    await app.state.runtime.stop()


async def outbox_events(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Every event in the outbox, oldest first, as ``{"type", "key", "data"}``."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        rows = (
            await session.execute(
                sa.select(outbox.c.type, outbox.c.key, outbox.c.data).order_by(outbox.c.position)
            )
        ).all()
    return [{"type": r.type, "key": r.key, "data": json.loads(r.data)} for r in rows]
