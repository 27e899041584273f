"""Worker apps' records through the API: EVV on every record, exactly once, offline and out of order,
flagged positions, and bad input refused with problem+json leaving the record unchanged."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from services.visits.adapters import tables as t
from tests.visits.conftest import START, Visits, coordinator_actor, gps, worker_actor
from tests.visits.factories import DOWN_THE_ROAD

pytestmark = pytest.mark.integration


async def test_a_check_in_carries_the_evv_elements_and_is_announced(v: Visits) -> None:
    visit = await v.expect(start=(8, 0))
    worker = visit.workers[0]
    at = visit.planned_start + timedelta(minutes=3)
    v.clock.advance(at - v.clock.now())
    response = await v.client.post(
        f"/visits/{visit.visit_id}/check-in", json=gps(at=at), headers=worker_actor(worker)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["evv"] == {
        "service_type": "personal_care",
        "individual_id": str(visit.individual_id),
        "date": "2026-11-24",
        "location": body["evv"]["location"],
        "worker_id": str(worker),
        "start": at.isoformat(),
        "end": None,
    }
    assert body["evv"]["location"]["method"] == "gps"
    assert body["evv"]["location"]["distance_m"] == 0.0
    assert (body["late_by_minutes"], body["flagged"], body["visit_status"]) == (3.0, False, "in_progress")
    [event] = await v.events("rounds.visit.checked_in.v1")
    assert event["worker_id"] == str(worker)
    assert event["verification"]["flagged"] is False
    assert event["late_by_minutes"] == 3.0


async def test_a_position_far_from_the_home_is_accepted_and_flagged(v: Visits) -> None:
    visit = await v.expect()
    response = await v.client.post(
        f"/visits/{visit.visit_id}/check-in",
        json=gps(lat=DOWN_THE_ROAD.lat),
        headers=worker_actor(visit.workers[0]),
    )
    assert response.status_code == 201, response.text
    assert response.json()["flag_reasons"] == ["far_from_home"]
    assert 295 < response.json()["evv"]["location"]["distance_m"] < 305


async def test_the_same_record_sent_twice_counts_once_and_the_replay_gets_the_original_answer(
    v: Visits,
) -> None:
    visit = await v.expect()
    worker = visit.workers[0]
    body = gps()
    first = await v.client.post(f"/visits/{visit.visit_id}/check-in", json=body, headers=worker_actor(worker))
    v.clock.advance(timedelta(hours=2))  # the app retried after losing the response
    again = await v.client.post(f"/visits/{visit.visit_id}/check-in", json=body, headers=worker_actor(worker))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(await v.events("rounds.visit.checked_in.v1")) == 1
    assert await v.count(t.visit_records) == 1


async def test_a_record_id_reused_for_different_content_is_a_conflict(v: Visits) -> None:
    visit = await v.expect()
    worker = visit.workers[0]
    record_id = uuid4()
    await v.client.post(
        f"/visits/{visit.visit_id}/check-in", json=gps(record_id), headers=worker_actor(worker)
    )
    clash = await v.client.post(
        f"/visits/{visit.visit_id}/notes",
        json={"record_id": str(record_id), "occurred_at": START.isoformat(), "text": "All well"},
        headers=worker_actor(worker),
    )
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    assert clash.json()["errors"][0]["field"] == "body.record_id"


async def test_records_made_offline_arrive_hours_late_and_out_of_order(v: Visits) -> None:
    visit = await v.expect(start=(8, 0), minutes=45)
    worker = visit.workers[0]
    came, left = visit.planned_start + timedelta(minutes=2), visit.planned_start + timedelta(minutes=44)
    headers = worker_actor(worker)
    # The phone had no signal all morning; it syncs at 13:00, the task before the check-in.
    v.clock.advance(visit.planned_start + timedelta(hours=5) - v.clock.now())
    task = {
        "record_id": str(uuid4()),
        "occurred_at": (came + timedelta(minutes=10)).isoformat(),
        "task": "medication",
        "outcome": "refused",
        "reason": "Said she had taken them already; blister pack shows otherwise, told the office",
    }
    assert (
        await v.client.post(f"/visits/{visit.visit_id}/tasks", json=task, headers=headers)
    ).status_code == 201
    checked_in = await v.client.post(f"/visits/{visit.visit_id}/check-in", json=gps(at=came), headers=headers)
    checked_out = await v.client.post(
        f"/visits/{visit.visit_id}/check-out", json=gps(at=left), headers=headers
    )
    assert (checked_in.status_code, checked_out.status_code) == (201, 201)
    out = checked_out.json()
    assert out["stayed_minutes"] == 42.0
    assert out["tasks_outstanding"] == ["breakfast"]
    assert out["evv"]["start"] == came.isoformat()
    assert out["evv"]["end"] == left.isoformat()
    history = (await v.client.get(f"/visits/{visit.visit_id}/records", headers=headers)).json()
    assert [r["kind"] for r in history["records"]] == ["check_in", "task", "check_out"]  # device order
    assert all(r["received_at"] > r["occurred_at"] for r in history["records"])
    assert history["visit"]["status"] == "completed"


async def _record_count(v: Visits) -> int:
    return await v.count(t.visit_records)


@pytest.mark.parametrize(
    ("case", "status", "field"),
    [
        ("check-out before check-in", 409, None),
        ("check-out earlier than the check-in", 422, "body.occurred_at"),
        ("unknown visit", 404, None),
        ("cancelled visit", 409, None),
        ("latitude out of range", 422, "body.position.lat"),
        ("longitude out of range", 422, "body.position.lon"),
        ("gps without a position", 422, "body.position"),
        ("not the worker's visit", 403, None),
        ("device clock in the future", 422, "body.occurred_at"),
        ("task not in the plan", 422, "body.task"),
        ("refused task without a reason", 422, "body.reason"),
        ("no actor", 401, None),
    ],
)
async def test_bad_input_is_a_problem_and_leaves_the_record_unchanged(
    v: Visits, case: str, status: int, field: str | None
) -> None:
    visit = await v.expect()
    worker = visit.workers[0]
    headers = worker_actor(worker)
    url = f"/visits/{visit.visit_id}"
    body: dict[str, Any]
    if case == "check-out earlier than the check-in":
        await v.client.post(f"{url}/check-in", json=gps(at=START), headers=headers)
    before = await _record_count(v)
    events_before = len(await v.events())
    path = "check-out" if case.startswith("check-out") else "check-in"
    body = gps(at=START - timedelta(minutes=5) if case == "check-out earlier than the check-in" else START)
    if case == "unknown visit":
        url = f"/visits/{uuid4()}"
    elif case == "cancelled visit":
        from dataclasses import replace

        await v.expect(
            replace(visit, cancelled=True, rota_updated_at=visit.rota_updated_at + timedelta(hours=1))
        )
    elif case == "latitude out of range":
        body["position"]["lat"] = 91
    elif case == "longitude out of range":
        body["position"]["lon"] = -181
    elif case == "gps without a position":
        del body["position"]
    elif case == "not the worker's visit":
        headers = worker_actor(uuid4())
    elif case == "device clock in the future":
        body["occurred_at"] = (START + timedelta(hours=1)).isoformat()
    elif case in ("task not in the plan", "refused task without a reason"):
        path = "tasks"
        task = "hoovering" if case == "task not in the plan" else "medication"
        outcome = "done" if case == "task not in the plan" else "refused"
        body = {"record_id": str(uuid4()), "occurred_at": START.isoformat(), "task": task, "outcome": outcome}
    elif case == "no actor":
        headers = {}
    response = await v.client.post(f"{url}/{path}", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"]
    if field:
        assert field in [e["field"] for e in problem["errors"]], problem
    assert await _record_count(v) == before
    assert len(await v.events()) == events_before


async def test_a_worker_sees_only_their_own_visits_and_a_coordinator_only_their_locality(v: Visits) -> None:
    mine = await v.expect(locality="Harrogate")
    other = await v.expect(locality="Selby")
    worker = mine.workers[0]
    assert (await v.client.get(f"/visits/{mine.visit_id}", headers=worker_actor(worker))).status_code == 200
    assert (await v.client.get(f"/visits/{other.visit_id}", headers=worker_actor(worker))).status_code == 403
    day = (
        await v.client.get(f"/workers/{worker}/visits?date=2026-11-24", headers=worker_actor(worker))
    ).json()
    assert [i["visit_id"] for i in day["items"]] == [str(mine.visit_id)]
    assert (
        await v.client.get(f"/workers/{other.workers[0]}/visits", headers=worker_actor(worker))
    ).status_code == 403
    board = await v.client.get(
        "/visits?locality=Selby&date=2026-11-24", headers=coordinator_actor("Harrogate")
    )
    assert board.status_code == 403
    board = await v.client.get("/visits?locality=Selby&date=2026-11-24", headers=coordinator_actor("Selby"))
    assert [i["visit_id"] for i in board.json()["items"]] == [str(other.visit_id)]
    coordinator_post = await v.client.post(
        f"/visits/{mine.visit_id}/check-in", json=gps(), headers=coordinator_actor("Harrogate")
    )
    assert coordinator_post.status_code == 403


async def test_a_locality_board_pages_with_a_cursor(v: Visits) -> None:
    for hour in (7, 8, 9, 10, 11):
        await v.expect(start=(hour, 0), locality="Ripon")
    seen: list[str] = []
    cursor = None
    while True:
        query = "/visits?locality=Ripon&date=2026-11-24&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await v.client.get(query, headers=coordinator_actor("Ripon"))).json()
        seen += [i["planned_start"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5
    assert seen == sorted(seen)
    bad = await v.client.get("/visits?locality=Ripon&cursor=bm9wZQ", headers=coordinator_actor("Ripon"))
    assert bad.status_code == 422
    too_many = await v.client.get(
        "/visits?locality=Ripon&limit=100000000000000000000", headers=coordinator_actor("Ripon")
    )
    assert too_many.status_code == 422


async def test_concerns_incidents_and_sos_are_announced_with_the_visit_facts(v: Visits) -> None:
    visit = await v.expect()
    headers = worker_actor(visit.workers[0])
    base = {"occurred_at": START.isoformat()}
    posts = [
        (
            "concerns",
            {
                "kind": "concern",
                "category": "health",
                "severity": "high",
                "description": "New bruising on arm",
            },
        ),
        (
            "incidents",
            {
                "kind": "accident",
                "severity": "medium",
                "description": "Slipped in the bathroom",
                "injured": True,
            },
        ),
        ("sos", {"message": "Aggressive visitor at the door", "position": {"lat": 53.99, "lon": -1.54}}),
        ("notes", {"text": "Ate all of breakfast"}),
    ]
    for path, body in posts:
        response = await v.client.post(
            f"/visits/{visit.visit_id}/{path}",
            json={"record_id": str(uuid4()), **base, **body},
            headers=headers,
        )
        assert response.status_code == 201, response.text
    events = await v.events()
    assert [e["type"] for e in events] == [
        "rounds.concern.raised.v1",
        "rounds.incident.reported.v1",
        "rounds.worker.sos.v1",
    ]
    assert {e["individual_id"] for e in events} == {str(visit.individual_id)}
    assert events[2]["position"]["lat"] == 53.99


async def test_an_amendment_keeps_the_original_and_says_who_when_and_why(v: Visits) -> None:
    visit = await v.expect(locality="Harrogate")
    worker = visit.workers[0]
    record = (
        await v.client.post(f"/visits/{visit.visit_id}/check-in", json=gps(), headers=worker_actor(worker))
    ).json()
    url = f"/visits/{visit.visit_id}/records/{record['record_id']}/amendments"
    change = {
        "reason": "App clock was an hour out after a restart",
        "changes": {"occurred_at": "2026-11-24T08:01:00Z"},
    }
    assert (await v.client.post(url, json=change, headers=worker_actor(worker))).status_code == 403
    made = await v.client.post(url, json=change, headers=coordinator_actor("Harrogate"))
    assert made.status_code == 201, made.text
    history = (
        await v.client.get(f"/visits/{visit.visit_id}/records", headers=coordinator_actor("Harrogate"))
    ).json()
    [entry] = history["records"]
    assert entry["occurred_at"] == record["occurred_at"].replace("+00:00", "Z")
    assert entry["amendments"][0]["amended_by"] == "coordinator:coord-1"
    assert entry["amendments"][0]["reason"] == change["reason"]
    assert (await v.events("rounds.visit.record_amended.v1"))[0]["changes"] == change["changes"]
    assert await v.count(t.record_reads) == 1  # the read of the records was audited


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_the_same_record_racing_in_from_several_retries_is_accepted_once(v: Visits) -> None:
    visit = await v.expect()
    headers = worker_actor(visit.workers[0])
    body = gps()
    responses = await asyncio.gather(
        *(v.client.post(f"/visits/{visit.visit_id}/check-in", json=body, headers=headers) for _ in range(6))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 200, 201]
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    assert len(await v.events("rounds.visit.checked_in.v1")) == 1
    # Two different check-ins of the same worker racing: one is accepted, the other told why not.
    other = await v.expect()
    headers = worker_actor(other.workers[0])
    clash = await asyncio.gather(
        *(v.client.post(f"/visits/{other.visit_id}/check-in", json=gps(), headers=headers) for _ in range(2))
    )
    assert sorted(r.status_code for r in clash) == [201, 409]


async def test_an_nfc_tag_registered_to_the_home_verifies_a_check_in(v: Visits) -> None:
    visit = await v.expect()
    url = f"/individuals/{visit.individual_id}/nfc-tags/04:A2:19:7C"
    assert (await v.client.put(url, headers=worker_actor(visit.workers[0]))).status_code == 403
    registered = await v.client.put(url, headers=coordinator_actor("Harrogate"))
    assert registered.json()["tags"] == ["04:A2:19:7C"]
    elsewhere = await v.client.put(
        f"/individuals/{uuid4()}/nfc-tags/04:A2:19:7C", headers=coordinator_actor("X")
    )
    assert elsewhere.status_code == 409
    body = {
        "record_id": str(uuid4()),
        "occurred_at": START.isoformat(),
        "method": "nfc",
        "nfc_tag_id": "04:A2:19:7C",
    }
    response = await v.client.post(
        f"/visits/{visit.visit_id}/check-in", json=body, headers=worker_actor(visit.workers[0])
    )
    assert (response.status_code, response.json()["flagged"]) == (201, False)


async def test_a_worker_taken_off_a_visit_can_no_longer_record_on_it(v: Visits) -> None:
    from dataclasses import replace

    visit = await v.expect()
    before = visit.workers[0]
    await v.expect(
        replace(visit, workers=(uuid4(),), rota_updated_at=visit.rota_updated_at + timedelta(hours=1))
    )
    response = await v.client.post(
        f"/visits/{visit.visit_id}/check-in", json=gps(), headers=worker_actor(before)
    )
    assert response.status_code == 403
    mine = await v.client.get(f"/workers/{before}/visits?date=2026-11-24", headers=worker_actor(before))
    assert mine.json()["items"] == []
