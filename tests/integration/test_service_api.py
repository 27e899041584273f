"""A service's HTTP edge: migrations, writes through the outbox, problem+json for every bad request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa

from rounds.embedded.ports import find_free_port
from rounds.infra.messaging_tables import outbox
from rounds.infra.migrations import upgrade_head
from services.people.main import create_app
from services.people.settings import PeopleSettings

pytestmark = pytest.mark.integration

VALID = {"given_name": "Asha", "family_name": "Patel", "role": "care_worker", "locality": "Harrogate"}


@pytest.fixture
async def people(database_url: str, kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    await asyncio.to_thread(upgrade_head, "people", database_url)
    app = create_app(PeopleSettings(database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://people") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client
    await app.state.runtime.stop()


async def test_registering_a_worker_stores_them_and_their_event_together(people: httpx.AsyncClient) -> None:
    response = await people.post("/workers", json={**VALID, "skills": ["Medication", "medication "]})
    assert response.status_code == 201
    worker = response.json()
    assert worker["skills"] == ["medication"]
    assert response.headers["location"] == f"workers/{worker['id']}"
    assert (await people.get(f"/workers/{worker['id']}")).json() == worker

    runtime = people.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        rows = (await session.execute(sa.select(outbox.c.type, outbox.c.key))).all()
    assert [(r.type, r.key) for r in rows] == [("rounds.worker.registered.v1", worker["id"])]


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({**VALID, "given_name": "   "}, "body.given_name", "at least 1 character"),
        ({**VALID, "role": "chef"}, "body.role", "Input should be"),
        (
            {**VALID, "contracted_hours_per_week": -3},
            "body.contracted_hours_per_week",
            "greater than or equal",
        ),
        ({**VALID, "start_date": "31/12/2026"}, "body.start_date", "valid date"),
        ({**VALID, "nhs_number": "x"}, "body.nhs_number", "Extra inputs"),
        ({k: v for k, v in VALID.items() if k != "locality"}, "body.locality", "Field required"),
        ({**VALID, "skills": ["x" * 101]}, "body.skills.0", "at most 100 characters"),
    ],
)
async def test_a_bad_worker_is_refused_with_the_field_and_the_reason(
    people: httpx.AsyncClient, body: dict[str, object], field: str, reason: str
) -> None:
    response = await people.post("/workers", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    matching = [e for e in problem["errors"] if e["field"] == field]
    assert matching, problem
    assert reason in matching[0]["reason"]
    assert (await people.get("/workers")).json() == []


async def test_malformed_requests_get_problem_json_never_a_500(people: httpx.AsyncClient) -> None:
    cases = [
        await people.post("/workers", content=b"{not json", headers={"content-type": "application/json"}),
        await people.post(
            "/workers", content="\u0000\ud7ff".encode(), headers={"content-type": "text/plain"}
        ),
        await people.get("/workers/not-a-uuid"),
        await people.get("/workers", params={"limit": 0}),
        await people.get("/workers/00000000-0000-0000-0000-000000000000"),
        await people.delete("/workers"),
        await people.get("/nowhere"),
    ]
    assert [c.status_code for c in cases] == [422, 422, 422, 422, 404, 405, 404]
    for response in cases:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]


async def test_a_value_the_database_cannot_store_is_a_422_and_stores_nothing(
    people: httpx.AsyncClient, database_url: str
) -> None:
    response = await people.post("/workers", json={**VALID, "family_name": "Pa\u0000tel"})
    if not database_url.startswith("postgresql"):
        assert response.status_code == 201  # SQLite text holds NUL
        return
    # Postgres text cannot hold NUL (SQLSTATE 22021): the caller is told, nothing is stored.
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "cannot be stored" in response.json()["detail"]
    assert (await people.get("/workers")).json() == []


async def test_readiness_reports_an_unreachable_broker(database_url: str) -> None:
    await asyncio.to_thread(upgrade_head, "people", database_url)
    nowhere = f"127.0.0.1:{find_free_port()}"
    app = create_app(PeopleSettings(database_url=database_url, kafka_bootstrap_servers=nowhere))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://people") as client:
        response = await client.get("/readyz")
        assert (await client.get("/healthz")).status_code == 200
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": f"unreachable at {nowhere}"}


async def test_errors_name_the_path_the_caller_used_behind_the_gateway(people: httpx.AsyncClient) -> None:
    missing = "/workers/00000000-0000-0000-0000-000000000000"
    behind_gateway = await people.get(missing, headers={"x-forwarded-prefix": "/v1/people"})
    forged = await people.get(missing, headers={"x-forwarded-prefix": "https://evil.example/<x>"})
    assert behind_gateway.json()["instance"] == "/v1/people" + missing
    assert forged.json()["instance"] == missing
