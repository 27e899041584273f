"""Incidents: a record with response, support for the worker, outcome and a trend review (000 P38-P42)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from rounds.contracts.visits import IncidentReported
from services.alerts.domain.incidents import (
    Incident,
    IncidentRuleBroken,
    SupportKind,
    check_can_close,
    review,
)
from tests.alerts.conftest import NOW, Alerts

LONDON = ZoneInfo("Europe/London")


def incident(**changes: object) -> Incident:
    fields: dict[str, object] = {
        "id": uuid4(),
        "kind": "accident",
        "severity": "high",
        "locality": "Harrogate",
        "reported_at": datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        "worker_id": uuid4(),
    }
    fields.update(changes)
    return Incident(**fields)  # type: ignore[arg-type]


def test_an_incident_involving_a_worker_cannot_close_before_support_is_offered() -> None:
    with pytest.raises(IncidentRuleBroken, match="000 P41") as broken:
        check_can_close(incident())
    assert broken.value.field == "support"
    check_can_close(incident(support=[SupportKind.DECLINED]))  # a recorded refusal is enough
    check_can_close(incident(worker_id=None))
    with pytest.raises(IncidentRuleBroken, match="closed already"):
        check_can_close(incident(support=[SupportKind.DEBRIEF], closed_at=NOW))


def test_the_review_counts_by_type_locality_and_local_time() -> None:
    base = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # Saturday 23:30 GMT
    found = review(
        [
            incident(
                reported_at=base, first_response_at=base + timedelta(minutes=4), support=[SupportKind.DEBRIEF]
            ),
            # 01:30 UTC on the 29th is 02:30 BST: the clocks went forward at 01:00 UTC.
            incident(
                kind="near_miss",
                reported_at=base + timedelta(hours=2),
                first_response_at=base + timedelta(hours=2, minutes=10),
            ),
            incident(
                locality="Selby",
                reported_at=base + timedelta(days=3),
                worker_id=None,
                closed_at=NOW,
                improvements=["second key safe at 1 High St"],
            ),
        ],
        LONDON,
    )
    assert found.total == 3
    assert found.by_kind == {"accident": 2, "near_miss": 1}
    assert found.by_locality == {"Harrogate": 2, "Selby": 1}
    # Sat 23:30 GMT; Sun 02:30 BST; Tue 31 March 23:30 UTC is Wed 1 April 00:30 BST.
    assert list(found.by_weekday.items()) == [("Wed", 1), ("Sat", 1), ("Sun", 1)]  # week order
    assert found.by_hour == {"00": 1, "02": 1, "23": 1}
    assert found.by_month == {"2026-03": 2, "2026-04": 1}
    assert found.median_minutes_to_first_response == 7.0
    assert found.unanswered == 1
    assert found.support_offered_share == 0.5
    assert found.open == 2
    assert found.improvements == ["second key safe at 1 High St"]


@pytest.mark.integration
async def test_an_incident_from_a_visit_is_recorded_once_alerts_on_call_and_closes_after_support(
    alerts_service: Alerts,
) -> None:
    s, team = alerts_service, alerts_service.team
    report = IncidentReported(
        visit_id=team.visit, individual_id=team.individual, locality="Harrogate",
        local_date=date(2026, 3, 29),
        service_type="personal_care", planned_start=NOW, planned_end=NOW + timedelta(minutes=30),
        workers=[team.worker], worker_id=team.worker, record_id=uuid4(),
        occurred_at=NOW - timedelta(minutes=3),
        received_at=NOW, kind="accident", severity="critical", description="Mary slipped in the bathroom",
        injured=True,
    )  # fmt: skip
    await s.deliver(report)
    await s.deliver(report)  # the app sent it twice (a new event id): still one record
    me = s.staff(team.manager)
    [listed] = (await s.client.get("/incidents", headers=me)).json()["items"]
    assert (listed["kind"], listed["severity"], listed["injured"]) == ("accident", "critical", True)
    [alert] = await s.alerts()
    assert (alert["id"], alert["category"], alert["severity"]) == (listed["alert_id"], "incident", "critical")

    url = f"/incidents/{listed['id']}"
    s.clock.advance(timedelta(minutes=4))
    assert (await s.client.post(f"/alerts/{alert['id']}/acknowledge", headers=me)).status_code == 200
    act = await s.client.post(f"{url}/actions", json={"text": "Ambulance called; Sam sent"}, headers=me)
    assert act.json()["first_response_at"] == (NOW + timedelta(minutes=4)).isoformat().replace("+00:00", "Z")
    early = await s.client.post(f"{url}/close", json={"outcome": "Mary in hospital overnight"}, headers=me)
    assert early.status_code == 422
    assert early.json()["errors"] == [
        {
            "field": "body.support",
            "reason": "offer the worker support first (000 P41), or record that they declined it",
        }
    ]
    support = await s.client.post(
        f"{url}/support", json={"support": "debrief", "text": "Debrief with Priya Monday"}, headers=me
    )
    assert support.status_code == 200
    closed = await s.client.post(
        f"{url}/close",
        json={"outcome": "Mary in hospital overnight", "improvements": ["grab rail in the bathroom"]},
        headers=me,
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert [a["kind"] for a in body["actions"]] == ["response", "support"]
    assert body["closed_by"] == str(team.manager)
    [after] = await s.alerts()
    assert (after["status"], after["outcome"]) == ("resolved", "incident closed: Mary in hospital overnight")

    review = await s.client.get("/incidents/review?start=2026-03-01&end=2026-03-31", headers=me)
    assert review.status_code == 200
    found = review.json()
    assert (found["total"], found["by_kind"], found["median_minutes_to_first_response"]) == (
        1,
        {"accident": 1},
        4.0,
    )
    assert (found["support_offered_share"], found["improvements"]) == (1.0, ["grab rail in the bathroom"])
    assert (
        await s.client.get("/incidents/review?start=2026-03-31&end=2026-03-01", headers=me)
    ).status_code == 422
    assert (await s.client.get(url, headers=s.staff(uuid4(), "Selby"))).status_code == 404


@pytest.mark.integration
async def test_an_incident_reported_by_phone_is_recorded_and_paged(alerts_service: Alerts) -> None:
    s, team = alerts_service, alerts_service.team
    body = {
        "kind": "near_miss", "severity": "medium", "locality": "Harrogate",
        "description": "Loose stair carpet",
        "occurred_at": (NOW - timedelta(hours=1)).isoformat(), "worker_id": str(team.worker),
    }  # fmt: skip
    created = await s.client.post("/incidents", json=body, headers=s.staff(team.manager))
    assert created.status_code == 201, created.text
    [alert] = await s.alerts()
    assert (alert["category"], alert["severity"], alert["owner_id"]) == (
        "incident",
        "medium",
        str(team.manager),
    )
    future = {**body, "occurred_at": (NOW + timedelta(hours=1)).isoformat()}
    refused = await s.client.post("/incidents", json=future, headers=s.staff(team.manager))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.occurred_at"
    elsewhere = await s.client.post(
        "/incidents", json={**body, "locality": "Leeds"}, headers=s.staff(team.manager)
    )
    assert elsewhere.status_code == 403


@pytest.mark.integration
async def test_every_read_of_an_incident_record_is_audited(alerts_service: Alerts) -> None:
    s, team = alerts_service, alerts_service.team
    body = {
        "kind": "accident",
        "severity": "high",
        "locality": "Harrogate",
        "description": "Cut hand on a broken glass",
        "occurred_at": (NOW - timedelta(minutes=20)).isoformat(),
        "worker_id": str(team.worker),
        "injured": True,
    }
    created = (await s.client.post("/incidents", json=body, headers=s.staff(team.manager))).json()
    url = f"/incidents/{created['id']}"
    await s.client.get(url, headers=s.staff("coordinator-1"))
    await s.client.get("/incidents", headers=s.staff("coordinator-2"))
    assert (await s.client.get(f"{url}/reads", headers=s.staff("coordinator-1"))).status_code == 403
    reads = await s.client.get(f"{url}/reads", headers=s.staff("rm", role="registered_manager"))
    assert [(r["reader_id"], r["role"]) for r in reads.json()] == [
        ("coordinator-1", "coordinator"),
        ("coordinator-2", "coordinator"),
    ]
