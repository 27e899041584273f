"""The live stream: the visits and alerts services' streams relayed as one, resumable, audited."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.live import Positions
from tests.gateway.standins import GatewayFactory, RunningGateway, StandIn

pytestmark = pytest.mark.integration

HARROGATE_VISIT = {"visit_id": "V1", "locality": "Harrogate", "status": "checked_in"}
RIPON_VISIT = {"visit_id": "V2", "locality": "Ripon", "status": "checked_in"}


@pytest.fixture
def upstreams(stand_ins: dict[str, StandIn]) -> Iterator[dict[str, StandIn]]:
    """The visits and alerts stand-ins with events in their streams, cleared afterwards."""
    visits, alerts = stand_ins["visits"], stand_ins["alerts"]
    visits.live_events[:] = [
        (1, "rounds.visit.checked_in.v1", HARROGATE_VISIT),
        (2, "rounds.visit.checked_out.v1", HARROGATE_VISIT),
    ]
    alerts.live_events[:] = [
        (7, "raised", {"alert_id": "A7", "locality": "Harrogate"}),
        (8, "raised", {"alert_id": "A8", "locality": "Ripon"}),
    ]
    yield {"visits": visits, "alerts": alerts}
    for stand_in in (visits, alerts):
        stand_in.live_events.clear()
        stand_in.live_requests.clear()
        stand_in.live_status = 200


def _events(body: str) -> list[dict[str, Any]]:
    events = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
        if "event" in fields:
            events.append({"id": fields["id"], "event": fields["event"], "data": json.loads(fields["data"])})
    return events


async def _listen(gw: RunningGateway, query: str = "", **headers: str) -> tuple[int, list[dict[str, Any]]]:
    response = await gw.client.get(f"/v1/live/events?seconds=1{query}", headers=headers)
    if response.status_code != 200:
        return response.status_code, []
    assert response.headers["content-type"].startswith("text/event-stream")
    return 200, _events(response.text)


async def test_visit_and_alert_changes_arrive_as_one_stream(
    gateway: RunningGateway, upstreams: dict[str, StandIn]
) -> None:
    status, events = await _listen(gateway)
    assert status == 200
    assert sorted((e["event"], e["data"].get("visit_id") or e["data"]["alert_id"]) for e in events) == [
        ("alert.raised", "A7"),
        ("alert.raised", "A8"),
        ("rounds.visit.checked_in.v1", "V1"),
        ("rounds.visit.checked_out.v1", "V1"),
    ]
    # Each id carries both positions, so the last one resumes both streams.
    positions = [Positions.parse(e["id"]) for e in events]
    assert (positions[-1].visits, positions[-1].alerts) == (2, 8)
    assert all(p.visits is not None and p.alerts is not None for p in positions)


async def test_a_coordinator_sees_only_the_locality_they_name(
    gateway: RunningGateway, upstreams: dict[str, StandIn]
) -> None:
    headers = gateway.as_("coordinator", subject="coord-1", localities=["Harrogate", "Leeds"])
    status, events = await _listen(gateway, "&locality=Harrogate", **headers)
    assert status == 200
    assert [e["data"]["alert_id"] for e in events if e["event"] == "alert.raised"] == ["A7"]
    visits_asked = upstreams["visits"].live_requests[-1]
    assert visits_asked["query"]["locality"] == "Harrogate"
    actor = json.loads(visits_asked["headers"]["x-rounds-actor"])
    assert (actor["sub"], actor["localities"]) == ("coord-1", ["Harrogate", "Leeds"])
    assert "authorization" not in visits_asked["headers"]


async def test_reconnecting_with_the_last_event_id_misses_nothing_and_repeats_nothing(
    gateway: RunningGateway, upstreams: dict[str, StandIn]
) -> None:
    status, events = await _listen(gateway, **{"Last-Event-ID": "v1.a7"})
    assert status == 200
    assert [e["event"] for e in events if e["event"].startswith("rounds.")] == ["rounds.visit.checked_out.v1"]
    assert [e["data"]["alert_id"] for e in events if e["event"] == "alert.raised"] == ["A8"]
    assert upstreams["visits"].live_requests[0]["headers"]["last-event-id"] == "1"
    assert upstreams["alerts"].live_requests[0]["headers"]["last-event-id"] == "7"


@pytest.mark.parametrize(
    ("role", "claims", "query"),
    [
        ("care_worker", {"worker_id": "W1"}, ""),
        ("coordinator", {"localities": ["Harrogate"]}, ""),
        ("coordinator", {"localities": ["Harrogate"]}, "&locality=Ripon"),
        ("key_person", {"consents": {"I1": ["visits"]}}, ""),
        ("partner_system", {"scope": "visits:read alerts:read", "provider": "acme"}, ""),
        ("platform_admin", {}, ""),
    ],
)
async def test_who_may_not_listen_is_refused(
    gateway: RunningGateway, upstreams: dict[str, StandIn], role: str, claims: dict[str, Any], query: str
) -> None:
    status, _ = await _listen(gateway, query, **gateway.as_(role, **claims))
    assert status == 403
    assert upstreams["visits"].live_requests == []


async def test_a_service_that_refuses_is_named_and_the_other_keeps_flowing(
    gateway: RunningGateway, upstreams: dict[str, StandIn]
) -> None:
    upstreams["alerts"].live_status = 403
    status, events = await _listen(gateway)
    assert status == 200
    [away] = [e for e in events if e["event"] == "unavailable"]
    assert away["data"]["service"] == "alerts"
    assert len(upstreams["alerts"].live_requests) == 1  # a refusal is not retried
    assert {e["event"] for e in events} - {"unavailable"} == {
        "rounds.visit.checked_in.v1",
        "rounds.visit.checked_out.v1",
    }


async def test_opening_the_stream_is_audited(gateway: RunningGateway, upstreams: dict[str, StandIn]) -> None:
    await _listen(gateway, "", **{"X-Rounds-Purpose": "on-call watch"})
    trail = (await gateway.client.get("/v1/audit/records", params={"service": "live"})).json()
    [record] = trail["items"]
    assert (record["path"], record["purpose"], record["status"]) == (
        "/v1/live/events?seconds=1",
        "on-call watch",
        200,
    )


def test_only_ids_this_stream_sent_resume_it() -> None:
    assert (Positions.parse("v12.a3").visits, Positions.parse("v12.a3").alerts) == (12, 3)
    for junk in ("", "12", "v1.a", "v-1.a2", "v1.a2; DROP"):
        assert Positions.parse(junk) == Positions()


async def test_the_stream_ends_when_every_service_refuses(
    gateway: RunningGateway, upstreams: dict[str, StandIn]
) -> None:
    for stand_in in upstreams.values():
        stand_in.live_status = 404
    response = await gateway.client.get("/v1/live/events?seconds=600")
    assert sorted(e["data"]["service"] for e in _events(response.text)) == ["alerts", "visits"]


async def test_a_caller_may_hold_only_a_few_streams_open(
    gateway_for: GatewayFactory, upstreams: dict[str, StandIn]
) -> None:
    async with gateway_for(live_streams_per_client=1) as gw:
        first = asyncio.create_task(gw.client.get("/v1/live/events?seconds=1.5"))
        await asyncio.sleep(0.5)
        second = await gw.client.get("/v1/live/events?seconds=1")
        assert (await first).status_code == 200
        third = await gw.client.get("/v1/live/events?seconds=0.2")  # the first one closed
    assert second.status_code == 429
    assert second.json()["type"].endswith("/too-many-streams")
    assert third.status_code == 200
