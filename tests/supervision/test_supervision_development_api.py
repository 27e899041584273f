"""Development records, team compliance and the skills-gap report through the API, on SQLite and Postgres.

Visits, workers and plans reach supervision as the consumer hands them over (the broker path is
tested in ``test_supervision_read_models``); here the handlers are called in a unit of work as the
consumer does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

import pytest

from rounds.contracts.people import (
    CarePlanAgreed,
    CompetencyHeld,
    GeoPoint,
    IndividualRegistered,
    IndividualStatusChanged,
    IndividualUpdated,
    PlanVisit,
    WorkerComplianceChanged,
    WorkerUpdated,
)
from rounds.contracts.rota import VisitAllocated, VisitCancelled
from services.supervision import handlers_development, handlers_workforce
from tests.supervision.conftest import Supervision
from tests.supervision.test_supervision_api import agreement_body, plan_one, record_body

pytestmark = pytest.mark.integration


def allocated(worker: UUID, day: date, **changes: Any) -> VisitAllocated:
    start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
    fields: dict[str, Any] = {
        "visit_id": uuid4(),
        "individual_id": uuid4(),
        "package_id": uuid4(),
        "locality": "Harrogate",
        "local_date": day,
        "planned_start": start,
        "planned_end": start + timedelta(minutes=45),
        "window_start": start - timedelta(minutes=30),
        "window_end": start + timedelta(minutes=30),
        "workers_required": 1,
        "workers": [worker],
        **changes,
    }
    return VisitAllocated(**fields)


async def rota_says(s: Supervision, event: VisitAllocated | VisitCancelled) -> None:
    async with s.runtime.unit_of_work() as uow:
        await handlers_development.keep_visit(uow, event)
        await uow.commit()


def observation_body(visit_id: UUID, **changes: Any) -> dict[str, Any]:
    return {
        "kind": "spot_check",
        "visit_id": str(visit_id),
        "areas": [
            {"area": "Moving and handling", "rating": "meets"},
            {"area": "Infection control", "rating": "partly_meets", "comment": "Apron not changed"},
        ],
        "summary": "Unannounced check during the morning call.",
        "actions": ["Refresh IPC training"],
        **changes,
    }


async def test_a_spot_check_is_recorded_at_a_visit_the_worker_was_allocated_to(s: Supervision) -> None:
    visit = allocated(s.team.worker, date(2026, 2, 14))
    await rota_says(s, visit)
    url = f"/workers/{s.team.worker}/observations"
    created = await s.client.post(
        url, json=observation_body(visit.visit_id), headers=s.as_(s.team.supervisor)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["observed_on"], body["individual_id"], body["outcome"]) == (
        "2026-02-14",
        str(visit.individual_id),
        "partly_meets",
    )

    # Someone else's visit, an unknown one, a cancelled one and one not yet happened are refused.
    colleague_visit = allocated(s.team.colleague, date(2026, 2, 14))
    cancelled = VisitCancelled(
        **{**allocated(s.team.worker, date(2026, 2, 13)).model_dump(), "reason": "manual"}
    )
    tomorrow = allocated(s.team.worker, date(2026, 2, 17))
    for event in (colleague_visit, cancelled, tomorrow):
        await rota_says(s, event)
    refusals = {
        "not allocated": colleague_visit.visit_id,
        "cancelled": cancelled.visit_id,
        "not happened yet": tomorrow.visit_id,
    }
    for why, visit_id in refusals.items():
        response = await s.client.post(url, json=observation_body(visit_id), headers=s.as_(s.team.supervisor))
        assert response.status_code == 422, (why, response.text)
        assert response.json()["errors"][0]["field"] == "body.visit_id"
    unknown = await s.client.post(url, json=observation_body(uuid4()), headers=s.as_(s.team.supervisor))
    assert unknown.status_code == 404
    assert unknown.json()["errors"] == [{"field": "body.visit_id", "reason": "unknown visit"}]
    # The stranger is nobody's supervisor here.
    stranger = await s.client.post(url, json=observation_body(visit.visit_id), headers=s.as_(s.team.stranger))
    assert stranger.status_code == 403


async def test_plans_and_appraisals_satisfy_their_compliance_rules(s: Supervision) -> None:
    worker = s.team.colleague  # an existing worker: PDP due a month after supervision learnt of them
    before = (await s.client.get(f"/workers/{worker}/compliance")).json()
    assert "personal_development_plan" in [o["rule"] for o in before["due_soon"] + before["due"]]
    plan = await s.client.post(
        f"/workers/{worker}/development-plans",
        json={
            "agreed_on": "2026-02-16",
            "goals": [
                {
                    "need": "Hoist competence",
                    "action": "Moving and handling assessor course",
                    "skill": "hoist",
                },
                {"need": "Dementia awareness", "action": "Tier 2 e-learning", "target_on": "2026-05-01"},
            ],
        },
        headers=s.as_(s.team.supervisor),
    )
    assert plan.status_code == 201, plan.text
    appraisal = await s.client.post(
        f"/workers/{worker}/appraisals",
        json={
            "held_on": "2026-02-16",
            "summary": "A steady year; wants to mentor new starters.",
            "objectives": ["Mentor one new starter"],
            "training_needs": ["Mentoring skills"],
            "next_review_on": "2026-08-16",
        },
        headers=s.as_(s.team.supervisor),
    )
    assert appraisal.status_code == 201, appraisal.text
    after = (await s.client.get(f"/workers/{worker}/compliance")).json()
    rules = {o["rule"]: o for o in after["overdue"] + after["due_soon"] + after["due"]}
    assert "personal_development_plan" not in rules
    assert rules["annual_appraisal"]["due_on"] == "2027-02-16"

    review = await s.client.post(
        f"/workers/{worker}/development-plans/{plan.json()['id']}/reviews",
        json={"reviewed_on": "2026-02-16", "notes": "Course booked", "goal_statuses": ["achieved", "open"]},
        headers=s.as_(s.team.supervisor),
    )
    assert review.status_code == 200, review.text
    assert [g["status"] for g in review.json()["goals"]] == ["achieved", "open"]
    bad_appraisal = await s.client.post(
        f"/workers/{worker}/appraisals",
        json={"held_on": "2026-02-16", "summary": "x", "next_review_on": "2027-06-01"},
        headers=s.as_(s.team.supervisor),
    )
    assert bad_appraisal.status_code == 422
    assert bad_appraisal.json()["errors"][0]["field"] == "body.next_review_on"


async def test_a_staged_pdp_review_counts_as_the_asye_timelines_review(s: Supervision) -> None:
    worker = s.team.worker  # started 31 January 2026
    arranged = await s.client.put(
        f"/workers/{worker}/arrangements",
        json={
            "supervisor_id": str(s.team.supervisor),
            "line_manager_id": str(s.team.supervisor),
            "nqsw": True,
        },
        headers=s.as_(s.team.supervisor),
    )
    assert arranged.status_code == 200, arranged.text
    plan = await s.client.post(
        f"/workers/{worker}/development-plans",
        json={"agreed_on": "2026-02-02", "goals": [{"need": "PCF domains", "action": "Reflective logs"}]},
        headers=s.as_(s.team.supervisor),
    )
    s.clock.advance(timedelta(days=90))  # 17 May 2026: month 3 (30 April) has passed
    overdue = (await s.client.get(f"/workers/{worker}/compliance")).json()["overdue"]
    assert ("pdp_review", "month 3") in [(o["rule"], o["item"]) for o in overdue]
    review = await s.client.post(
        f"/workers/{worker}/development-plans/{plan.json()['id']}/reviews",
        json={"reviewed_on": "2026-05-15", "notes": "Month 3 review", "stage": 3},
        headers=s.as_(s.team.supervisor),
    )
    assert review.status_code == 200, review.text
    overdue = (await s.client.get(f"/workers/{worker}/compliance")).json()["overdue"]
    assert ("pdp_review", "month 3") not in [(o["rule"], o["item"]) for o in overdue]


async def test_feedback_from_an_individual_about_a_visit_names_them_and_is_read_by_the_three(
    s: Supervision,
) -> None:
    visit = allocated(s.team.worker, date(2026, 2, 15))
    await rota_says(s, visit)
    url = f"/workers/{s.team.worker}/feedback"
    created = await s.client.post(
        url,
        json={
            "source": "individual",
            "kind": "compliment",
            "received_on": "2026-02-16",
            "summary": "Took time to chat; breakfast just how I like it.",
            "visit_id": str(visit.visit_id),
            "channel": "phone",
        },
        headers=s.as_(s.team.supervisor),
    )
    assert created.status_code == 201, created.text
    assert created.json()["individual_id"] == str(visit.individual_id)
    no_key_person = await s.client.post(
        url,
        json={"source": "key_person", "kind": "concern", "received_on": "2026-02-16", "summary": "Late twice",
              "individual_id": str(visit.individual_id)},
        headers=s.as_(s.team.supervisor),
    )  # fmt: skip
    assert no_key_person.status_code == 422
    assert no_key_person.json()["errors"][0]["field"] == "body.key_person_id"
    evidence = await s.client.post(
        f"/workers/{s.team.worker}/progression",
        json={"year": 1, "kind": "statement", "title": "Year 1 reflective statement",
              "completed_on": "2026-02-10", "signed": True},
        headers=s.as_(s.team.supervisor),
    )  # fmt: skip
    assert evidence.status_code == 201, evidence.text

    own = await s.client.get(f"/workers/{s.team.worker}/development", headers=s.as_(s.team.worker))
    manager = await s.client.get(f"/workers/{s.team.worker}/development", headers=s.as_(s.team.manager))
    colleague = await s.client.get(f"/workers/{s.team.worker}/development", headers=s.as_(s.team.colleague))
    assert [r.status_code for r in (own, manager, colleague)] == [200, 200, 403]
    body = own.json()
    assert [f["kind"] for f in body["feedback"]] == ["compliment"]
    assert body["progression"]["years"][0]["statement_signed"] is True
    reads = await s.client.get(f"/workers/{s.team.worker}/record-reads", headers=s.as_(s.team.worker))
    development_reads = [(r["reader_id"], r["basis"]) for r in reads.json() if r["resource"] == "development"]
    assert (str(s.team.colleague), "denied") in development_reads
    assert len(development_reads) == 3


async def test_team_and_supervisor_views_count_who_is_compliant(s: Supervision) -> None:
    team = quote("Harrogate OT")
    view = (await s.client.get(f"/teams/{team}/compliance")).json()
    names = sorted(w["name"] for w in view["workers"])
    assert names == ["Asha Patel", "Cal Patel", "Sam Patel"]
    assert view["summary"]["workers"] == 3
    assert view["summary"]["compliant"] == 3  # nothing overdue on their first day in supervision

    s.clock.advance(timedelta(days=62))  # 19 April 2026: first one-to-ones and agreements overdue
    view = (await s.client.get(f"/teams/{team}/compliance")).json()
    summary = view["summary"]
    assert (summary["compliant"], summary["compliant_percent"]) == (0, 0.0)
    assert summary["overdue_by_rule"]["one_to_one_supervision"] == 3
    assert summary["training_compliant"] == 3
    supervisor = (await s.client.get(f"/supervisors/{s.team.supervisor}/compliance")).json()
    assert sorted(w["name"] for w in supervisor["workers"]) == ["Asha Patel", "Cal Patel"]
    groups = (await s.client.get("/compliance", params={"group_by": "team"})).json()
    by_team = {g["group"]: g["summary"] for g in groups["groups"]}
    assert by_team["Harrogate OT"]["workers"] == 3
    assert by_team[None]["workers"] == 2  # the manager and the stranger have no team recorded
    assert (await s.client.get("/compliance", params={"group_by": "locality"})).status_code == 422


async def test_the_skills_gap_report_sets_plans_needs_against_available_workers(s: Supervision) -> None:
    hoister, lapsing, barred = uuid4(), uuid4(), uuid4()
    individual = uuid4()
    async with s.runtime.unit_of_work() as uow:
        for worker, competencies in (
            (hoister, [CompetencyHeld(name="hoist")]),
            (lapsing, [CompetencyHeld(name="hoist", expires_on=date(2026, 3, 20))]),
            (barred, [CompetencyHeld(name="peg_feeding")]),
        ):
            await handlers_workforce.keep_worker(
                uow,
                WorkerUpdated(
                    worker_id=worker, version=2, given_name="A", family_name="B", role="care_worker",
                    locality="Knaresborough", status="active", skills=[c.name for c in competencies],
                    competencies=competencies,
                ),
            )  # fmt: skip
        await handlers_workforce.worker_compliance_changed(
            uow,
            WorkerComplianceChanged(
                worker_id=barred, locality="Knaresborough", day=date(2026, 2, 16), may_work=False,
                reasons=["dbs_recheck_overdue"], checked_at=s.clock.now(),
            ),
        )  # fmt: skip
        await handlers_workforce.keep_plan(
            uow,
            CarePlanAgreed(
                individual_id=individual, plan_id=uuid4(), version=1, locality="Knaresborough",
                start_date=date(2026, 2, 1), agreed_at=s.clock.now(),
                visits=[
                    PlanVisit(id="am", name="Morning", weekdays=[0, 1, 2, 3, 4, 5, 6],
                              preferred_start="08:00", duration_minutes=45, workers_required=2,
                              required_skills=["hoist"]),
                    PlanVisit(id="tea", name="Tea", weekdays=[0, 2, 4], preferred_start="17:00",
                              duration_minutes=30, required_skills=["peg_feeding"]),
                ],
            ),
        )  # fmt: skip
        await uow.commit()
    report = (await s.client.get("/skills-gap", params={"locality": "Knaresborough"})).json()
    (locality,) = report["localities"]
    lines = {line["skill"]: line for line in locality["skills"]}
    assert (locality["available_workers"], locality["active_plans"]) == (2, 1)
    assert (lines["hoist"]["weekly_worker_visits"], lines["hoist"]["holders"], lines["hoist"]["lapsing"]) == (
        14,
        2,
        1,
    )
    assert (lines["peg_feeding"]["holders"], lines["peg_feeding"]["coverage"]) == (0, "uncovered")
    assert locality["gaps"] == ["peg_feeding"]
    # After 20 March the lapsed competency no longer counts: hoist is thin.
    later = (
        await s.client.get("/skills-gap", params={"locality": "Knaresborough", "on": "2026-03-20"})
    ).json()
    assert later["localities"][0]["gaps"] == ["peg_feeding", "hoist"]


async def test_supervisees_are_listed_by_name_a_page_at_a_time(s: Supervision) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    for _ in range(5):
        page = await s.client.get("/workers", params=params)
        assert page.status_code == 200, page.text
        seen += [w["given_name"] for w in page.json()]
        if "X-Next-Cursor" not in page.headers:
            break
        params["cursor"] = page.headers["X-Next-Cursor"]
    # All five Patels, each once, by given name (the family name is shared).
    assert seen == ["Asha", "Cal", "Mo", "Sam", "Xan"]
    forged = await s.client.get("/workers", params={"cursor": "not-a-cursor"})
    assert forged.status_code == 422
    assert forged.json()["errors"][0]["field"] == "query.cursor"


async def test_the_supervisee_signs_under_their_own_path(s: Supervision) -> None:
    sup, worker = s.team.supervisor, s.team.worker
    session = await plan_one(s)
    s.clock.advance(timedelta(days=4))  # the meeting was on 20 February
    record = (
        await s.client.post(f"/sessions/{session['id']}/record", json=record_body(s), headers=s.as_(sup))
    ).json()
    agreement = (await s.client.post("/agreements", json=agreement_body(s), headers=s.as_(sup))).json()
    wrong = await s.client.post(
        f"/workers/{s.team.colleague}/records/{record['id']}/signatures", headers=s.as_(s.team.colleague)
    )
    assert wrong.status_code == 404
    for signer in (worker, sup):
        signed = await s.client.post(
            f"/workers/{worker}/records/{record['id']}/signatures", headers=s.as_(signer)
        )
        in_force = await s.client.post(
            f"/workers/{worker}/agreements/{agreement['id']}/signatures", headers=s.as_(signer)
        )
    assert signed.json()["signed"] is True
    assert in_force.json()["status"] == "active"


async def test_only_those_responsible_for_a_worker_name_their_supervisor(s: Supervision) -> None:
    # Naming oneself supervisor would open the worker's records (004 1.37): a stranger with the
    # supervisor role may not, nor may the worker; the supervisor's line manager and a registered
    # manager may.
    body = {"supervisor_id": str(s.team.stranger), "line_manager_id": str(s.team.stranger)}
    url = f"/workers/{s.team.worker}/arrangements"
    for caller in (s.team.stranger, s.team.worker, s.team.colleague):
        refused = await s.client.put(url, json=body, headers=s.as_(caller))
        assert refused.status_code == 403, refused.text
    records = await s.client.get(f"/workers/{s.team.worker}/records", headers=s.as_(s.team.stranger))
    assert records.status_code == 403
    by_manager = await s.client.put(
        url, json={**body, "supervisor_id": str(s.team.supervisor)}, headers=s.as_(s.team.manager)
    )
    by_registered_manager = await s.client.put(url, json=body, headers=s.registered_manager)
    assert [by_manager.status_code, by_registered_manager.status_code] == [200, 200]
    anonymous = await s.client.put(url, json=body)
    assert anonymous.status_code == 401


async def test_a_plan_makes_demand_only_while_its_individual_receives_care(s: Supervision) -> None:
    individual = uuid4()

    async def people_says(*events: Any) -> None:
        async with s.runtime.unit_of_work() as uow:
            for event in events:
                if isinstance(event, CarePlanAgreed):
                    await handlers_workforce.keep_plan(uow, event)
                else:
                    await handlers_workforce.individual_status(uow, event)
            await uow.commit()

    async def plans_in_force() -> int:
        report = (await s.client.get("/skills-gap", params={"locality": "Thirsk"})).json()
        return int(report["localities"][0]["active_plans"]) if report["localities"] else 0

    registered = IndividualRegistered(
        individual_id=individual, version=1, given_name="Ann", family_name="Lee", locality="Thirsk",
        status="in_hospital", address="1 Main St", location=GeoPoint(lat=54.2, lon=-1.3),
    )  # fmt: skip
    plan = CarePlanAgreed(
        individual_id=individual, plan_id=uuid4(), version=1, locality="Thirsk", start_date=date(2026, 2, 1),
        agreed_at=s.clock.now(),
        visits=[PlanVisit(id="am", name="Morning", weekdays=[0], preferred_start="08:00", duration_minutes=30,
                          required_skills=["stoma_care"])],
    )  # fmt: skip
    # In hospital before the plan arrives: the plan waits.
    await people_says(registered, plan)
    assert await plans_in_force() == 0
    home = IndividualStatusChanged(
        individual_id=individual, version=2, locality="Thirsk", previous_status="in_hospital",
        status="active", effective_at=s.clock.now(),
    )  # fmt: skip
    stale = IndividualUpdated(**{**registered.model_dump(), "version": 1})
    await people_says(home, stale)  # the older record changes nothing
    assert await plans_in_force() == 1
