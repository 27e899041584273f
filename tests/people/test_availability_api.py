"""A worker's week and absences through the API: leave in advance, sickness on the day (000 P43)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import httpx
import pytest

from services.people.domain.availability import (
    AvailabilityRuleBroken,
    WorkingHours,
    WorkingPattern,
    check_pattern,
    is_short_notice,
)
from tests.people.conftest import NOW, outbox_events
from tests.people.test_oncall_api import MANAGER

pytestmark = pytest.mark.integration

CARER: dict[str, Any] = {**MANAGER, "given_name": "Dee", "role": "care_worker"}
WEEK = {
    "hours": [
        {"weekday": 5, "start": "08:00", "end": "14:00"},
        {"weekday": 0, "start": "07:00", "end": "13:00"},
        {"weekday": 0, "start": "17:00", "end": "21:00"},
    ],
    "max_working_minutes_per_day": 600,
}


async def _events(people: httpx.AsyncClient, prefix: str) -> list[dict[str, Any]]:
    return [e for e in await outbox_events(people) if e["type"].startswith(prefix)]


async def test_a_working_pattern_is_set_with_etags_and_announced_in_wall_clock_time(
    people: httpx.AsyncClient,
) -> None:
    worker = (await people.post("/workers", json=CARER)).json()["id"]
    empty = await people.get(f"/workers/{worker}/availability")
    assert (empty.json()["hours"], empty.headers["etag"]) == ([], '"0"')
    saved = await people.put(f"/workers/{worker}/availability", json=WEEK, headers={"If-Match": '"0"'})
    assert saved.status_code == 200, saved.text
    assert [(h["weekday"], h["start"]) for h in saved.json()["hours"]] == [
        (0, "07:00"),
        (0, "17:00"),
        (5, "08:00"),
    ]
    stale = await people.put(
        f"/workers/{worker}/availability", json={"hours": []}, headers={"If-Match": '"0"'}
    )
    assert stale.status_code == 412
    (event,) = await _events(people, "rounds.worker.availability")
    assert (event["key"], event["data"]["version"]) == (worker, 1)
    assert event["data"]["hours"][0] == {"weekday": 0, "start": "07:00", "end": "13:00"}
    overlapping = {
        "hours": [
            {"weekday": 1, "start": "08:00", "end": "12:00"},
            {"weekday": 1, "start": "11:00", "end": "15:00"},
        ]
    }
    refused = await people.put(f"/workers/{worker}/availability", json=overlapping)
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "body.hours.1.start")


async def test_sickness_on_the_day_is_short_notice_and_leave_in_advance_is_not(
    people: httpx.AsyncClient,
) -> None:
    worker = (await people.post("/workers", json=CARER)).json()["id"]
    # NOW is 10:00 on Monday 1 June in London.
    sick = await people.post(
        f"/workers/{worker}/absences",
        json={"kind": "sickness", "starts_at": "2026-06-01T10:00", "ends_at": "2026-06-03T00:00"},
    )
    assert sick.status_code == 201, sick.text
    assert (sick.json()["short_notice"], sick.json()["starts_at"]) == (True, "2026-06-01T09:00:00Z")
    leave = await people.post(
        f"/workers/{worker}/absences",
        json={"kind": "annual_leave", "first_day": "2026-10-24", "last_day": "2026-10-25"},
    )
    assert leave.status_code == 201, leave.text
    body = leave.json()
    # Two local days, the second 25 hours long: from midnight BST to midnight GMT.
    assert (body["starts_at"], body["ends_at"], body["short_notice"]) == (
        "2026-10-23T23:00:00Z",
        "2026-10-26T00:00:00Z",
        False,
    )
    recorded = await _events(people, "rounds.worker.absence.recorded")
    assert [(e["key"], e["data"]["kind"], e["data"]["short_notice"]) for e in recorded] == [
        (worker, "sickness", True),
        (worker, "annual_leave", False),
    ]
    assert recorded[0]["data"]["locality"] == "Harrogate"


async def test_an_absence_is_shortened_when_the_worker_comes_back_early_and_can_be_cancelled(
    people: httpx.AsyncClient,
) -> None:
    worker = (await people.post("/workers", json=CARER)).json()["id"]
    sick = (
        await people.post(
            f"/workers/{worker}/absences",
            json={"kind": "sickness", "first_day": "2026-06-01", "last_day": "2026-06-05"},
        )
    ).json()
    url = f"/workers/{worker}/absences/{sick['id']}"
    back = await people.patch(url, json={"ends_at": "2026-06-03T00:00"}, headers={"If-Match": '"1"'})
    assert (back.status_code, back.json()["ends_local"]) == (200, "2026-06-03T00:00:00+01:00")
    assert (
        await people.patch(url, json={"status": "cancelled"}, headers={"If-Match": '"1"'})
    ).status_code == 412
    cancelled = await people.patch(url, json={"status": "cancelled"}, headers={"If-Match": '"2"'})
    assert cancelled.json()["status"] == "cancelled"
    changed = await _events(people, "rounds.worker.absence.changed")
    assert [(e["data"]["version"], e["data"]["status"]) for e in changed] == [
        (2, "recorded"),
        (3, "cancelled"),
    ]
    # Once cancelled the days are free again for another absence.
    again = {"kind": "annual_leave", "first_day": "2026-06-02", "last_day": "2026-06-02"}
    assert (await people.post(f"/workers/{worker}/absences", json=again)).status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"kind": "sickness", "first_day": "2026-06-02", "last_day": "2026-06-02"}, 409, "body.starts_at"),
        (
            {"kind": "sickness", "starts_at": "2026-06-09T10:00", "ends_at": "2026-06-09T09:00"},
            422,
            "body.ends_at",
        ),
        ({"kind": "sickness", "first_day": "2026-06-09", "last_day": "2026-06-08"}, 422, "body.last_day"),
        ({"kind": "sickness", "first_day": "2026-06-09"}, 422, "body"),
        ({"kind": "holiday", "first_day": "2026-06-09", "last_day": "2026-06-09"}, 422, "body.kind"),
        (
            {"kind": "sickness", "starts_at": "2026-03-29T01:30", "ends_at": "2026-03-29T09:00"},
            422,
            "body.starts_at",
        ),
    ],
)
async def test_absences_that_cannot_stand_are_refused_and_nothing_is_saved(
    people: httpx.AsyncClient, body: dict[str, Any], status: int, field: str
) -> None:
    worker = (await people.post("/workers", json=CARER)).json()["id"]
    week = {"kind": "annual_leave", "first_day": "2026-06-01", "last_day": "2026-06-05"}
    assert (await people.post(f"/workers/{worker}/absences", json=week)).status_code == 201
    refused = await people.post(f"/workers/{worker}/absences", json=body)
    assert refused.status_code == status, refused.text
    assert refused.json()["errors"][0]["field"] == field
    assert len((await people.get(f"/workers/{worker}/absences")).json()) == 1


async def test_absences_are_listed_a_page_at_a_time_and_unknown_workers_are_404(
    people: httpx.AsyncClient,
) -> None:
    worker = (await people.post("/workers", json=CARER)).json()["id"]
    for day in (8, 15, 22):
        await people.post(
            f"/workers/{worker}/absences",
            json={"kind": "training", "first_day": f"2026-06-{day:02d}", "last_day": f"2026-06-{day:02d}"},
        )
    first = await people.get(f"/workers/{worker}/absences", params={"limit": 2})
    second = await people.get(
        f"/workers/{worker}/absences", params={"limit": 2, "cursor": first.headers["x-next-cursor"]}
    )
    assert [a["starts_local"][:10] for a in first.json() + second.json()] == [
        "2026-06-08",
        "2026-06-15",
        "2026-06-22",
    ]
    unknown = "00000000-0000-0000-0000-000000000001"
    assert (await people.get(f"/workers/{unknown}/absences")).status_code == 404
    assert (await people.get(f"/workers/{unknown}/availability")).status_code == 404
    day = {"kind": "training", "first_day": "2026-07-01", "last_day": "2026-07-01"}
    assert (await people.post(f"/workers/{unknown}/absences", json=day)).status_code == 404


def test_a_pattern_the_rota_cannot_read_is_refused() -> None:

    with pytest.raises(AvailabilityRuleBroken) as broken:
        check_pattern(WorkingPattern((WorkingHours(2, time(22), time(6)),)))
    assert broken.value.field == "hours.0.end"


def test_recorded_the_evening_before_is_not_short_notice_but_the_same_morning_is() -> None:

    starts = NOW + timedelta(days=1)  # 10:00 tomorrow
    assert is_short_notice(starts, NOW, "Europe/London") is False
    assert is_short_notice(starts, starts - timedelta(hours=3), "Europe/London") is True
