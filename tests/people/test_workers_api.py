"""Workers through the API: the full record, updates with ETags, compliance and its events, lists."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from rounds.infra.clock import FrozenClock
from tests.people.conftest import outbox_events

pytestmark = pytest.mark.integration

ASHA = {
    "given_name": "Asha",
    "family_name": "Patel",
    "role": "occupational_therapist",
    "locality": "Harrogate",
    "job_title": "Occupational Therapist",
    "contract_type": "permanent",
    "contracted_hours_per_week": 37,
    "start_date": "2025-01-06",
    "probation_status": "completed",
    "induction_status": "completed",
    "competencies": [
        {"name": "moving_and_handling", "evidence": "cert 22", "expires_on": "2026-06-02", "mandatory": True}
    ],
    "registrations": [{"body": "HCPC", "number": "OT12345", "expires_on": "2027-08-31"}],
    "dbs": {"certificate_number": "001234", "issued_on": "2025-01-02", "recheck_due": "2028-01-02"},
    "languages": ["en", "ur"],
    "gender": "female",
    "home_base": {"lat": 53.99, "lon": -1.54},
    "transport_mode": "car",
}


async def test_a_worker_record_round_trips_and_carries_its_etag(people: httpx.AsyncClient) -> None:
    created = await people.post("/workers", json=ASHA)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["registrations"][0]["body"] == "HCPC"
    assert body["home_base"] == {"lat": 53.99, "lon": -1.54}
    assert created.headers["etag"] == '"1"'
    read = await people.get(f"/workers/{body['id']}")
    assert read.json() == body
    assert read.headers["etag"] == '"1"'
    (event,) = await outbox_events(people)
    assert event["type"] == "rounds.worker.registered.v1"
    assert event["data"]["may_work"] is True
    assert event["data"]["home_base"] == {"lat": 53.99, "lon": -1.54}


async def test_an_update_with_a_stale_etag_is_refused_and_saves_nothing(people: httpx.AsyncClient) -> None:
    worker = (await people.post("/workers", json=ASHA)).json()
    first = await people.patch(
        f"/workers/{worker['id']}", json={"job_title": "Senior OT"}, headers={"if-match": '"1"'}
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"2"'
    stale = await people.patch(
        f"/workers/{worker['id']}", json={"gender": "male"}, headers={"if-match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.headers["etag"] == '"2"'
    now = (await people.get(f"/workers/{worker['id']}")).json()
    assert (now["job_title"], now["gender"], now["version"]) == ("Senior OT", "female", 2)
    types = [e["type"] for e in await outbox_events(people)]
    assert types == ["rounds.worker.registered.v1", "rounds.worker.updated.v1"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"home_base": {"lat": 91, "lon": 0}}, "body.home_base.lat"),
        ({"home_base": {"lat": 53, "lon": -181}}, "body.home_base.lon"),
        ({"given_name": None}, "body.given_name"),
        (
            {"dbs": {"certificate_number": "1", "issued_on": "2026-01-02", "recheck_due": "2025-01-01"}},
            "body.dbs.recheck_due",
        ),
    ],
)
async def test_bad_worker_changes_are_refused_with_the_field(
    people: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    worker = (await people.post("/workers", json=ASHA)).json()
    response = await people.patch(f"/workers/{worker['id']}", json=body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (await people.get(f"/workers/{worker['id']}")).json()["version"] == 1


async def test_unknown_workers_are_404(people: httpx.AsyncClient) -> None:
    missing = "00000000-0000-0000-0000-000000000009"
    worker = (await people.post("/workers", json=ASHA)).json()
    answers = [
        await people.patch(f"/workers/{worker['id']}", json={"line_manager_id": missing}),
        await people.patch(f"/workers/{missing}", json={"gender": "male"}),
        await people.get(f"/workers/{missing}/compliance"),
        await people.post(f"/workers/{missing}/end", json={"ended_on": "2026-06-01"}),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert answers[0].json()["errors"][0]["field"] == "body.line_manager_id"


async def test_an_expiring_mandatory_training_is_announced_once_on_its_day(
    people: httpx.AsyncClient, clock: FrozenClock
) -> None:
    worker = (await people.post("/workers", json=ASHA)).json()
    assert (await people.get(f"/workers/{worker['id']}/compliance")).json()["may_work"] is True
    assert (await people.post("/compliance-reviews")).json() == []

    clock.advance(timedelta(days=1))  # 2026-06-02, the training's expiry day
    changes = (await people.post("/compliance-reviews")).json()
    assert changes == [
        {
            "worker_id": worker["id"],
            "day": "2026-06-02",
            "may_work": False,
            "reasons": ["mandatory_training_expired:moving_and_handling"],
        }
    ]
    assert (await people.post("/compliance-reviews")).json() == []  # nothing new the second time

    renewed = {
        "competencies": [{"name": "moving_and_handling", "expires_on": "2027-06-02", "mandatory": True}]
    }
    assert (await people.patch(f"/workers/{worker['id']}", json=renewed)).status_code == 200
    events = [(e["type"], e["data"].get("may_work")) for e in await outbox_events(people)]
    assert events == [
        ("rounds.worker.registered.v1", True),
        ("rounds.worker.compliance.changed.v1", False),
        ("rounds.worker.updated.v1", None),
        ("rounds.worker.compliance.changed.v1", True),
    ]


async def test_lists_page_with_a_cursor_and_filter(people: httpx.AsyncClient) -> None:
    for family, locality in [
        ("Adams", "Leeds"),
        ("Brown", "Harrogate"),
        ("Cole", "Leeds"),
        ("Dale", "Leeds"),
    ]:
        await people.post("/workers", json={**ASHA, "family_name": family, "locality": locality})
    first = await people.get("/workers", params={"limit": 2, "locality": "Leeds"})
    assert [w["family_name"] for w in first.json()] == ["Adams", "Cole"]
    second = await people.get(
        "/workers", params={"limit": 2, "locality": "Leeds", "cursor": first.headers["x-next-cursor"]}
    )
    assert [w["family_name"] for w in second.json()] == ["Dale"]
    assert "x-next-cursor" not in second.headers
    assert [w["family_name"] for w in (await people.get("/workers", params={"name": "ROW"})).json()] == [
        "Brown"
    ]
    assert (await people.get("/workers", params={"cursor": "nonsense"})).status_code == 422


async def test_organisation_has_localities_teams_and_line_managers(people: httpx.AsyncClient) -> None:
    leeds = (await people.post("/localities", json={"name": "Leeds"})).json()
    assert (await people.post("/localities", json={"name": "Leeds"})).status_code == 409
    manager = (await people.post("/workers", json={**ASHA, "role": "registered_manager"})).json()
    team = await people.post(
        "/teams", json={"name": "North", "locality_id": leeds["id"], "manager_id": manager["id"]}
    )
    assert team.status_code == 201, team.text
    report = (
        await people.post(
            "/workers", json={**ASHA, "line_manager_id": manager["id"], "team_id": team.json()["id"]}
        )
    ).json()
    assert (await people.get(f"/workers/{manager['id']}/reports")).json() == [report["id"]]
    organisation = (await people.get("/organisation")).json()
    assert organisation["time_zone"] == "Europe/London"
    assert [t["name"] for t in organisation["teams"]] == ["North"]
    bad_team = await people.post("/teams", json={"name": "X", "locality_id": manager["id"]})
    assert bad_team.status_code == 404
    assert bad_team.json()["errors"] == [
        {"field": "body.locality_id", "reason": f"no locality has id {manager['id']}"}
    ]
