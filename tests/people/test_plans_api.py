"""Service delivery plans through the API (003 P1-P15, P19, P30-P32): draft, sign-offs, revise, history."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from rounds.infra.clock import FrozenClock
from tests.people.conftest import outbox_events
from tests.people.test_individuals_api import DAUGHTER, EDNA
from tests.people.test_workers_api import ASHA

pytestmark = pytest.mark.integration

PLAN: dict[str, Any] = {
    "start_date": "2026-06-08",
    "review_date": "2026-09-08",
    "needs": [
        {"description": "help to wash and dress"},
        {"description": "hard of hearing", "communication": True},
    ],
    "outcomes": ["stays in her own home", "keeps walking to the shop"],
    "preferences": ["a bath on Sundays"],
    "risks": [
        {
            "description": "falls on the stairs",
            "management": "walk behind her; stair rail",
            "likelihood": "high",
        }
    ],
    "visits": [
        {
            "id": "morning",
            "name": "Morning call",
            "weekdays": [0, 1, 2, 3, 4, 5, 6],
            "preferred_start": "08:00",
            "duration_minutes": 45,
            "tasks": ["Help to wash and dress", "Prepare breakfast"],
        },
        {
            "id": "bedtime",
            "name": "Bedtime",
            "weekdays": [0, 2, 4],
            "preferred_start": "20:30",
            "duration_minutes": 30,
            "workers_required": 2,
            "tasks": ["Hoist to bed"],
            "required_skills": ["hoist"],
        },
    ],
    "network_support": [{"who": "Jane (daughter)", "provides": "shopping on Saturdays"}],
    "flexibility": "morning call may move by half an hour",
    "not_first_preference": [{"area": "bedtime", "note": "would prefer 22:00; not available"}],
    "monitoring": "monthly call from the coordinator",
    "copies_held_by": [
        {"holder": "Edna Moss", "kind": "individual"},
        {"holder": "Jane Moss", "kind": "key_person"},
    ],
    "right_of_access": ["Edna Moss", "Jane Moss"],
}
COORDINATOR = {
    **ASHA,
    "given_name": "Cara",
    "family_name": "Lowe",
    "role": "coordinator",
    "registrations": [],
}


async def _setting(people: httpx.AsyncClient) -> dict[str, str]:
    """Edna, her daughter (health and welfare LPA) and a coordinator."""
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    jane = (await people.post(f"/individuals/{edna}/key-people", json=DAUGHTER)).json()["id"]
    cara = (await people.post("/workers", json=COORDINATOR)).json()["id"]
    return {"edna": edna, "jane": jane, "cara": cara}


async def _plan_events(people: httpx.AsyncClient) -> list[dict[str, Any]]:
    return [e for e in await outbox_events(people) if e["type"].startswith("rounds.careplan.")]


async def test_a_plan_is_drafted_agreed_with_both_sign_offs_revised_and_keeps_its_history(
    people: httpx.AsyncClient, clock: FrozenClock
) -> None:
    ids = await _setting(people)
    plan_url = f"/individuals/{ids['edna']}/plan"
    created = await people.post(plan_url, json=PLAN)
    assert created.status_code == 201, created.text
    assert (created.json()["version"], created.json()["status"], created.headers["etag"]) == (
        1,
        "draft",
        '"1"',
    )
    assert created.json()["content"]["visits"][1]["preferred_start"] == "20:30"

    coordinator = await people.post(
        f"{plan_url}/sign-offs", json={"kind": "coordinator", "signer_id": ids["cara"]}
    )
    assert coordinator.status_code == 200, coordinator.text
    assert coordinator.json()["status"] == "draft"
    assert await _plan_events(people) == []  # nothing for rota until it is agreed

    daughter = await people.post(
        f"{plan_url}/sign-offs",
        json={"kind": "representative", "signer_id": ids["jane"]},
        headers={"If-Match": coordinator.headers["etag"]},
    )
    assert daughter.status_code == 200, daughter.text
    agreed = daughter.json()
    assert agreed["status"] == "agreed"
    assert [(s["kind"], s["signer_name"]) for s in agreed["sign_offs"]] == [
        ("coordinator", "Cara Lowe"),
        ("representative", "Jane Moss"),
    ]
    (event,) = await _plan_events(people)
    assert (event["type"], event["key"]) == ("rounds.careplan.agreed.v1", ids["edna"])
    assert event["data"]["version"] == 1
    assert event["data"]["supersedes_version"] is None
    assert event["data"]["visits"][0]["tasks"] == ["Help to wash and dress", "Prepare breakfast"]
    assert event["data"]["visits"][1] | {"tasks": None} == {
        "id": "bedtime",
        "name": "Bedtime",
        "weekdays": [0, 2, 4],
        "preferred_start": "20:30",
        "duration_minutes": 30,
        "flexibility_minutes": 30,
        "tasks": None,
        "workers_required": 2,
        "required_skills": ["hoist"],
    }
    assert event["data"]["locality"] == "Harrogate"

    revision = await people.post(f"{plan_url}/revisions", json={})
    assert revision.status_code == 201, revision.text
    assert (revision.json()["version"], revision.json()["status"]) == (2, "draft")
    assert (await people.get(f"{plan_url}/in-force")).json()["version"] == 1
    assert (await people.post(f"{plan_url}/revisions", json={})).status_code == 409  # one draft at a time

    changed = {
        **PLAN,
        "visits": [{**PLAN["visits"][0], "tasks": ["Help to wash and dress", "Medication prompt"]}],
    }
    edited = await people.put(
        f"{plan_url}/draft", json=changed, headers={"If-Match": revision.headers["etag"]}
    )
    assert edited.status_code == 200, edited.text
    await people.post(f"{plan_url}/sign-offs", json={"kind": "individual", "signer_id": ids["edna"]})
    clock.advance(timedelta(hours=1))
    await people.post(f"{plan_url}/sign-offs", json={"kind": "coordinator", "signer_id": ids["cara"]})

    versions = (await people.get(f"{plan_url}/versions")).json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "superseded"), (2, "agreed")]
    assert versions[0]["content"]["visits"][0]["tasks"] == ["Help to wash and dress", "Prepare breakfast"]
    events = await _plan_events(people)
    assert [e["type"] for e in events] == [
        "rounds.careplan.agreed.v1",
        "rounds.careplan.revision.started.v1",
        "rounds.careplan.agreed.v1",
    ]
    assert events[2]["data"]["version"] == 2
    assert events[2]["data"]["supersedes_version"] == 1
    assert [v["id"] for v in events[2]["data"]["visits"]] == ["morning"]

    first_page = await people.get(f"{plan_url}/versions", params={"limit": 1})
    assert [v["version"] for v in first_page.json()] == [1]
    second = await people.get(
        f"{plan_url}/versions", params={"limit": 1, "cursor": first_page.headers["x-next-cursor"]}
    )
    assert [v["version"] for v in second.json()] == [2]
    assert "x-next-cursor" not in second.headers


async def test_a_stale_if_match_on_the_draft_is_412_and_changes_nothing(people: httpx.AsyncClient) -> None:
    ids = await _setting(people)
    plan_url = f"/individuals/{ids['edna']}/plan"
    await people.post(plan_url, json=PLAN)
    await people.post(f"{plan_url}/sign-offs", json={"kind": "coordinator", "signer_id": ids["cara"]})
    stale = await people.put(
        f"{plan_url}/draft", json={**PLAN, "outcomes": ["x"]}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"2"'
    current = (await people.get(plan_url)).json()
    assert current["content"]["outcomes"] == PLAN["outcomes"]
    assert current["signed_by_coordinator"] is True


@pytest.mark.parametrize(
    ("sign_off", "status", "field"),
    [
        ({"kind": "individual", "signer_id": "cara"}, 422, "body.signer_id"),
        (
            {"kind": "representative", "signer_id": "00000000-0000-0000-0000-000000000001"},
            404,
            "body.signer_id",
        ),
        ({"kind": "representative", "signer_id": "son"}, 422, "body.signer_id"),
        ({"kind": "coordinator", "signer_id": "carer"}, 422, "body.signer_id"),
        ({"kind": "coordinator", "signer_id": "00000000-0000-0000-0000-000000000001"}, 404, "body.signer_id"),
    ],
)
async def test_only_the_individual_their_representative_or_a_coordinator_may_sign(
    people: httpx.AsyncClient, sign_off: dict[str, str], status: int, field: str
) -> None:
    ids = await _setting(people)
    son = {
        **DAUGHTER,
        "given_name": "Tom",
        "relationship": "son",
        "lasting_power_of_attorney": "property_and_financial",
    }
    ids["son"] = (await people.post(f"/individuals/{ids['edna']}/key-people", json=son)).json()["id"]
    ids["carer"] = (await people.post("/workers", json={**COORDINATOR, "role": "care_worker"})).json()["id"]
    await people.post(f"/individuals/{ids['edna']}/plan", json=PLAN)
    body = {**sign_off, "signer_id": ids.get(sign_off["signer_id"], sign_off["signer_id"])}
    refused = await people.post(f"/individuals/{ids['edna']}/plan/sign-offs", json=body)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == field
    assert (await people.get(f"/individuals/{ids['edna']}/plan")).json()["sign_offs"] == []


async def test_a_coordinator_signs_only_in_their_own_name(people: httpx.AsyncClient) -> None:
    ids = await _setting(people)
    await people.post(f"/individuals/{ids['edna']}/plan", json=PLAN)
    someone_else = {
        "X-Rounds-Actor": json.dumps({"sub": "u", "role": "coordinator", "worker_id": ids["jane"]})
    }
    refused = await people.post(
        f"/individuals/{ids['edna']}/plan/sign-offs",
        json={"kind": "coordinator", "signer_id": ids["cara"]},
        headers=someone_else,
    )
    assert refused.status_code == 403


async def test_an_incomplete_draft_cannot_be_signed_and_the_problem_lists_what_is_missing(
    people: httpx.AsyncClient,
) -> None:
    ids = await _setting(people)
    await people.post(
        f"/individuals/{ids['edna']}/plan", json={"start_date": "2026-06-08", "needs": PLAN["needs"]}
    )
    refused = await people.post(
        f"/individuals/{ids['edna']}/plan/sign-offs", json={"kind": "coordinator", "signer_id": ids["cara"]}
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == [
        "plan.outcomes",
        "plan.review_date",
        "plan.visits",
        "plan.monitoring",
        "plan.copies_held_by",
    ]


async def test_bad_plans_are_refused_with_the_field(people: httpx.AsyncClient) -> None:
    ids = await _setting(people)
    url = f"/individuals/{ids['edna']}/plan"
    unknown = await people.post("/individuals/00000000-0000-0000-0000-000000000001/plan", json=PLAN)
    assert unknown.status_code == 404
    twice_named = {**PLAN, "visits": [PLAN["visits"][0], PLAN["visits"][0]]}
    duplicate_line = await people.post(url, json=twice_named)
    assert (duplicate_line.status_code, duplicate_line.json()["errors"][0]["field"]) == (
        422,
        "body.visits.1.id",
    )
    early_review = await people.post(url, json={**PLAN, "review_date": "2026-06-01"})
    assert (early_review.status_code, early_review.json()["errors"][0]["field"]) == (422, "body.review_date")
    triple = {**PLAN, "visits": [{**PLAN["visits"][0], "workers_required": 3}]}
    assert (await people.post(url, json=triple)).status_code == 422
    assert (await people.get(url)).status_code == 404  # nothing was saved
    assert (await people.post(url, json=PLAN)).status_code == 201
    assert (await people.post(url, json=PLAN)).status_code == 409
    assert (await people.post(f"{url}/revisions", json={})).status_code == 409  # the first version is a draft
    assert (await people.get(f"{url}/versions/9")).status_code == 404
    assert (await people.get(f"{url}/versions", params={"cursor": "nonsense"})).status_code == 422


async def test_a_plan_ends_with_its_last_day_withdrawing_a_draft_in_progress(
    people: httpx.AsyncClient,
) -> None:
    ids = await _setting(people)
    url = f"/individuals/{ids['edna']}/plan"
    await people.post(url, json=PLAN)
    await people.post(f"{url}/sign-offs", json={"kind": "coordinator", "signer_id": ids["cara"]})
    await people.post(f"{url}/sign-offs", json={"kind": "individual", "signer_id": ids["edna"]})
    await people.post(f"{url}/revisions", json={})
    early = await people.post(f"{url}/end", json={"end_date": "2026-06-01"})
    assert (early.status_code, early.json()["errors"][0]["field"]) == (
        422,
        "body.end_date",
    )  # before it started
    ended = await people.post(f"{url}/end", json={"end_date": "2026-07-31", "reason": "moved to a care home"})
    assert ended.status_code == 200, ended.text
    assert (ended.json()["version"], ended.json()["status"]) == (1, "ended")
    assert ended.json()["content"]["end_date"] == "2026-07-31"
    versions = (await people.get(f"{url}/versions")).json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "ended"), (2, "withdrawn")]
    assert (await people.get(f"{url}/in-force")).json()["content"]["end_date"] == "2026-07-31"
    assert (await people.post(f"{url}/end", json={"end_date": "2026-08-31"})).status_code == 409
    assert (await people.post(f"{url}/revisions", json={})).status_code == 409
    (event,) = [e for e in await outbox_events(people) if e["type"] == "rounds.careplan.ended.v1"]
    assert (event["key"], event["data"]["version"], event["data"]["end_date"]) == (
        ids["edna"],
        1,
        "2026-07-31",
    )
    assert event["data"]["reason"] == "moved to a care home"


async def test_agreed_plans_due_for_review_are_listed_soonest_first(people: httpx.AsyncClient) -> None:
    ids = await _setting(people)
    others = []
    for review in ("2026-08-01", "2026-07-01"):
        other = (await people.post("/individuals", json={**EDNA, "nhs_number": None})).json()["id"]
        await people.post(f"/individuals/{other}/plan", json={**PLAN, "review_date": review})
        await people.post(
            f"/individuals/{other}/plan/sign-offs", json={"kind": "coordinator", "signer_id": ids["cara"]}
        )
        await people.post(
            f"/individuals/{other}/plan/sign-offs", json={"kind": "individual", "signer_id": other}
        )
        others.append(other)
    await people.post(f"/individuals/{ids['edna']}/plan", json=PLAN)  # a draft is not yet reviewed
    first = await people.get("/plans/due-for-review", params={"by": "2026-12-31", "limit": 1})
    second = await people.get(
        "/plans/due-for-review",
        params={"by": "2026-12-31", "limit": 1, "cursor": first.headers["x-next-cursor"]},
    )
    assert [(p["individual_id"], p["review_date"]) for p in first.json() + second.json()] == [
        (others[1], "2026-07-01"),
        (others[0], "2026-08-01"),
    ]
    assert (await people.get("/plans/due-for-review")).json() == []  # nothing due today


async def test_when_the_service_ends_the_plan_and_the_homes_risk_assessment_end_with_it(
    people: httpx.AsyncClient,
) -> None:
    ids = await _setting(people)
    url = f"/individuals/{ids['edna']}"
    await people.post(f"{url}/plan", json={**PLAN, "start_date": "2026-05-01"})
    await people.post(f"{url}/plan/sign-offs", json={"kind": "coordinator", "signer_id": ids["cara"]})
    await people.post(f"{url}/plan/sign-offs", json={"kind": "individual", "signer_id": ids["edna"]})
    home = {"assessed_on": "2026-05-01", "review_date": "2026-11-01", "assessed_by": ids["cara"]}
    await people.post(f"{url}/risk-assessment", json=home)
    ended = await people.post(f"{url}/status", json={"status": "ended", "reason": "moved to a care home"})
    assert ended.status_code == 200, ended.text
    plan = (await people.get(f"{url}/plan/in-force")).json()
    assert (plan["status"], plan["content"]["end_date"]) == ("ended", "2026-06-01")  # today, in London
    assert (await people.get(f"{url}/risk-assessment")).json()["status"] == "ended"
    types = [e["type"] for e in await outbox_events(people)][-3:]
    assert types == [
        "rounds.individual.status.changed.v1",
        "rounds.careplan.ended.v1",
        "rounds.individual.riskassessment.updated.v1",
    ]
