"""The day's report per locality and per worker, and the live stream of status changes over HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import timedelta
from uuid import uuid4

import httpx
import pytest
import uvicorn

from tests.visits.conftest import MANAGER, Visits, coordinator_actor, gps, worker_actor

pytestmark = pytest.mark.integration


async def test_daily_report_counts_punctuality_minutes_and_missed_visits(v: Visits) -> None:
    on_time = await v.expect(start=(8, 0), minutes=60, locality="Ripon")
    late = await v.expect(start=(9, 0), minutes=30, locality="Ripon")
    missed = await v.expect(start=(10, 0), minutes=30, locality="Ripon")
    await v.expect(start=(9, 0), minutes=30, locality="Selby")
    for visit, came, stayed in ((on_time, 2, 45), (late, 25, 30)):
        at = visit.planned_start + timedelta(minutes=came)
        v.clock.advance(at + timedelta(minutes=stayed) - v.clock.now())
        headers = worker_actor(visit.workers[0])
        await v.client.post(f"/visits/{visit.visit_id}/check-in", json=gps(at=at), headers=headers)
        await v.client.post(
            f"/visits/{visit.visit_id}/check-out",
            json=gps(at=at + timedelta(minutes=stayed)),
            headers=headers,
        )
    v.clock.advance(missed.planned_end + timedelta(minutes=1) - v.clock.now())
    response = await v.client.get(
        "/reports/daily?date=2026-11-24&locality=Ripon", headers=coordinator_actor("Ripon")
    )
    assert response.status_code == 200, response.text
    ripon = response.json()["by_locality"]["Ripon"]
    assert (ripon["visits"], ripon["delivered"], ripon["punctual"], ripon["missed"]) == (3, 2, 1, 1)
    assert ripon["punctuality"] == 0.5
    assert ripon["mean_lateness_minutes"] == 13.5
    assert (ripon["planned_minutes"], ripon["delivered_minutes"]) == (120.0, 75.0)
    assert ripon["delivered_share"] == 0.625
    assert response.json()["by_worker"][str(missed.workers[0])]["missed"] == 1
    assert "Selby" not in response.json()["by_locality"]
    other = await v.client.get(
        "/reports/daily?date=2026-11-24&locality=Selby", headers=coordinator_actor("Ripon")
    )
    assert other.status_code == 403
    everywhere = await v.client.get("/reports/daily?date=2026-11-24", headers=MANAGER)
    assert set(everywhere.json()["by_locality"]) == {"Ripon", "Selby"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_live_stream_sends_a_localitys_status_changes_as_server_sent_events(v: Visits) -> None:
    mine = await v.expect(start=(8, 0), locality="Thirsk")
    elsewhere = await v.expect(start=(8, 0), locality="Bedale")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(v.runtime.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")  # type: ignore[attr-defined]
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        received: list[tuple[str, str, dict[str, object]]] = []

        async def listen() -> None:
            async with (
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
                client.stream(
                    "GET", "/live?locality=Thirsk", headers=coordinator_actor("Thirsk")
                ) as response,
            ):
                assert response.headers["content-type"].startswith("text/event-stream")
                fields: dict[str, str] = {}
                async for line in response.aiter_lines():
                    if line.startswith(("id: ", "event: ", "data: ")):
                        name, _, value = line.partition(": ")
                        fields[name] = value
                    elif line == "" and "event" in fields:
                        received.append((fields["id"], fields["event"], json.loads(fields["data"])))
                        fields = {}
                        if len(received) == 2:
                            return

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.5)  # connected before anything happens
        v.clock.advance(mine.planned_start - v.clock.now())
        for visit in (elsewhere, mine):
            await v.client.post(
                f"/visits/{visit.visit_id}/check-in",
                json=gps(at=visit.planned_start),
                headers=worker_actor(visit.workers[0]),
            )
        await v.monitor_at(mine.planned_start + timedelta(minutes=15))  # nothing: mine is checked in
        await v.client.post(
            f"/visits/{mine.visit_id}/concerns",
            json={"record_id": str(uuid4()), "occurred_at": v.clock.now().isoformat(), "kind": "difficulty",
                  "category": "access", "severity": "low", "description": "Key safe stiff"},
            headers=worker_actor(mine.workers[0]),
        )  # fmt: skip
        await asyncio.wait_for(listener, timeout=20)
    finally:
        server.should_exit = True
        await serving
    assert [event for _, event, _ in received] == ["rounds.visit.checked_in.v1", "rounds.concern.raised.v1"]
    assert {data["visit_id"] for _, _, data in received} == {str(mine.visit_id)}
    assert int(received[0][0]) < int(received[1][0])  # ids grow: Last-Event-ID resumes after one
    refused = await v.client.get("/live?locality=Thirsk", headers=coordinator_actor("Bedale"))
    assert refused.status_code == 403
