"""The on-call roster through the API (000 P37): shifts in local time across DST, the chain, gaps, events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from rounds.infra.clock import FrozenClock
from tests.people.conftest import outbox_events
from tests.people.test_workers_api import ASHA

pytestmark = pytest.mark.integration

MANAGER: dict[str, Any] = {**ASHA, "role": "coordinator", "registrations": [], "competencies": []}
ROSTER = "/localities/Harrogate/on-call"


async def _roster(people: httpx.AsyncClient) -> dict[str, str]:
    """Harrogate and Ripon, and three people who may be on call."""
    for name in ("Harrogate", "Ripon"):
        assert (await people.post("/localities", json={"name": name})).status_code == 201
    ids = {}
    for given, role in (("Ann", "coordinator"), ("Bob", "senior_care_worker"), ("Cal", "registered_manager")):
        created = await people.post("/workers", json={**MANAGER, "given_name": given, "role": role})
        ids[given.lower()] = created.json()["id"]
    return ids


def _shift(worker_id: str, starts: str, ends: str, level: int = 1) -> dict[str, Any]:
    return {
        "worker_id": worker_id,
        "level": level,
        "starts_at": starts,
        "ends_at": ends,
        "contact_phone": "07700 900456",
    }


async def _events(people: httpx.AsyncClient, kind: str) -> list[dict[str, Any]]:
    return [e for e in await outbox_events(people) if e["type"] == kind]


async def test_the_chain_names_who_to_call_by_level_with_provider_wide_cover_last(
    people: httpx.AsyncClient,
) -> None:
    ids = await _roster(people)
    first = await people.post(
        f"{ROSTER}/shifts", json=_shift(ids["ann"], "2026-06-01T08:00", "2026-06-02T08:00")
    )
    assert first.status_code == 201, first.text
    assert first.json()["starts_at"] == "2026-06-01T07:00:00Z"  # 08:00 in London in summer is 07:00 UTC
    assert first.json()["starts_local"] == "2026-06-01T08:00:00+01:00"
    assert first.headers["etag"] == '"1"'
    second = _shift(ids["bob"], "2026-06-01T08:00", "2026-06-02T08:00", level=2)
    assert (await people.post(f"{ROSTER}/shifts", json=second)).status_code == 201
    everywhere = _shift(ids["cal"], "2026-06-01T00:00", "2026-06-08T00:00", level=3)
    assert (await people.post("/localities/*/on-call/shifts", json=everywhere)).status_code == 201

    now = (await people.get(f"{ROSTER}/now", params={"at": "2026-06-01T23:30"})).json()
    assert [(c["place"], c["worker_id"], c["provider_wide"]) for c in now["chain"]] == [
        (1, ids["ann"], False),
        (2, ids["bob"], False),
        (3, ids["cal"], True),
    ]
    assert now["chain"][0]["on_call_until_local"] == "2026-06-02T08:00:00+01:00"
    handover = (await people.get(f"{ROSTER}/now", params={"at": "2026-06-02T08:00"})).json()
    assert [c["worker_id"] for c in handover["chain"]] == [ids["cal"]]  # the end is exclusive
    ripon = (await people.get("/localities/Ripon/on-call/now", params={"at": "2026-06-01T23:30"})).json()
    assert [c["worker_id"] for c in ripon["chain"]] == [ids["cal"]]

    scheduled = await _events(people, "rounds.oncall.shift.scheduled.v1")
    assert [(e["key"], e["data"]["level"]) for e in scheduled] == [
        ("Harrogate", 1),
        ("Harrogate", 2),
        ("*", 3),
    ]
    assert scheduled[0]["data"]["worker_name"] == "Ann Patel"
    assert scheduled[0]["data"]["contact_phone"] == "07700 900456"


async def test_shifts_are_written_in_wall_clock_time_and_the_clocks_changing_is_handled(
    people: httpx.AsyncClient, clock: FrozenClock
) -> None:
    ids = await _roster(people)
    spring = await people.post(
        f"{ROSTER}/shifts", json=_shift(ids["ann"], "2026-03-28T17:00", "2026-03-29T09:00")
    )
    assert spring.status_code == 201, spring.text
    assert (spring.json()["hours"], spring.json()["ends_at"]) == (15.0, "2026-03-29T08:00:00Z")
    autumn = await people.post(
        f"{ROSTER}/shifts", json=_shift(ids["ann"], "2026-10-24T17:00", "2026-10-25T09:00")
    )
    assert autumn.json()["hours"] == 17.0

    skipped = await people.get(f"{ROSTER}/now", params={"at": "2026-03-29T01:30"})
    assert (skipped.status_code, skipped.json()["errors"][0]["field"]) == (422, "query.at")
    repeated = await people.post(
        f"{ROSTER}/shifts", json=_shift(ids["bob"], "2026-10-25T01:30", "2026-10-25T09:00")
    )
    assert repeated.status_code == 422
    assert repeated.json()["errors"][0] == {
        "field": "body.starts_at",
        "reason": "2026-10-25T01:30 happens twice in Europe/London that day (the clocks go back): "
        "give the UTC offset",
    }
    second_time = _shift(ids["bob"], "2026-10-25T01:30:00+00:00", "2026-10-25T09:00", level=2)
    assert (await people.post(f"{ROSTER}/shifts", json=second_time)).status_code == 201
    # Half past one happened twice; Ann answers both times, and Bob only the second time round.
    first_half_past_one = (await people.get(f"{ROSTER}/now", params={"at": "2026-10-25T00:30:00Z"})).json()
    second_half_past_one = (await people.get(f"{ROSTER}/now", params={"at": "2026-10-25T01:30:00Z"})).json()
    assert [c["worker_id"] for c in first_half_past_one["chain"]] == [ids["ann"]]
    assert [c["worker_id"] for c in second_half_past_one["chain"]] == [ids["ann"], ids["bob"]]


async def test_gaps_are_detected_reported_as_events_and_closed(
    people: httpx.AsyncClient, clock: FrozenClock
) -> None:
    ids = await _roster(people)
    # Only the day needs cover in Harrogate: 08:00-20:00 local, every day.
    cover = {"windows": [{"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "08:00", "end": "20:00"}]}
    assert (await people.put(f"{ROSTER}/cover", json=cover)).status_code == 200
    (report,) = await _events(people, "rounds.oncall.gaps.reported.v1")
    assert report["key"] == "Harrogate"
    assert len(report["data"]["gaps"]) == 15  # today from now (10:00) and the 14 days after: nobody rostered
    assert report["data"]["gaps"][0]["starts_at"] == "2026-06-01T09:00:00Z"
    assert report["data"]["horizon_end"] == "2026-06-15T23:00:00Z"  # midnight in London

    today = {"from": "2026-06-01T00:00", "to": "2026-06-02T00:00"}
    await people.post(f"{ROSTER}/shifts", json=_shift(ids["ann"], "2026-06-01T08:00", "2026-06-01T13:00"))
    bob = await people.post(
        f"{ROSTER}/shifts", json=_shift(ids["bob"], "2026-06-01T14:00", "2026-06-01T20:00")
    )
    gaps = (await people.get(f"{ROSTER}/gaps", params=today)).json()
    assert [(g["level"], g["starts_local"], g["ends_local"]) for g in gaps] == [
        (1, "2026-06-01T13:00:00+01:00", "2026-06-01T14:00:00+01:00")
    ]
    reports = await _events(people, "rounds.oncall.gaps.reported.v1")
    assert len(reports) == 3  # each shift changed the gaps, so each was announced
    assert reports[-1]["data"]["gaps"][0] == {
        "level": 1,
        "starts_at": "2026-06-01T12:00:00Z",
        "ends_at": "2026-06-01T13:00:00Z",
    }

    cancelled = await people.post(f"{ROSTER}/shifts/{bob.json()['id']}/cancel")
    assert (cancelled.json()["status"], cancelled.json()["version"]) == ("cancelled", 2)
    gaps = (await people.get(f"{ROSTER}/gaps", params=today)).json()
    assert [(g["starts_local"], g["ends_local"]) for g in gaps] == [
        ("2026-06-01T13:00:00+01:00", "2026-06-01T20:00:00+01:00")
    ]
    changed = await _events(people, "rounds.oncall.shift.changed.v1")
    assert [(e["data"]["status"], e["data"]["version"]) for e in changed] == [("cancelled", 2)]

    # A review with nothing changed announces nothing; a day later the horizon has moved on.
    # Ripon was never looked at: its first review announces one gap, from now to the horizon's end.
    assert (await people.post("/on-call/gap-reviews")).json() == [{"locality": "Ripon", "gaps": 1}]
    assert (await people.post("/on-call/gap-reviews")).json() == []
    clock.advance(timedelta(days=1))
    moved = (await people.post("/on-call/gap-reviews")).json()
    assert {m["locality"] for m in moved} == {"Harrogate", "Ripon"}


async def test_two_levels_of_cover_report_a_missing_escalation_as_a_level_two_gap(
    people: httpx.AsyncClient,
) -> None:
    ids = await _roster(people)
    cover = {"windows": [{"weekdays": [0], "start": "00:00", "end": "00:00"}], "levels_required": 2}
    await people.put(f"{ROSTER}/cover", json=cover)
    await people.post(f"{ROSTER}/shifts", json=_shift(ids["ann"], "2026-06-01T00:00", "2026-06-02T00:00"))
    gaps = (
        await people.get(f"{ROSTER}/gaps", params={"from": "2026-06-01T00:00", "to": "2026-06-02T00:00"})
    ).json()
    assert [(g["level"], g["hours"]) for g in gaps] == [(2, 24.0)]


async def test_a_shift_is_handed_over_with_if_match_and_a_stale_one_is_412(people: httpx.AsyncClient) -> None:
    ids = await _roster(people)
    created = await people.post(
        f"{ROSTER}/shifts", json=_shift(ids["ann"], "2026-06-01T17:00", "2026-06-02T09:00")
    )
    url = f"{ROSTER}/shifts/{created.json()['id']}"
    handed = await people.patch(url, json={"worker_id": ids["bob"]}, headers={"If-Match": '"1"'})
    assert handed.status_code == 200, handed.text
    assert (handed.json()["worker_name"], handed.headers["etag"]) == ("Bob Patel", '"2"')
    stale = await people.patch(url, json={"contact_phone": "01423 555000"}, headers={"If-Match": '"1"'})
    assert (stale.status_code, stale.headers["etag"]) == (412, '"2"')
    assert (await people.get(url)).json()["contact_phone"] == "07700 900456"
    (event,) = await _events(people, "rounds.oncall.shift.changed.v1")
    assert (event["data"]["worker_id"], event["data"]["version"]) == (ids["bob"], 2)


@pytest.mark.parametrize(
    ("who", "shift", "status", "field"),
    [
        ("carer", {}, 422, "body.worker_id"),
        ("lapsed", {}, 422, "body.worker_id"),
        ("nobody", {}, 404, "body.worker_id"),
        ("bob", {"ends_at": "2026-06-01T16:00"}, 422, "body.ends_at"),
        ("bob", {"ends_at": "2026-06-20T16:00"}, 422, "body.ends_at"),
        ("bob", {"starts_at": "2026-03-29T01:15"}, 422, "body.starts_at"),
        ("bob", {"level": 0}, 422, "body.level"),
        ("bob", {}, 409, "body"),  # Ann is on call at level 1 then
        ("ann", {"level": 2}, 409, "body"),  # and cannot escalate to herself
    ],
)
async def test_shifts_that_cannot_stand_are_refused_and_nothing_is_saved(
    people: httpx.AsyncClient, who: str, shift: dict[str, Any], status: int, field: str
) -> None:
    ids = await _roster(people)
    ids["carer"] = (await people.post("/workers", json={**MANAGER, "role": "care_worker"})).json()["id"]
    lapsed = {
        **MANAGER,
        "dbs": {"certificate_number": "9", "issued_on": "2022-01-01", "recheck_due": "2025-01-01"},
    }
    ids["lapsed"] = (await people.post("/workers", json=lapsed)).json()["id"]
    ids["nobody"] = "00000000-0000-0000-0000-000000000001"
    await people.post(f"{ROSTER}/shifts", json=_shift(ids["ann"], "2026-06-01T08:00", "2026-06-01T20:00"))
    body = {**_shift(ids[who], "2026-06-01T17:00", "2026-06-02T09:00"), **shift}
    refused = await people.post(f"{ROSTER}/shifts", json=body)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == field
    listed = (await people.get(f"{ROSTER}/shifts")).json()
    assert [s["worker_id"] for s in listed] == [ids["ann"]]


async def test_unknown_localities_and_shifts_are_404(people: httpx.AsyncClient) -> None:
    ids = await _roster(people)
    assert (
        await people.post(
            "/localities/Leeds/on-call/shifts",
            json=_shift(ids["ann"], "2026-06-01T08:00", "2026-06-01T20:00"),
        )
    ).status_code == 404
    assert (await people.get("/localities/Leeds/on-call/now")).status_code == 404
    assert (await people.get("/localities/Leeds/on-call/gaps")).status_code == 404
    assert (await people.get(f"{ROSTER}/shifts/00000000-0000-0000-0000-000000000001")).status_code == 404
    created = await people.post(
        f"{ROSTER}/shifts", json=_shift(ids["ann"], "2026-06-01T08:00", "2026-06-01T20:00")
    )
    assert (await people.get(f"/localities/Ripon/on-call/shifts/{created.json()['id']}")).status_code == 404


async def test_the_roster_is_listed_a_page_at_a_time_within_bounds(people: httpx.AsyncClient) -> None:
    ids = await _roster(people)
    for day in range(1, 6):
        await people.post(
            f"{ROSTER}/shifts", json=_shift(ids["ann"], f"2026-06-0{day}T08:00", f"2026-06-0{day}T20:00")
        )
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2, "from": "2026-06-02T00:00"}
    while True:
        page = await people.get(f"{ROSTER}/shifts", params=params)
        seen += [s["starts_local"][:10] for s in page.json()]
        if "x-next-cursor" not in page.headers:
            break
        params["cursor"] = page.headers["x-next-cursor"]
    assert seen == ["2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05"]
    assert (await people.get(f"{ROSTER}/shifts", params={"limit": 201})).status_code == 422
    assert (await people.get(f"{ROSTER}/shifts", params={"cursor": "bm9wZQ"})).status_code == 422
    too_long = await people.get(
        f"{ROSTER}/gaps", params={"from": "2026-06-01T00:00", "to": "2026-09-01T00:00"}
    )
    assert (too_long.status_code, too_long.json()["errors"][0]["field"]) == (422, "query.to")


async def test_a_manager_off_sick_leaves_a_gap_that_is_reported_and_closed_when_they_are_back(
    people: httpx.AsyncClient,
) -> None:
    ids = await _roster(people)
    await people.put(
        f"{ROSTER}/cover", json={"windows": [{"weekdays": [0], "start": "08:00", "end": "20:00"}]}
    )
    await people.post(f"{ROSTER}/shifts", json=_shift(ids["ann"], "2026-06-01T08:00", "2026-06-01T20:00"))
    before = len(await _events(people, "rounds.oncall.gaps.reported.v1"))
    sick = await people.post(
        f"/workers/{ids['ann']}/absences",
        json={"kind": "sickness", "starts_at": "2026-06-01T12:00", "ends_at": "2026-06-02T00:00"},
    )
    assert sick.status_code == 201, sick.text
    reports = await _events(people, "rounds.oncall.gaps.reported.v1")
    assert len(reports) == before + 1
    assert reports[-1]["data"]["gaps"][0] == {
        "level": 1,
        "starts_at": "2026-06-01T11:00:00Z",
        "ends_at": "2026-06-01T19:00:00Z",
    }
    assert (await people.get(f"{ROSTER}/now", params={"at": "2026-06-01T13:00"})).json()["chain"] == []
    await people.patch(f"/workers/{ids['ann']}/absences/{sick.json()['id']}", json={"status": "cancelled"})
    closed = await _events(people, "rounds.oncall.gaps.reported.v1")
    assert closed[-1]["data"]["gaps"][:1] != reports[-1]["data"]["gaps"][:1]
    assert [
        c["worker_id"]
        for c in (await people.get(f"{ROSTER}/now", params={"at": "2026-06-01T13:00"})).json()["chain"]
    ] == [ids["ann"]]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"{ROSTER}/now", {"at": "0001-01-01T00:00:00"}),
        (f"{ROSTER}/now", {"at": "9999-12-31T23:59:59+00:00"}),
        (f"{ROSTER}/gaps", {"from": "9999-12-31T00:00"}),
        (f"{ROSTER}/shifts", {"from": "0001-01-01T00:00"}),
    ],
)
async def test_dates_at_the_ends_of_the_calendar_are_refused_not_failed_on(
    people: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    await people.post("/localities", json={"name": "Harrogate"})
    answer = await people.get(path, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"].startswith("query.")


async def test_an_absence_at_the_end_of_the_calendar_is_refused(people: httpx.AsyncClient) -> None:
    carer = (await people.post("/workers", json={**MANAGER, "role": "care_worker"})).json()["id"]
    body = {"kind": "training", "first_day": "9999-12-31", "last_day": "9999-12-31"}
    answer = await people.post(f"/workers/{carer}/absences", json=body)
    assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, "body.first_day")


async def test_a_weekly_rota_is_rolled_out_in_wall_clock_time_across_the_clocks_going_forward(
    people: httpx.AsyncClient,
) -> None:
    ids = await _roster(people)
    phone = "07700 900456"
    pattern = {
        "first_day": "2026-03-23",  # Monday; the clocks go forward early on Sunday the 29th
        "last_day": "2026-03-29",
        "lines": [
            {
                "weekdays": [0, 1, 2, 3, 4],
                "start": "09:00",
                "end": "17:00",
                "worker_id": ids["ann"],
                "contact_phone": phone,
            },
            {
                "weekdays": [0, 1, 2, 3, 4],
                "start": "17:00",
                "end": "09:00",
                "worker_id": ids["bob"],
                "contact_phone": phone,
            },
            {
                "weekdays": [5, 6],
                "start": "09:00",
                "end": "09:00",
                "worker_id": ids["cal"],
                "contact_phone": phone,
            },
        ],
    }
    rolled = await people.post(f"{ROSTER}/rota", json=pattern)
    assert rolled.status_code == 201, rolled.text
    shifts = rolled.json()
    assert len(shifts) == 12
    weekend = [(s["starts_local"], s["hours"]) for s in shifts if s["worker_id"] == ids["cal"]]
    assert weekend == [("2026-03-28T09:00:00+00:00", 23.0), ("2026-03-29T09:00:00+01:00", 24.0)]
    week = {"from": "2026-03-23T09:00", "to": "2026-03-30T09:00"}
    assert (await people.get(f"{ROSTER}/gaps", params=week)).json() == []
    scheduled = await _events(people, "rounds.oncall.shift.scheduled.v1")
    assert len(scheduled) == 12


@pytest.mark.parametrize(
    ("second", "status", "field"),
    [
        ({"worker_id": "carer"}, 422, "body.lines.1.worker_id"),
        ({"worker_id": "bob", "start": "16:00"}, 409, "body.lines.1"),  # an hour on top of Ann's day
    ],
)
async def test_a_rota_with_one_bad_line_is_refused_whole_naming_the_line_and_day(
    people: httpx.AsyncClient, second: dict[str, Any], status: int, field: str
) -> None:
    ids = await _roster(people)
    ids["carer"] = (await people.post("/workers", json={**MANAGER, "role": "care_worker"})).json()["id"]
    day = {"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00", "contact_phone": "0770"}
    night = {**day, "start": "17:00", "end": "09:00", **second, "worker_id": ids[second["worker_id"]]}
    pattern = {
        "first_day": "2026-06-01",
        "last_day": "2026-06-07",
        "lines": [{**day, "worker_id": ids["ann"]}, night],
    }
    refused = await people.post(f"{ROSTER}/rota", json=pattern)
    assert refused.status_code == status, refused.text
    assert refused.json()["errors"][0]["field"] == field
    assert refused.json()["errors"][0]["reason"].startswith("on 2026-06-01: ")
    assert (await people.get(f"{ROSTER}/shifts")).json() == []
    too_long = {**pattern, "last_day": "2026-08-31", "lines": pattern["lines"][:1]}
    refused = await people.post(f"{ROSTER}/rota", json=too_long)
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "body.last_day")
