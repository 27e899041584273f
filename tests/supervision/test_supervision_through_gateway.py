"""Confidentiality of supervision records end to end: real gateway, real supervision service, real tokens.

004 1.37-1.38: records are for the member of staff, their supervisor and the supervisor's line manager.
The gateway lets a care worker reach only their own ``/workers/{worker_id}/...``; the service, which
alone knows who supervises whom, refuses everyone else the gateway lets through (a colleague who holds
a supervisor role, a manager of another team), and audits every read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import httpx
import pytest

from gateway.policy import ROUTE_RULES
from rounds.contracts.people import WorkerRegistered
from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from services.supervision import handlers
from services.supervision.main import SupervisionRuntime, create_app
from services.supervision.settings import SupervisionSettings
from tests.gateway.conftest import gateway_for, stand_ins  # noqa: F401 - fixtures used by name
from tests.gateway.standins import GatewayFactory, RunningGateway, ServerThread, listening_socket
from tests.supervision.conftest import NOW

pytestmark = pytest.mark.integration


@dataclass
class Staff:
    """A line manager who supervises the supervisor; the supervisor's two supervisees; another manager."""

    manager: UUID
    supervisor: UUID
    worker: UUID
    colleague: UUID
    other_manager: UUID


@dataclass
class Served:
    """The supervision service listening on a port, and the records it holds."""

    url: str
    staff: Staff
    worker_record: str
    supervisor_record: str


def actor(worker_id: UUID) -> dict[str, str]:
    return {"X-Rounds-Actor": f'{{"sub": "u-{worker_id}", "role": "supervisor", "worker_id": "{worker_id}"}}'}


async def _plan(client: httpx.AsyncClient, supervisor: UUID, supervisee: UUID) -> str:
    planned = await client.post(
        "/sessions",
        json={
            "supervisor_id": str(supervisor),
            "supervisee_ids": [str(supervisee)],
            "first_starts_at": "2026-02-17T10:00:00+00:00",
            "count": 1,
            "venue": "Harrogate office",
        },
        headers=actor(supervisor),
    )
    assert planned.status_code == 201, planned.text
    return str(planned.json()[0]["id"])


async def _record(client: httpx.AsyncClient, supervisor: UUID, session_id: str) -> str:
    record = await client.post(
        f"/sessions/{session_id}/record",
        json={
            "meeting_on": "2026-02-17",
            "duration_minutes": 60,
            "previous_actions_review": "First meeting.",
            "dbs_change": {"asked": True, "change_reported": False},
            "management": "Caseload fine.",
            "development": "PDP to agree next time.",
            "support": "No concerns.",
        },
        headers=actor(supervisor),
    )
    assert record.status_code == 201, record.text
    return str(record.json()["id"])


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Served]:
    await asyncio.to_thread(upgrade_head, "supervision", database_url)
    clock = FrozenClock(NOW)
    settings = SupervisionSettings(database_url=database_url, notice_sweep_seconds=0)
    staff = Staff(uuid4(), uuid4(), uuid4(), uuid4(), uuid4())
    # Workers arrive as people's events would bring them, in this process; the service runs in its own.
    setup = SupervisionRuntime(settings, clock)
    try:
        async with setup.unit_of_work() as uow:
            for worker in vars(staff).values():
                event = WorkerRegistered(
                    worker_id=worker, given_name="A", family_name="B", role="care_worker",
                    locality="Harrogate", start_date=date(2020, 1, 6),
                )  # fmt: skip
                await handlers.register_supervisee(uow, event, datetime(2026, 2, 1, tzinfo=UTC), uow.zone)
            await uow.commit()
        for worker, supervisor in (
            (staff.worker, staff.supervisor),
            (staff.colleague, staff.supervisor),
            (staff.supervisor, staff.manager),
        ):
            arrangement = handlers.ArrangeSupervision(supervisor, supervisor, "Harrogate OT", False, False, 6)
            await handlers.arrange_supervision(
                setup.unit_of_work(), worker, arrangement, by=None, registered_manager=True
            )
    finally:
        await setup.stop()

    sock = listening_socket()
    server = ServerThread(create_app(settings, clock), sock)
    server.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            # Planned ahead on Monday 16 February for Tuesday, recorded on Wednesday (004 1.18, 1.25).
            planned = [
                await _plan(client, staff.supervisor, staff.worker),
                await _plan(client, staff.manager, staff.supervisor),
            ]
            clock.advance(timedelta(days=2))
            worker_record = await _record(client, staff.supervisor, planned[0])
            supervisor_record = await _record(client, staff.manager, planned[1])
        yield Served(url, staff, worker_record, supervisor_record)
    finally:
        server.stop()


