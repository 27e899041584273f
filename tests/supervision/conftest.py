"""The supervision service in-process on a fresh database of each kind, with a frozen clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import httpx
import pytest

from rounds.contracts.people import WorkerRegistered
from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from services.supervision import handlers
from services.supervision.main import SupervisionRuntime, create_app
from services.supervision.settings import SupervisionSettings

NOW = datetime(2026, 2, 16, 9, 0, tzinfo=UTC)


@dataclass
class Team:
    """A small team: a line manager, the supervisor they manage, two supervisees and a stranger."""

    manager: UUID
    supervisor: UUID
    worker: UUID
    colleague: UUID
    stranger: UUID


@dataclass
class Supervision:
    """The app under test, its clock and a team already known to it."""

    client: httpx.AsyncClient
    clock: FrozenClock
    runtime: SupervisionRuntime
    team: Team

    def as_(self, caller: UUID) -> dict[str, str]:
        """Headers of a request made by ``caller``."""
        return {
            "X-Rounds-Actor": json.dumps(
                {"sub": f"user-{caller}", "role": "supervisor", "worker_id": str(caller)}
            )
        }

    @property
    def registered_manager(self) -> dict[str, str]:
        """Headers of a request made by a registered manager (who sets supervision arrangements)."""
        return {"X-Rounds-Actor": json.dumps({"sub": "rm-1", "role": "registered_manager"})}

    async def register(self, worker_id: UUID, start: date | None, name: str = "Asha") -> None:
        """What the consumer does when people registers a worker."""
        event = WorkerRegistered(
            worker_id=worker_id,
            given_name=name,
            family_name="Patel",
            role="care_worker",
            locality="Harrogate",
            start_date=start,
        )
        async with self.runtime.unit_of_work() as uow:
            await handlers.register_supervisee(uow, event, self.clock.now(), uow.zone)
            await uow.commit()


@pytest.fixture
async def supervision(database_url: str, kafka_bootstrap: str) -> AsyncIterator[Supervision]:
    await asyncio.to_thread(upgrade_head, "supervision", database_url)
    clock = FrozenClock(NOW)
    app = create_app(
        SupervisionSettings(
            database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap, kafka_session_timeout_ms=3000
        ),
        clock=clock,
    )
    runtime: SupervisionRuntime = app.state.runtime
    team = Team(uuid4(), uuid4(), uuid4(), uuid4(), uuid4())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://supervision"
    ) as client:
        s = Supervision(client, clock, runtime, team)
        await s.register(team.manager, date(2015, 1, 5), "Mo")
        await s.register(team.supervisor, date(2019, 6, 1), "Sam")
        await s.register(team.worker, date(2026, 1, 31), "Asha")
        await s.register(team.colleague, date(2024, 3, 1), "Cal")
        await s.register(team.stranger, date(2020, 3, 1), "Xan")
        for worker in (team.worker, team.colleague):
            response = await client.put(
                f"/workers/{worker}/arrangements",
                json={
                    "supervisor_id": str(team.supervisor),
                    "line_manager_id": str(team.supervisor),
                    "team": "Harrogate OT",
                },
                headers=s.registered_manager,
            )
            assert response.status_code == 200, response.text
        response = await client.put(
            f"/workers/{team.supervisor}/arrangements",
            json={
                "supervisor_id": str(team.manager),
                "line_manager_id": str(team.manager),
                "team": "Harrogate OT",
            },
            headers=s.registered_manager,
        )
        assert response.status_code == 200, response.text
        yield s
    await runtime.stop()


@pytest.fixture
def s(supervision: Supervision) -> Supervision:
    """Short name for the service under test, as the tests read best with it."""
    return supervision
