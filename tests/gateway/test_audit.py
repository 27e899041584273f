"""The audit trail: every read or change of personal data through the gateway, append-only, on
SQLite and Postgres, queryable by the registered manager (issue 8; 000 P14-P16 for restricted reads).
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.audit import AuditFilter, AuditLog, audit_entry, open_audit_log
from gateway.policy import Decision, actor_from_claims
from gateway.runtime import GatewayRuntime
from rounds.infra.clock import FrozenClock
from rounds.infra.db import create_engine
from tests.gateway.standins import GatewayFactory, RunningGateway, dead_url

pytestmark = pytest.mark.integration

NOON = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)  # a DST day in Europe/London: the trail stays in UTC
WORKER = {"localities": ["Harrogate"]}


async def _trail(gw: RunningGateway, **query: Any) -> dict[str, Any]:
    response = await gw.client.get("/v1/audit/records", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_read_is_recorded_with_who_what_whose_when_and_why(
    gateway_for: GatewayFactory, database_url: str
) -> None:
    async with gateway_for(database_url=database_url, clock=FrozenClock(NOON)) as gw:
        response = await gw.client.get(
            "/v1/rota/workers/W1?date=2026-03-29",
            headers={
                **gw.as_("coordinator", subject="coord-7", localities=["Harrogate"]),
                "X-Rounds-Purpose": "covering a sick colleague's round",
                "X-Request-Id": "req-audit-1",
            },
        )
        assert response.status_code == 200
        trail = await _trail(gw, worker_id="W1")
    [record] = trail["items"]
    assert record == {
        "seq": record["seq"],
        "recorded_at": "2026-03-29T12:00:00Z",
        "request_id": "req-audit-1",
        "actor_subject": "coord-7",
        "actor_role": "coordinator",
        "actor_client_id": None,
        "client_address": "203.0.113.7",
        "action": "read",
        "method": "GET",
        "service": "rota",
        "path": "/v1/rota/workers/W1?date=2026-03-29",
        "route": "/workers/{worker_id}/**",
        "worker_id": "W1",
        "individual_id": None,
        "locality": None,
        "purpose": "covering a sick colleague's round",
        "basis": "the service checks the resource's locality",
        "allowed": True,
        "status": 200,
    }


async def test_a_refused_attempt_is_recorded_too(gateway: RunningGateway) -> None:
    response = await gateway.client.get(
        "/v1/people/individuals/I2/access-notes",
        headers=gateway.as_("key_person", subject="kp-1", consents={"I1": ["schedule"]}),
    )
    assert response.status_code == 403
    [record] = (await _trail(gateway, individual_id="I2"))["items"]
    assert (record["actor_subject"], record["allowed"], record["status"]) == ("kp-1", False, 403)
    assert record["basis"] == "a key person may not use this route"


async def test_a_change_is_recorded_with_the_services_answer(gateway: RunningGateway) -> None:
    response = await gateway.client.post("/v1/people/echo/x", json={"note": "hello"})
    assert response.status_code == 200
    [record] = (await _trail(gateway, service="people"))["items"]
    assert (record["action"], record["method"], record["status"]) == ("change", "POST", 200)


async def test_only_the_registered_manager_reads_the_trail_and_reading_it_is_recorded(
    gateway: RunningGateway,
) -> None:
    for role, claims in [("coordinator", WORKER), ("supervisor", {}), ("platform_admin", {})]:
        response = await gateway.client.get("/v1/audit/records", headers=gateway.as_(role, **claims))
        assert response.status_code == 403, role
        assert response.headers["content-type"] == "application/problem+json"
    trail = await _trail(gateway, service="audit")
    # Newest first: this read, then the three refusals.
    assert [(r["actor_role"], r["allowed"]) for r in trail["items"]] == [
        ("registered_manager", True),
        ("platform_admin", False),
        ("supervisor", False),
        ("coordinator", False),
    ]


async def test_the_trail_pages_by_cursor_and_filters_by_time(gateway_for: GatewayFactory) -> None:
    clock = FrozenClock(NOON)
    async with gateway_for(clock=clock) as gw:
        for minute in range(5):
            await gw.client.get(f"/v1/people/workers/W{minute}")
            clock.advance(timedelta(minutes=1))
        first = await _trail(gw, service="people", limit=2)
        second = await _trail(gw, service="people", limit=2, cursor=first["next_cursor"])
        third = await _trail(gw, service="people", limit=2, cursor=second["next_cursor"])
        window = await _trail(
            gw, service="people", since="2026-03-29T12:01:00Z", until="2026-03-29T12:03:00Z"
        )
        bad = await gw.client.get("/v1/audit/records", params={"cursor": "99999999999999999999"})
        naive = await gw.client.get("/v1/audit/records", params={"since": "2026-03-29T12:00:00"})
    paged = [r["worker_id"] for page in (first, second, third) for r in page["items"]]
    assert paged == ["W4", "W3", "W2", "W1", "W0"]
    assert third["next_cursor"] is None
    assert [r["worker_id"] for r in window["items"]] == ["W2", "W1"]
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "query.cursor")
    assert (naive.status_code, naive.json()["errors"][0]["field"]) == (422, "query.since")


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_records SET allowed = true", "DELETE FROM audit_records"]
)
async def test_records_cannot_be_edited_or_deleted_in_the_database(
    gateway_for: GatewayFactory, database_url: str, statement: str
) -> None:
    async with gateway_for(database_url=database_url) as gw:
        await gw.client.get("/v1/people/individuals/I2", headers=gw.as_("individual", individual_ids=["I1"]))
    engine = create_engine(database_url)
    try:
        outcome = statement.replace("audit_records", "audit_outcomes").replace(
            "allowed = true", "status = 200"
        )
        for sql in (statement, outcome):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                async with engine.begin() as connection:
                    await connection.execute(sa.text(sql))
        async with engine.connect() as connection:
            rows = (await connection.execute(sa.text("SELECT allowed FROM audit_records"))).all()
        assert [bool(row[0]) for row in rows] == [False]
    finally:
        await engine.dispose()


async def test_postgres_refuses_truncating_the_trail(
    gateway_for: GatewayFactory, postgres_database: str
) -> None:
    async with gateway_for(database_url=postgres_database) as gw:
        await gw.client.get("/v1/people/workers/W1")
    engine = create_engine(postgres_database)
    try:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(sa.text("TRUNCATE audit_outcomes, audit_records"))
    finally:
        await engine.dispose()


async def test_without_an_audit_trail_nothing_is_read(gateway: RunningGateway) -> None:
    # The audit database goes away (here: a Postgres URL where nothing listens).
    runtime: GatewayRuntime = gateway.app.state.runtime
    unreachable = dead_url().replace("http://", "postgresql+asyncpg://rounds@") + "/gone"
    gateway.app.state.runtime = dataclasses.replace(
        runtime, audit=AuditLog(create_engine(unreachable), runtime.audit.clock)
    )
    try:
        response = await gateway.client.get("/v1/people/echo/x")
        readiness = await gateway.client.get("/readyz")
    finally:
        await gateway.app.state.runtime.audit.close()
        gateway.app.state.runtime = runtime
    assert response.status_code == 503
    assert response.json()["type"].endswith("/audit-unavailable")
    assert "Nothing was read or changed" in response.json()["detail"]
    assert readiness.status_code == 503
    assert readiness.json()["detail"].startswith("The gateway's audit database cannot be reached")


async def test_outcomes_still_pending_at_shutdown_are_written(database_url: str) -> None:
    clock = FrozenClock(NOON)
    log = await open_audit_log(database_url, clock)
    actor = actor_from_claims({"sub": "rm-1", "role": "registered_manager"})
    decision = Decision(True, "the role may use this route", {"worker_id": "W1"}, "/workers/{worker_id}/**")
    entry = audit_entry(
        actor=actor, decision=decision, method="GET", service="rota", path="/v1/rota/workers/W1",
        localities=[], at=clock.now(), request_id="r1", client_address=None, purpose=None,
    )  # fmt: skip
    seq = await log.record(entry)
    await log.record_outcome(seq, 200)
    await log.close()
    reopened = await open_audit_log(database_url, clock)
    try:
        [record] = await reopened.query(AuditFilter(worker_id="W1"))
    finally:
        await reopened.close()
    assert (record.seq, record.status, record.entry) == (seq, 200, entry)


async def test_records_arriving_together_share_a_commit_and_each_gets_its_own_seq(
    database_url: str,
) -> None:
    clock = FrozenClock(NOON)
    log = await open_audit_log(database_url, clock)
    actor = actor_from_claims({"sub": "w-1", "role": "care_worker", "worker_id": "W1"})
    decision = Decision(True, "the worker's own visit", {"worker_id": "W1"}, "/visits/{visit_id}/**")
    entries = [
        audit_entry(
            actor=actor,
            decision=decision,
            method="POST",
            service="visits",
            path=f"/v1/visits/visits/V{n}/check-in",
            localities=[],
            at=clock.now(),
            request_id=f"r{n}",
            client_address=None,
            purpose=None,
        )
        for n in range(40)
    ]
    commits = 0

    def counted(*_: object) -> None:
        nonlocal commits
        commits += 1

    sa.event.listen(log._engine.sync_engine, "commit", counted)
    try:
        seqs = await asyncio.gather(*(log.record(entry) for entry in entries))
        stored = await log.query(AuditFilter(worker_id="W1", limit=100))
    finally:
        await log.close()
    # Each caller got the seq of its own entry, and far fewer commits than requests were made.
    by_seq = {record.seq: record.entry for record in stored}
    assert [by_seq[seq] for seq in seqs] == entries
    assert len(set(seqs)) == 40
    assert 1 <= commits <= 3
