"""What the alerts service makes of other services' events: read models, P44/P45 messages, supervision."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest

from rounds.contracts.people import (
    IndividualStatusChanged,
    KeyPersonUpdated,
    OnCallGap,
    OnCallGapsReported,
    OnCallShiftScheduled,
    WorkerRegistered,
)
from rounds.contracts.rota import VisitCancelled, VisitChanged
from rounds.contracts.supervision import SupervisionOverdue, SupervisionResolved
from rounds.contracts.visits import VisitMissed
from tests.alerts.conftest import NOW, Alerts, condition

pytestmark = pytest.mark.integration
START = NOW - timedelta(minutes=30)


def key_person_v(alerts: Alerts, version: int, consent: bool, informed_of: list[str]) -> KeyPersonUpdated:
    team = alerts.team
    return KeyPersonUpdated(
        individual_id=team.individual, key_person_id=team.daughter, version=version, given_name="Joan",
        family_name="Jones", relationship="daughter", phone="+447700900123", consent_to_be_informed=consent,
        informed_of=informed_of, preferred_channel="sms",
    )  # fmt: skip


async def test_an_older_key_person_version_arriving_late_changes_nothing(alerts_service: Alerts) -> None:
    s, team = alerts_service, alerts_service.team
    await s.deliver(key_person_v(s, 3, consent=False, informed_of=[]))  # consent withdrawn (v3)
    await s.deliver(key_person_v(s, 2, consent=True, informed_of=["missed_visits"]))  # stale v2
    await s.deliver(condition(VisitMissed, team, START))
    [daughter] = [n for n in await s.notifications() if n["recipient_id"] == str(team.daughter)]
    assert (daughter["status"], daughter["reason"]) == ("withheld", "has not consented to be informed")


async def test_a_moved_visit_is_told_to_the_individual_and_the_key_people_who_asked(
    alerts_service: Alerts,
) -> None:
    s, team = alerts_service, alerts_service.team
    await s.deliver(key_person_v(s, 2, consent=True, informed_of=["visit_changes"]))
    snapshot = {
        "visit_id": team.visit, "individual_id": team.individual, "package_id": uuid4(),
        "locality": "Harrogate",
        "local_date": date(2026, 3, 29), "planned_start": NOW + timedelta(hours=2),
        "planned_end": NOW + timedelta(hours=2, minutes=30), "window_start": NOW + timedelta(hours=2),
        "window_end": NOW + timedelta(hours=2, minutes=30), "workers_required": 1, "workers": [team.worker],
    }  # fmt: skip
    await s.deliver(
        VisitChanged(**snapshot, previous_planned_start=NOW + timedelta(hours=1), reason="manual")
    )
    await s.deliver(
        VisitChanged(**snapshot, previous_planned_start=NOW, reason="planning")
    )  # a draft: silent
    told = sorted((n["recipient_kind"], n["status"], n["message_kind"]) for n in await s.notifications())
    assert told == [
        ("individual", "queued", "visit_changed"),
        ("key_person", "queued", "visit_changed"),
        ("key_person", "withheld", "visit_changed"),  # the son has not consented
    ]
    [daughter] = [n for n in await s.notifications() if n["recipient_id"] == str(team.daughter)]
    assert daughter["body"] == "Hello Joan Jones, the visit to Mary Jones planned for 09:30 is now at 10:30."
    await s.deliver(VisitCancelled(**snapshot, reason="repair"))
    assert len([n for n in await s.notifications() if n["message_kind"] == "visit_cancelled"]) == 3


async def test_going_into_hospital_is_told_to_key_people_who_asked_about_admissions(
    alerts_service: Alerts,
) -> None:
    s, team = alerts_service, alerts_service.team
    await s.deliver(key_person_v(s, 2, consent=True, informed_of=["hospital_admissions"]))
    await s.deliver(
        IndividualStatusChanged(
            individual_id=team.individual,
            version=2,
            locality="Harrogate",
            previous_status="active",
            status="in_hospital",
            effective_at=NOW,
            reason="Admitted to Harrogate District Hospital",
        )
    )
    [joan] = [n for n in await s.notifications() if n["recipient_id"] == str(team.daughter)]
    assert joan["status"] == "queued"
    assert joan["body"] == (
        "Hello Joan Jones, Mary Jones's care is now: paused while in hospital. "
        "Admitted to Harrogate District Hospital"
    )


async def test_overdue_supervision_goes_to_the_supervisor_then_their_line_manager(
    alerts_service: Alerts,
) -> None:
    s = alerts_service
    supervisor, manager, worker = uuid4(), uuid4(), uuid4()
    for person, name in ((supervisor, "Sam"), (manager, "Mo"), (worker, "Bea")):
        await s.deliver(
            WorkerRegistered(
                worker_id=person, given_name=name, family_name="Lee", role="care_worker", locality="Selby"
            )
        )
    overdue = SupervisionOverdue(
        worker_id=worker, supervisor_id=supervisor, line_manager_id=manager, locality="Selby",
        rule="one_to_one_supervision", due_on=date(2026, 3, 20), severity="high", source="004 1.18",
        description="One-to-one supervision overdue", overdue_since=date(2026, 3, 21),
    )  # fmt: skip
    await s.deliver(overdue)
    await s.deliver(overdue)  # announced again after a replay: suppressed
    [alert] = await s.alerts(locality="Selby")
    assert (alert["category"], alert["severity"], alert["owner_id"]) == (
        "supervision",
        "low",
        str(supervisor),
    )
    assert alert["title"] == "Supervision overdue for Bea Lee"
    assert datetime.fromisoformat(alert["ack_deadline"]) == NOW + timedelta(days=3)
    s.clock.advance(timedelta(days=3, minutes=1))
    assert await s.runtime.runner.escalate_due() == 1
    [escalated] = await s.alerts(locality="Selby")
    assert (escalated["owner_id"], escalated["level"]) == (str(manager), 2)


async def test_an_alert_raised_before_anyone_is_on_call_finds_its_owner_when_the_roster_arrives(
    alerts_service: Alerts,
) -> None:
    s = alerts_service
    missed = condition(VisitMissed, s.team, START).model_copy(update={"locality": "Selby"})
    await s.deliver(missed)
    [alert] = await s.alerts(locality="Selby")
    assert (alert["owner_id"], alert["level"]) == (None, 0)
    manager = uuid4()
    await s.deliver(
        OnCallShiftScheduled(
            shift_id=uuid4(),
            version=1,
            locality="Selby",
            level=1,
            worker_id=manager,
            worker_name="Ola Ade",
            role="manager",
            contact_phone="+447700900999",
            starts_at=NOW,
            ends_at=NOW + timedelta(hours=12),
        )
    )
    s.clock.advance(timedelta(minutes=15))
    assert await s.runtime.runner.escalate_due() == 1
    [found] = await s.alerts(locality="Selby")
    assert (found["owner_id"], found["level"]) == (str(manager), 1)
    steps = [
        t["detail"]["reason"]
        for t in (await s.alert(found["id"]))["timeline"]
        if t["action"] == "escalation_step"
    ]
    assert steps[0] == "nobody is on call for this locality"


async def test_a_met_supervision_closes_its_alert_and_one_without_a_supervisor_goes_to_on_call(
    alerts_service: Alerts,
) -> None:
    s = alerts_service
    worker = uuid4()
    notice = {
        "worker_id": worker, "locality": "Harrogate", "rule": "probation_review", "item": "month 3",
        "due_on": date(2026, 3, 20), "severity": "warning", "source": "004 1.20",
        "description": "Probation review overdue",
    }  # fmt: skip
    await s.deliver(SupervisionOverdue(**notice, overdue_since=date(2026, 3, 21)))
    [alert] = await s.alerts()
    assert (alert["owner_id"], alert["level"]) == (str(s.team.manager), 1)  # nobody supervises them yet
    await s.deliver(SupervisionResolved(**notice))
    [closed] = await s.alerts()
    assert (closed["status"], closed["resolved_by"]) == ("resolved", "system")
    assert "met" in closed["outcome"]


async def test_a_gap_in_on_call_cover_is_one_alert_until_the_locality_is_covered(
    alerts_service: Alerts,
) -> None:
    s = alerts_service
    gap = OnCallGap(level=1, starts_at=NOW + timedelta(hours=20), ends_at=NOW + timedelta(hours=32))
    report = {
        "locality": "Harrogate",
        "checked_at": NOW,
        "horizon_start": NOW,
        "horizon_end": NOW + timedelta(days=7),
    }
    await s.deliver(OnCallGapsReported(**report, gaps=[gap]))
    await s.deliver(OnCallGapsReported(**report, gaps=[gap]))  # the periodic review says it again
    [alert] = await s.alerts()
    assert (alert["category"], alert["severity"], alert["title"]) == (
        "cover",
        "high",
        "Gap in on-call cover: Harrogate",
    )
    assert alert["owner_id"] == str(s.team.manager)  # today's on-call manager hears of tomorrow's gap
    await s.deliver(OnCallGapsReported(**report, gaps=[]))
    [closed] = await s.alerts()
    assert closed["status"] == "resolved"
