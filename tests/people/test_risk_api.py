"""The home's risk assessment (000 P14-P17): lone working, aggression, double-up, reviews, events."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.people.domain.risk import (
    Hazard,
    HazardKind,
    RiskAssessment,
    RiskLevel,
    RiskRuleBroken,
    check_assessment,
)
from tests.people.conftest import outbox_events
from tests.people.test_individuals_api import EDNA
from tests.people.test_oncall_api import MANAGER

AGGRESSION = {
    "kind": "aggression",
    "description": "son has shouted at carers when drunk",
    "level": "high",
    "controls": "two workers; leave if he is drinking; call on-call",
}
ISOLATED = {
    "kind": "lone_working",
    "description": "farmhouse at the end of a track, no signal inside",
    "level": "medium",
    "controls": "text the office on arrival and leaving",
}


def assessment(assessor: str, **changes: Any) -> dict[str, Any]:
    return {
        "assessed_on": "2026-05-28",
        "review_date": "2026-11-28",
        "assessed_by": assessor,
        "hazards": [ISOLATED],
        "mobile_signal": False,
        **changes,
    }


@pytest.mark.integration
async def test_a_home_is_assessed_reviewed_to_need_two_workers_and_ended(people: httpx.AsyncClient) -> None:
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    cara = (await people.post("/workers", json=MANAGER)).json()["id"]
    url = f"/individuals/{edna}/risk-assessment"
    created = await people.post(url, json=assessment(cara))
    assert created.status_code == 201, created.text
    assert (created.json()["overall"], created.json()["history_of_aggression"]) == ("medium", False)
    assert (await people.post(url, json=assessment(cara))).status_code == 409

    lone = await people.put(
        url, json=assessment(cara, hazards=[ISOLATED, AGGRESSION]), headers={"If-Match": '"1"'}
    )
    assert (lone.status_code, lone.json()["errors"][0]["field"]) == (422, "body.hazards.1.level")
    doubled = assessment(
        cara,
        hazards=[ISOLATED, AGGRESSION],
        double_up_required=True,
        double_up_reason="history of aggression",
    )
    reviewed = await people.put(url, json=doubled, headers={"If-Match": '"1"'})
    assert reviewed.status_code == 200, reviewed.text
    assert (reviewed.json()["overall"], reviewed.headers["etag"]) == ("high", '"2"')
    assert (await people.put(url, json=doubled, headers={"If-Match": '"1"'})).status_code == 412

    ended = await people.post(f"{url}/end")
    assert ended.json()["status"] == "ended"
    events = [e for e in await outbox_events(people) if "riskassessment" in e["type"]]
    assert [(e["type"].split(".")[-2], e["data"]["version"], e["data"]["status"]) for e in events] == [
        ("recorded", 1, "current"),
        ("updated", 2, "current"),
        ("updated", 3, "ended"),
    ]
    assert events[1]["key"] == edna
    assert events[1]["data"]["double_up_required"] is True
    assert events[1]["data"]["history_of_aggression"] is True
    assert events[1]["data"]["hazards"][1]["controls"].startswith("two workers")


@pytest.mark.integration
async def test_assessments_due_for_review_are_listed_soonest_first(people: httpx.AsyncClient) -> None:
    cara = (await people.post("/workers", json=MANAGER)).json()["id"]
    for review in ("2026-07-01", "2026-06-15", "2026-09-01"):
        edna = (await people.post("/individuals", json={**EDNA, "nhs_number": None})).json()["id"]
        await people.post(f"/individuals/{edna}/risk-assessment", json=assessment(cara, review_date=review))
    first = await people.get("/risk-assessments/due", params={"by": "2026-08-01", "limit": 1})
    second = await people.get(
        "/risk-assessments/due",
        params={"by": "2026-08-01", "limit": 1, "cursor": first.headers["x-next-cursor"]},
    )
    assert [a["review_date"] for a in first.json() + second.json()] == ["2026-06-15", "2026-07-01"]
    assert "x-next-cursor" not in second.headers
    assert (await people.get("/risk-assessments/due")).json() == []  # none due today (1 June)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"review_date": "2027-06-01"}, 422, "body.review_date"),
        ({"review_date": "2026-05-28"}, 422, "body.review_date"),
        ({"assessed_on": "2026-06-02", "review_date": "2026-09-01"}, 422, "body.assessed_on"),
        ({"double_up_required": True}, 422, "body.double_up_reason"),
        ({"assessed_by": "00000000-0000-0000-0000-000000000001"}, 404, "body.assessed_by"),
    ],
)
async def test_assessments_that_cannot_stand_are_refused(
    people: httpx.AsyncClient, changes: dict[str, Any], status: int, field: str
) -> None:
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    cara = (await people.post("/workers", json=MANAGER)).json()["id"]
    refused = await people.post(f"/individuals/{edna}/risk-assessment", json=assessment(cara, **changes))
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (status, field)
    assert (await people.get(f"/individuals/{edna}/risk-assessment")).status_code == 404


def test_the_review_may_be_at_most_twelve_months_away_even_from_the_end_of_a_month() -> None:
    base = RiskAssessment(uuid4(), date(2026, 2, 28), date(2027, 2, 28), uuid4())
    check_assessment(base, date(2026, 3, 1))
    late = RiskAssessment(uuid4(), date(2026, 2, 28), date(2027, 3, 1), uuid4())
    with pytest.raises(RiskRuleBroken):
        check_assessment(late, date(2026, 3, 1))


def test_the_overall_level_is_the_highest_hazard() -> None:
    hazards = (
        Hazard(HazardKind.ENVIRONMENT, "dog", RiskLevel.LOW, "ask for the dog to be shut away"),
        Hazard(HazardKind.INFECTION, "MRSA", RiskLevel.MEDIUM, "gloves and aprons"),
    )
    assert (
        RiskAssessment(uuid4(), date(2026, 1, 1), date(2026, 6, 1), uuid4(), hazards).overall
        is RiskLevel.MEDIUM
    )
