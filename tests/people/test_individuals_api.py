"""Individuals, key people and restricted access notes through the API (000 P14-P16, P44; 003 P1-P2)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from rounds.infra.clock import FrozenClock
from tests.people.conftest import NOW, outbox_events

pytestmark = pytest.mark.integration

EDNA: dict[str, Any] = {
    "given_name": "Edna",
    "family_name": "Moss",
    "locality": "Harrogate",
    "nhs_number": "943 476 5919",
    "date_of_birth": "1936-02-11",
    "address": {
        "lines": ["12 Station Road", "Knaresborough"],
        "postcode": "HG5 0AA",
        "location": {"lat": 54.0, "lon": -1.46},
    },
    "language": "en",
    "communication_needs": ["hard of hearing: face her when speaking"],
    "accessible_formats": ["large_print"],
    "preferences": {
        "visit_times": [{"label": "breakfast", "earliest": "07:30", "latest": "09:00"}],
        "carer_gender": "female",
        "refused_worker_ids": ["00000000-0000-0000-0000-00000000000a"],
    },
}
DAUGHTER = {
    "given_name": "Jane",
    "family_name": "Moss",
    "relationship": "daughter",
    "phone": "07700 900123",
    "lasting_power_of_attorney": "health_and_welfare",
    "consent_to_be_informed": True,
    "informed_of": ["missed_visits", "hospital_admissions"],
    "preferred_channel": "sms",
    "quiet_hours_start": "22:00",
    "quiet_hours_end": "07:00",
}


def actor(role: str, worker_id: str = "c0ffee00-0000-0000-0000-000000000000") -> dict[str, str]:
    return {"X-Rounds-Actor": json.dumps({"sub": f"user-{role}", "role": role, "worker_id": worker_id})}


async def test_an_individual_is_registered_with_a_normalised_nhs_number_and_announced(
    people: httpx.AsyncClient,
) -> None:
    created = await people.post("/individuals", json=EDNA)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["nhs_number"] == "9434765919"
    assert (await people.get(f"/individuals/{body['id']}")).json() == body
    (event,) = await outbox_events(people)
    assert (event["type"], event["key"]) == ("rounds.individual.registered.v1", body["id"])
    assert event["data"]["refused_worker_ids"] == ["00000000-0000-0000-0000-00000000000a"]
    assert event["data"]["address"] == "12 Station Road, Knaresborough, HG5 0AA"
    assert "nhs_number" not in event["data"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"nhs_number": "9434765918"}, 422, "body.nhs_number"),
        (
            {"address": {**EDNA["address"], "location": {"lat": 54.0, "lon": 200}}},
            422,
            "body.address.location.lon",
        ),
        (
            {"address": {**EDNA["address"], "location": {"lat": -90.5, "lon": 0}}},
            422,
            "body.address.location.lat",
        ),
        ({"date_of_birth": "2030-01-01"}, 422, "body.date_of_birth"),
        (
            {"preferences": {"visit_times": [{"label": "x", "earliest": "09:00", "latest": "08:00"}]}},
            422,
            "body.preferences.visit_times.0.latest",
        ),
    ],
)
async def test_a_bad_individual_is_refused_with_the_field_and_nothing_is_saved(
    people: httpx.AsyncClient, change: dict[str, Any], status: int, field: str
) -> None:
    response = await people.post("/individuals", json={**EDNA, **change})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (await people.get("/individuals")).json() == []
    assert await outbox_events(people) == []


async def test_a_second_individual_with_the_same_nhs_number_is_a_conflict(people: httpx.AsyncClient) -> None:
    first = (await people.post("/individuals", json=EDNA)).json()
    again = await people.post("/individuals", json={**EDNA, "given_name": "Ed", "nhs_number": "9434765919"})
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "body.nhs_number"
    other = (await people.post("/individuals", json={**EDNA, "nhs_number": "9434765870"})).json()
    taking = await people.patch(f"/individuals/{other['id']}", json={"nhs_number": "9434765919"})
    assert taking.status_code == 409
    assert len((await people.get("/individuals")).json()) == 2
    assert (await people.get(f"/individuals/{first['id']}")).json()["nhs_number"] == "9434765919"


async def test_updates_need_the_current_etag_and_status_changes_are_announced(
    people: httpx.AsyncClient,
) -> None:
    individual = (await people.post("/individuals", json=EDNA)).json()
    url = f"/individuals/{individual['id']}"
    updated = await people.patch(url, json={"language": "cy"}, headers={"if-match": '"1"'})
    assert updated.status_code == 200
    assert updated.headers["etag"] == '"2"'
    assert (await people.patch(url, json={"language": "pl"}, headers={"if-match": '"1"'})).status_code == 412
    hospital = await people.post(
        f"{url}/status", json={"status": "in_hospital", "reason": "fall"}, headers={"if-match": '"2"'}
    )
    assert hospital.status_code == 200
    assert (hospital.json()["status"], hospital.json()["language"]) == ("in_hospital", "cy")
    assert (await people.post(f"{url}/status", json={"status": "ended"})).status_code == 200
    assert (await people.post(f"{url}/status", json={"status": "active"})).status_code == 409
    events = [(e["type"], e["data"].get("status")) for e in await outbox_events(people)]
    assert events == [
        ("rounds.individual.registered.v1", "active"),
        ("rounds.individual.updated.v1", "active"),
        ("rounds.individual.status.changed.v1", "in_hospital"),
        ("rounds.individual.status.changed.v1", "ended"),
    ]
    listed = await people.get("/individuals", params={"status": "ended"})
    assert [i["id"] for i in listed.json()] == [individual["id"]]


async def test_unknown_individuals_and_key_people_are_404(people: httpx.AsyncClient) -> None:
    missing = "00000000-0000-0000-0000-000000000009"
    individual = (await people.post("/individuals", json=EDNA)).json()
    answers = [
        await people.get(f"/individuals/{missing}"),
        await people.patch(f"/individuals/{missing}", json={"language": "cy"}),
        await people.post(f"/individuals/{missing}/key-people", json=DAUGHTER),
        await people.patch(
            f"/individuals/{individual['id']}/key-people/{missing}", json={"relationship": "niece"}
        ),
        await people.get(f"/individuals/{missing}/access-notes", headers=actor("coordinator")),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404, 404, 404]


async def test_key_people_carry_consent_and_quiet_hours_to_alerts(people: httpx.AsyncClient) -> None:
    individual = (await people.post("/individuals", json=EDNA)).json()
    base = f"/individuals/{individual['id']}/key-people"
    created = await people.post(base, json=DAUGHTER)
    assert created.status_code == 201, created.text
    person = created.json()
    no_channel = await people.post(base, json={**DAUGHTER, "preferred_channel": "email"})
    assert no_channel.status_code == 422
    assert no_channel.json()["errors"][0]["field"] == "body.email"
    removed = await people.patch(
        f"{base}/{person['id']}", json={"active": False}, headers={"if-match": '"1"'}
    )
    assert removed.status_code == 200
    assert (await people.get(base, params={"active": "true"})).json() == []
    added, changed = [e for e in await outbox_events(people) if e["type"].startswith("rounds.keyperson")]
    assert added["key"] == individual["id"]
    assert added["data"]["informed_of"] == ["hospital_admissions", "missed_visits"]
    assert (added["data"]["quiet_hours_start"], added["data"]["quiet_hours_end"]) == ("22:00", "07:00")
    assert (changed["type"], changed["data"]["active"]) == ("rounds.keyperson.updated.v1", False)


async def test_key_safe_codes_open_only_to_coordinators_and_the_visiting_worker_and_every_read_is_audited(
    people: httpx.AsyncClient, clock: FrozenClock
) -> None:
    individual = (await people.post("/individuals", json=EDNA)).json()
    worker = (
        await people.post(
            "/workers",
            json={
                "given_name": "Ola",
                "family_name": "Nowak",
                "role": "care_worker",
                "locality": "Harrogate",
            },
        )
    ).json()
    url = f"/individuals/{individual['id']}/access-notes"
    notes = {"notes": "Side door; dog is friendly", "key_safe_code": "4721"}
    assert (await people.put(url, json=notes, headers=actor("care_worker", worker["id"]))).status_code == 403
    written = await people.put(url, json=notes, headers=actor("coordinator"))
    assert written.status_code == 200, written.text
    visiting = actor("care_worker", worker["id"])

    assert (await people.get(url, headers=visiting)).status_code == 403  # no visit allocated yet
    window = {
        "worker_id": worker["id"],
        "starts_at": (NOW + timedelta(hours=1)).isoformat(),
        "ends_at": (NOW + timedelta(hours=2)).isoformat(),
    }
    assert (
        await people.post(f"/individuals/{individual['id']}/visit-windows", json=window)
    ).status_code == 201
    assert (await people.get(url, headers=visiting)).status_code == 403  # too early
    clock.advance(timedelta(minutes=45))
    during = await people.get(url, headers=visiting)
    assert during.status_code == 200
    assert during.json()["key_safe_code"] == "4721"
    clock.advance(timedelta(hours=2))
    assert (await people.get(url, headers=visiting)).status_code == 403  # long gone
    assert (await people.get(url, headers=actor("key_person"))).status_code == 403
    assert (await people.get(url)).status_code == 401

    audit = (await people.get(f"/individuals/{individual['id']}/access-audit")).json()
    assert [(a["action"], a["reader_role"], a["granted"]) for a in audit] == [
        ("write", "care_worker", False),
        ("write", "coordinator", True),
        ("read", "care_worker", False),
        ("read", "care_worker", False),
        ("read", "care_worker", True),
        ("read", "care_worker", False),
        ("read", "key_person", False),
    ]
    # Restricted data never leaves in an event or in the individual's record.
    everything = (
        json.dumps([e["data"] for e in await outbox_events(people)])
        + (await people.get(f"/individuals/{individual['id']}")).text
    )
    assert "4721" not in everything


async def test_individuals_are_found_by_nhs_number_and_by_a_name_with_wildcard_characters(
    people: httpx.AsyncClient,
) -> None:
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    await people.post(
        "/individuals", json={**EDNA, "nhs_number": None, "given_name": "Ed_na", "family_name": "O%Neil"}
    )
    found = await people.get("/individuals", params={"nhs_number": "943 476 5919"})
    assert [i["id"] for i in found.json()] == [edna]
    assert (await people.get("/individuals", params={"nhs_number": "9434765918"})).status_code == 422
    # % and _ are characters searched for, not wildcards that match everyone.
    assert [i["given_name"] for i in (await people.get("/individuals", params={"name": "d_n"})).json()] == [
        "Ed_na"
    ]
    assert [i["family_name"] for i in (await people.get("/individuals", params={"name": "%"})).json()] == [
        "O%Neil"
    ]


async def test_a_key_person_sees_who_is_in_the_circle_but_not_how_to_reach_them(
    people: httpx.AsyncClient,
) -> None:
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    jane = (await people.post(f"/individuals/{edna}/key-people", json=DAUGHTER)).json()["id"]
    as_relative = actor("key_person")
    listed = (await people.get(f"/individuals/{edna}/key-people", headers=as_relative)).json()
    assert [(p["given_name"], p["phone"], p["email"]) for p in listed] == [("Jane", None, None)]
    one = (await people.get(f"/individuals/{edna}/key-people/{jane}", headers=as_relative)).json()
    assert one["phone"] is None
    staff = (await people.get(f"/individuals/{edna}/key-people/{jane}", headers=actor("coordinator"))).json()
    assert staff["phone"] == "07700 900123"