@pytest.fixture
async def gateway(gateway_for: GatewayFactory, served: Served) -> AsyncIterator[RunningGateway]:  # noqa: F811
    async with gateway_for(service_urls={"supervision": served.url}, route_rules=ROUTE_RULES) as running:
        yield running


def as_worker(gateway: RunningGateway, worker: UUID, role: str = "care_worker") -> dict[str, str]:
    return gateway.as_(role, subject=f"user-{worker}", worker_id=str(worker))


async def test_a_supervisee_reads_their_own_records_and_no_one_elses(
    gateway: RunningGateway, served: Served
) -> None:
    staff = served.staff
    me = as_worker(gateway, staff.worker)
    own = await gateway.client.get(f"/v1/supervision/workers/{staff.worker}/records", headers=me)
    assert own.status_code == 200, own.text
    assert [r["id"] for r in own.json()] == [served.worker_record]

    # Another worker's records: the gateway refuses a care worker outright...
    other = await gateway.client.get(f"/v1/supervision/workers/{staff.colleague}/records", headers=me)
    by_id = await gateway.client.get(f"/v1/supervision/records/{served.supervisor_record}", headers=me)
    assert [other.status_code, by_id.status_code] == [403, 403]
    # ...and a colleague who also holds a supervisor role gets past the gateway, but not the service.
    senior = as_worker(gateway, staff.colleague, role="supervisor")
    refused = await gateway.client.get(f"/v1/supervision/workers/{staff.worker}/records", headers=senior)
    refused_by_id = await gateway.client.get(
        f"/v1/supervision/records/{served.worker_record}", headers=senior
    )
    assert [refused.status_code, refused_by_id.status_code] == [403, 403]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "004 1.37" in refused.json()["detail"]


async def test_a_line_manager_reads_the_records_their_supervisors_keep(
    gateway: RunningGateway, served: Served
) -> None:
    staff = served.staff
    manager = as_worker(gateway, staff.manager, role="registered_manager")
    kept_by_supervisor = await gateway.client.get(
        f"/v1/supervision/workers/{staff.worker}/records", headers=manager
    )
    one = await gateway.client.get(f"/v1/supervision/records/{served.worker_record}", headers=manager)
    assert [kept_by_supervisor.status_code, one.status_code] == [200, 200], kept_by_supervisor.text
    assert [r["id"] for r in kept_by_supervisor.json()] == [served.worker_record]
    # The supervisor's own supervision, which the manager gave, is theirs to read too.
    supervisor_own = await gateway.client.get(
        f"/v1/supervision/workers/{staff.supervisor}/records", headers=manager
    )
    assert [r["id"] for r in supervisor_own.json()] == [served.supervisor_record]
    # A manager who manages none of them passes the gateway's role check and is refused by the service.
    stranger = as_worker(gateway, staff.other_manager, role="registered_manager")
    refused = await gateway.client.get(f"/v1/supervision/workers/{staff.worker}/records", headers=stranger)
    assert refused.status_code == 403

    trail = await gateway.client.get(
        f"/v1/supervision/workers/{staff.worker}/record-reads", headers=as_worker(gateway, staff.worker)
    )
    reads = [(r["reader_id"], r["resource"], r["basis"]) for r in trail.json()]
    assert (str(staff.manager), "records", "supervisors_line_manager") in reads
    assert (str(staff.other_manager), "records", "denied") in reads
