"""Agreements, sessions and records through the supervision API (004 appendix 1, appendix 2, 1.16-1.32)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.supervision.conftest import Supervision

pytestmark = pytest.mark.integration


def agreement_body(s: Supervision, **changes: Any) -> dict[str, Any]:
    return {
        "supervisee_id": str(s.team.worker),
        "supervisor_id": str(s.team.supervisor),
        "frequency": "monthly",
        "duration_minutes": 90,
        "venue": "Harrogate office, room 2",
        "agreed_on": "2026-02-16",
        "review_on": "2027-02-16",
        "team": "Harrogate OT",
        **changes,
    }


def record_body(s: Supervision, **changes: Any) -> dict[str, Any]:
    return {
        "meeting_on": "2026-02-20",
        "duration_minutes": 75,
        "previous_actions_review": "Induction checklist complete.",
        "dbs_change": {"asked": True, "change_reported": False},
        "management": "Caseload of 8; flexi balance +3h.",
        "development": "PDP agreed: moving and handling assessor course.",
        "support": "No health and safety concerns; lone working app set up.",
        "actions": [
            {
                "function": "development",
                "description": "Book the course",
                "owner_id": str(s.team.worker),
                "due_on": "2026-03-20",
            }
        ],
        **changes,
    }


async def plan_one(s: Supervision, **changes: Any) -> dict[str, Any]:
    body = {
        "supervisor_id": str(s.team.supervisor),
        "supervisee_ids": [str(s.team.worker)],
        "first_starts_at": "2026-02-20T10:00:00+00:00",
        "count": 1,
        "venue": "Harrogate office",
        **changes,
    }
    response = await s.client.post("/sessions", json=body, headers=s.as_(s.team.supervisor))
    assert response.status_code == 201, response.text
    return dict(response.json()[0])


async def test_an_agreement_comes_into_force_when_both_sign_and_its_review_supersedes_it(
    s: Supervision,
) -> None:
    sup, worker = s.team.supervisor, s.team.worker
    created = await s.client.post("/agreements", json=agreement_body(s), headers=s.as_(sup))
    assert created.status_code == 201, created.text
    first = created.json()
    assert first["status"] == "awaiting_signatures"
    assert len(first["expectations"]) == 5  # 004 appendix 1's expectations by default

    assert (
        await s.client.post(f"/agreements/{first['id']}/signatures", headers=s.as_(s.team.stranger))
    ).status_code == 403
    half = await s.client.post(f"/agreements/{first['id']}/signatures", headers=s.as_(worker))
    assert half.json()["status"] == "awaiting_signatures"
    both = await s.client.post(f"/agreements/{first['id']}/signatures", headers=s.as_(sup))
    assert both.json()["status"] == "active"
    again = await s.client.post(f"/agreements/{first['id']}/signatures", headers=s.as_(sup))
    assert again.status_code == 409

    s.clock.advance(timedelta(days=60))
    review = (
        await s.client.post("/agreements", json=agreement_body(s, frequency="six_weekly"), headers=s.as_(sup))
    ).json()
    assert review["replaces_id"] == first["id"]
    for signer in (worker, sup):
        await s.client.post(f"/agreements/{review['id']}/signatures", headers=s.as_(signer))
    listed = (await s.client.get(f"/workers/{worker}/agreements", headers=s.as_(worker))).json()
    assert [(a["id"], a["status"]) for a in listed] == [(review["id"], "active"), (first["id"], "superseded")]


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"duration_minutes": 120}, "body.duration_minutes", "1½ hours"),
        ({"review_on": "2026-02-01"}, "body.review_on", "after the date"),
        ({"frequency": "yearly"}, "body.frequency", "Input should be"),
        ({"supervisor_id": "not-a-uuid"}, "body.supervisor_id", "UUID"),
    ],
)
async def test_an_agreement_that_breaks_the_policy_is_refused_with_the_field(
    s: Supervision, changes: dict[str, Any], field: str, reason: str
) -> None:
    response = await s.client.post(
        "/agreements", json=agreement_body(s, **changes), headers=s.as_(s.team.supervisor)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = [e for e in response.json()["errors"] if e["field"] == field]
    assert reason in error["reason"]
    listed = await s.client.get(f"/workers/{s.team.worker}/agreements", headers=s.as_(s.team.worker))
    assert listed.json() == []


async def test_a_series_keeps_its_local_time_across_the_clock_change(s: Supervision) -> None:
    response = await s.client.post(
        "/sessions",
        json={
            "supervisor_id": str(s.team.supervisor),
            "supervisee_ids": [str(s.team.worker)],
            "first_starts_at": "2026-02-20T10:00:00Z",
            "count": 6,
            "frequency": "monthly",
            "venue": "Harrogate office",
        },
        headers=s.as_(s.team.supervisor),
    )
    assert response.status_code == 201, response.text
    sessions = response.json()
    assert [x["local_start"] for x in sessions] == [
        "2026-02-20T10:00:00Z",
        "2026-03-20T10:00:00Z",
        "2026-04-20T10:00:00+01:00",  # summer time: still 10:00 in Harrogate, 09:00 UTC
        "2026-05-20T10:00:00+01:00",
        "2026-06-20T10:00:00+01:00",
        "2026-07-20T10:00:00+01:00",
    ]
    assert sessions[2]["starts_at"] == "2026-04-20T09:00:00Z"
    assert len({x["series_id"] for x in sessions}) == 1

    refused = await s.client.post(
        "/sessions",
        json={
            "supervisor_id": str(s.team.supervisor),
            "supervisee_ids": [str(s.team.worker)],
            "first_starts_at": "2026-02-20T10:00:00Z",
            "count": 3,
            "venue": "Harrogate office",
        },
        headers=s.as_(s.team.supervisor),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.count"


async def test_only_the_line_manager_reschedules_and_the_reason_is_kept(s: Supervision) -> None:
    session = await plan_one(s)
    move = {"starts_at": "2026-02-27T10:00:00Z", "reason": "Supervisor on annual leave"}
    by_worker = await s.client.post(
        f"/sessions/{session['id']}/reschedule", json=move, headers=s.as_(s.team.worker)
    )
    assert by_worker.status_code == 403
    no_reason = await s.client.post(
        f"/sessions/{session['id']}/reschedule",
        json={**move, "reason": " "},
        headers=s.as_(s.team.supervisor),
    )
    assert no_reason.status_code == 422
    moved = await s.client.post(
        f"/sessions/{session['id']}/reschedule", json=move, headers=s.as_(s.team.supervisor)
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["starts_at"] == "2026-02-27T10:00:00Z"
    assert body["reschedules"] == [
        {
            "moved_by": str(s.team.supervisor),
            "moved_at": "2026-02-16T09:00:00Z",
            "from_starts_at": "2026-02-20T10:00:00Z",
            "to_starts_at": "2026-02-27T10:00:00Z",
            "reason": "Supervisor on annual leave",
        }
    ]


async def test_a_record_is_signed_by_both_then_immutable_and_corrected_by_an_amendment(
    s: Supervision,
) -> None:
    session = await plan_one(s)
    s.clock.advance(timedelta(days=4, hours=2))
    sup, worker = s.team.supervisor, s.team.worker
    by_worker = await s.client.post(
        f"/sessions/{session['id']}/record", json=record_body(s), headers=s.as_(worker)
    )
    assert by_worker.status_code == 403
    created = await s.client.post(
        f"/sessions/{session['id']}/record", json=record_body(s), headers=s.as_(sup)
    )
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["signed"] is False

    await s.client.post(f"/records/{record['id']}/signatures", headers=s.as_(sup))
    revised = await s.client.put(
        f"/records/{record['id']}", json=record_body(s, management="Caseload of 9."), headers=s.as_(sup)
    )
    assert revised.json()["version"] == 2
    assert revised.json()["signatures"] == {}  # everyone signs the same content
    for signer in (worker, sup):
        signed = await s.client.post(f"/records/{record['id']}/signatures", headers=s.as_(signer))
    assert signed.json()["signed"] is True

    edit = await s.client.put(
        f"/records/{record['id']}", json=record_body(s, management="Rewritten"), headers=s.as_(sup)
    )
    assert edit.status_code == 409
    amendment = await s.client.post(
        f"/records/{record['id']}/amendments",
        json=record_body(s, leave_dates="2026-04-06 to 2026-04-10"),
        headers=s.as_(sup),
    )
    assert amendment.status_code == 201
    assert amendment.json()["amends_id"] == record["id"]
    kept = (await s.client.get(f"/records/{record['id']}", headers=s.as_(worker))).json()
    assert kept["content"]["management"] == "Caseload of 9."
    assert kept["signed"] is True


async def test_a_disagreement_is_kept_with_how_and_by_when_it_will_be_resolved(s: Supervision) -> None:
    session = await plan_one(s)
    s.clock.advance(timedelta(days=4, hours=2))
    sup, worker = s.team.supervisor, s.team.worker
    record = (
        await s.client.post(f"/sessions/{session['id']}/record", json=record_body(s), headers=s.as_(sup))
    ).json()
    await s.client.post(f"/records/{record['id']}/signatures", headers=s.as_(sup))
    late = await s.client.post(
        f"/records/{record['id']}/disagreement",
        json={"about": "x", "how_to_resolve": "y", "resolve_by": "2026-01-01"},
        headers=s.as_(worker),
    )
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "body.resolve_by"
    disagreement = {
        "about": "The workload review says my caseload is manageable; it is not.",
        "how_to_resolve": "Discuss with the supervisor's line manager (004 appendix 1)",
        "resolve_by": "2026-03-06",
    }
    response = await s.client.post(
        f"/records/{record['id']}/disagreement", json=disagreement, headers=s.as_(worker)
    )
    assert response.status_code == 200, response.text
    assert response.json()["disagreement"] == {"raised_by": str(worker), **disagreement}
    assert response.json()["signatures"] == {}
    for signer in (worker, sup):
        signed = await s.client.post(f"/records/{record['id']}/signatures", headers=s.as_(signer))
    assert signed.json()["signed"] is True
    assert signed.json()["disagreement"]["resolve_by"] == "2026-03-06"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dbs_change": {"asked": False}}, "body.dbs_change.asked"),
        ({"dbs_change": {"asked": True, "change_reported": True}}, "body.dbs_change.details"),
        ({"meeting_on": "2026-02-17"}, "body.meeting_on"),
        ({"management": None}, "body.management"),
    ],
)
async def test_a_record_missing_what_appendix_2_asks_is_refused(
    s: Supervision, changes: dict[str, Any], field: str
) -> None:
    session = await plan_one(s)
    response = await s.client.post(
        f"/sessions/{session['id']}/record", json=record_body(s, **changes), headers=s.as_(s.team.supervisor)
    )
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    records = await s.client.get(f"/workers/{s.team.worker}/records", headers=s.as_(s.team.worker))
    assert records.json() == []


async def test_requests_without_a_caller_or_about_unknown_things_get_problem_json(s: Supervision) -> None:
    missing_caller = await s.client.get(f"/workers/{s.team.worker}/records")
    unknown_record = await s.client.get(
        "/records/00000000-0000-0000-0000-000000000000", headers=s.as_(s.team.worker)
    )
    unknown_worker = await s.client.put(
        "/workers/00000000-0000-0000-0000-000000000000/arrangements",
        json={"nqsw": True},
        headers=s.registered_manager,
    )
    no_worker = await s.client.get(
        f"/workers/{s.team.worker}/records",
        headers={"X-Rounds-Actor": '{"sub": "rm-1", "role": "registered_manager"}'},
    )
    assert [r.status_code for r in (missing_caller, no_worker, unknown_record, unknown_worker)] == [
        401,
        401,
        404,
        404,
    ]
    assert missing_caller.json()["errors"][0]["field"] == "header.X-Rounds-Actor"
    assert no_worker.json()["errors"][0]["reason"] == "no worker_id"
