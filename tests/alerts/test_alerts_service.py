"""The alerts service on SQLite and Postgres with a frozen clock: alerts, escalation, notifications.

Channels are real: SMS and webhooks go over HTTP to a local receiver, e-mail to a local SMTP server.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from rounds.contracts.people import KeyPersonUpdated
from rounds.contracts.rota import WorkerScheduleChanged
from rounds.contracts.visits import VisitConditionResolved, VisitLate, VisitMissed
from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from services.alerts.adapters.channels import SIGNATURE_HEADER, verify_signature
from services.alerts.main import create_app
from tests.alerts.conftest import (
    NOW,
    SECRET,
    Alerts,
    HttpReceiver,
    Team,
    alerts_settings,
    condition,
    team_events,
)
from tests.integration.kit import eventually

pytestmark = pytest.mark.integration
START = NOW - timedelta(minutes=30)


def sent_to(receiver: HttpReceiver, phone: str) -> list[dict[str, Any]]:
    return [r.json() for r in receiver.to("/sms") if r.json()["to"] == phone]


async def test_missed_visit_is_one_alert_to_the_on_call_manager_that_escalates_when_not_acknowledged(
    alerts_service: Alerts, receiver: HttpReceiver
) -> None:
    s, team = alerts_service, alerts_service.team
    await s.deliver(condition(VisitLate, team, START))
    s.clock.advance(timedelta(minutes=5))
    await s.deliver(condition(VisitMissed, team, START))

    [alert] = await s.alerts()
    assert (alert["severity"], alert["status"], alert["owner_id"], alert["level"]) == (
        "high",
        "open",
        str(team.manager),
        1,
    )
    # Raised medium (30 min to acknowledge), then missed made it high: 15 min from then.
    assert datetime.fromisoformat(alert["ack_deadline"]) == NOW + timedelta(minutes=20)

    assert await s.runtime.runner.tick() == (0, 4)
    manager_texts = sent_to(receiver, "+447700900777")
    assert len(manager_texts) == 2  # raised, then severity raised; never once per signal
    assert manager_texts[0]["text"].startswith("Visit late for Mary Jones (Asha Patel)")
    daughter = sent_to(receiver, "+447700900123")
    assert len(daughter) == 1
    assert "ni ddigwyddodd" in daughter[0]["text"]  # the missed-visit message, in her Welsh
    assert sent_to(receiver, "+447700900456") == []  # the son has not consented
    assert len(sent_to(receiver, "+447700900001")) == 1  # Mary is told her visit is late

    withheld = {(n["recipient_id"], n["reason"]) for n in await s.notifications(status="withheld")}
    assert (str(team.son), "has not consented to be informed") in withheld
    assert (str(team.daughter), "has not asked to hear about visit_changes") in withheld

    s.clock.advance(timedelta(minutes=14))
    assert await s.runtime.runner.escalate_due() == 0  # 19 minutes after: not due yet
    s.clock.advance(timedelta(minutes=2))
    assert await s.runtime.runner.escalate_due() == 1
    escalated = await s.alert(alert["id"])
    assert (escalated["owner_id"], escalated["level"]) == (str(team.area_manager), 2)
    assert datetime.fromisoformat(escalated["ack_deadline"]) == NOW + timedelta(
        minutes=36
    )  # 21 min in, plus 15
    await s.runtime.runner.dispatch_due()
    assert len(sent_to(receiver, "+447700900888")) == 1
    assert sent_to(receiver, "+447700900888")[0]["text"].startswith("Visit late, missed for Mary Jones")

    s.clock.advance(timedelta(hours=1))
    assert await s.runtime.runner.tick() == (1, 0)  # the chain ran out: recorded, nobody new paged
    steps = [t for t in (await s.alert(alert["id"]))["timeline"] if t["action"] == "escalation_step"]
    assert [(t["detail"]["level"], t["detail"]["owner_id"]) for t in steps] == [
        (1, str(team.manager)),
        (2, str(team.area_manager)),
        (2, str(team.area_manager)),
    ]
    assert "nobody further" in steps[-1]["detail"]["reason"]
    assert await s.runtime.runner.tick() == (0, 0)

    ack = await s.client.post(f"/alerts/{alert['id']}/acknowledge", headers=s.staff(team.area_manager))
    assert ack.status_code == 200, ack.text
    assert (ack.json()["status"], ack.json()["acknowledged_by"]) == ("acknowledged", str(team.area_manager))


async def test_a_whole_run_late_is_one_alert_and_one_page(
    alerts_service: Alerts, receiver: HttpReceiver
) -> None:
    s, team = alerts_service, alerts_service.team
    for _ in range(8):
        await s.deliver(condition(VisitLate, team, START, visit=uuid4()))
    [alert] = await s.alerts()
    assert alert["occurrences"] == 8
    assert alert["title"] == "8 visits on Asha Patel's run: late"
    assert len((await s.alert(alert["id"]))["visit_ids"]) == 8
    await s.runtime.runner.tick()
    assert len(sent_to(receiver, "+447700900777")) == 1


async def test_a_redelivered_or_repeated_condition_changes_nothing(
    alerts_service: Alerts, receiver: HttpReceiver
) -> None:
    s, team = alerts_service, alerts_service.team
    missed = condition(VisitMissed, team, START)
    envelope = await s.deliver(missed)
    await s.handle(envelope, missed)  # the same event id again: the inbox stops it
    await s.deliver(missed)  # the same condition in a new event: suppressed on the alert
    [alert] = await s.alerts()
    assert alert["occurrences"] == 2
    assert [t["action"] for t in (await s.alert(alert["id"]))["timeline"]].count("suppressed") == 1
    await s.runtime.runner.tick()
    assert len(sent_to(receiver, "+447700900123")) == 1


async def test_a_check_in_after_all_closes_the_unacknowledged_late_alert(alerts_service: Alerts) -> None:
    s, team = alerts_service, alerts_service.team
    late = condition(VisitLate, team, START)
    await s.deliver(late)
    await s.deliver(
        VisitConditionResolved(
            **late.model_dump(
                include={"visit_id", "individual_id", "locality", "local_date", "service_type"}
            ),
            planned_start=late.planned_start,
            planned_end=late.planned_end,
            condition="late",
            raised_at=NOW,
            resolved_at=NOW,
            resolution="checked_in",
            worker_id=team.worker,
            detail="checked in 20 minutes late",
        )
    )
    [alert] = await s.alerts()
    assert (alert["status"], alert["resolved_by"]) == ("resolved", "system")
    assert "checked_in" in alert["outcome"]


async def test_a_message_in_the_key_persons_quiet_hours_waits_for_their_morning(
    alerts_service: Alerts, receiver: HttpReceiver
) -> None:
    s, team = alerts_service, alerts_service.team
    s.clock.advance(timedelta(hours=15))  # 23:30 BST on Sunday 29 March
    await s.deliver(condition(VisitMissed, team, START + timedelta(hours=15)))
    await s.runtime.runner.tick()
    assert sent_to(receiver, "+447700900123") == []
    assert len(sent_to(receiver, "+447700900777")) == 1  # on call: reached whatever the hour
    [held] = [n for n in await s.notifications(status="queued") if n["recipient_id"] == str(team.daughter)]
    assert held["reason"] == "held for quiet hours"
    assert datetime.fromisoformat(held["next_attempt_at"]) == datetime.fromisoformat(
        "2026-03-30T06:00:00+00:00"
    )
    s.clock.advance(timedelta(hours=7, minutes=30))  # 07:00 BST
    await s.runtime.runner.tick()
    assert len(sent_to(receiver, "+447700900123")) == 1


async def test_a_failing_webhook_is_retried_with_back_off_then_delivered_and_signed(
    alerts_service: Alerts, receiver: HttpReceiver
) -> None:
    s, team = alerts_service, alerts_service.team
    receiver.answers = [503, 500]
    await s.deliver(
        WorkerScheduleChanged(
            worker_id=team.worker, local_date=date(2026, 3, 29), schedule_version=2, visits_added=[uuid4()]
        )
    )
    await s.runtime.runner.dispatch_due()
    [n] = await s.notifications()
    assert (n["status"], n["attempts"], n["last_error"]) == ("queued", 1, "webhook answered 503")
    assert datetime.fromisoformat(n["next_attempt_at"]) == NOW + timedelta(seconds=10)
    assert await s.runtime.runner.dispatch_due() == 0  # not before its time
    s.clock.advance(timedelta(seconds=10))
    await s.runtime.runner.dispatch_due()
    [n] = await s.notifications()
    assert (n["attempts"], datetime.fromisoformat(n["next_attempt_at"])) == (2, NOW + timedelta(seconds=30))
    s.clock.advance(timedelta(seconds=20))
    await s.runtime.runner.dispatch_due()
    [n] = await s.notifications()
    assert (n["status"], n["attempts"]) == ("delivered", 3)
    hooks = receiver.to("/webhook")
    assert len(hooks) == 3
    last = hooks[-1]
    assert last.json()["recipient"] == {"kind": "worker", "id": str(team.worker)}
    assert verify_signature(SECRET.encode(), last.headers[SIGNATURE_HEADER.lower()], last.body, s.clock.now())
    assert not verify_signature(b"wrong", last.headers[SIGNATURE_HEADER.lower()], last.body, s.clock.now())
    assert not verify_signature(
        SECRET.encode(),
        last.headers[SIGNATURE_HEADER.lower()],
        last.body,
        s.clock.now() + timedelta(minutes=6),
    )
    worker_view = await s.client.get(
        f"/workers/{team.worker}/notifications",
        headers={"X-Rounds-Actor": f'{{"sub": "x", "role": "care_worker", "worker_id": "{team.worker}"}}'},
    )
    assert [i["message_kind"] for i in worker_view.json()["items"]] == ["schedule_changed"]


async def test_a_channel_that_keeps_failing_ends_failed_and_visible(
    alerts_service: Alerts, receiver: HttpReceiver
) -> None:
    s, team = alerts_service, alerts_service.team
    receiver.answers = [500] * 10
    await s.deliver(
        WorkerScheduleChanged(worker_id=team.worker, local_date=date(2026, 3, 29), schedule_version=3)
    )
    for _ in range(3):
        await s.runtime.runner.dispatch_due()
        s.clock.advance(timedelta(minutes=5))
    [failed] = await s.notifications(status="failed")
    assert failed["attempts"] == 3
    assert failed["last_error"] == "gave up after 3 attempts: webhook answered 500"
    receiver.answers = [410]
    await s.deliver(
        WorkerScheduleChanged(worker_id=team.worker, local_date=date(2026, 3, 29), schedule_version=4)
    )
    await s.runtime.runner.dispatch_due()
    assert len(await s.notifications(status="failed")) == 2  # a 410 is not worth a retry


async def test_email_goes_through_a_real_smtp_server(
    database_url: str, kafka_bootstrap: str, receiver: HttpReceiver, smtp_server: tuple[int, Any]
) -> None:
    port, mailbox = smtp_server
    await asyncio.to_thread(upgrade_head, "alerts", database_url)
    clock = FrozenClock(NOW)
    settings = alerts_settings(
        database_url,
        kafka_bootstrap,
        receiver,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_sender="oncall@x.test",
    )
    app = create_app(settings, clock=clock)
    team = Team(uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://alerts") as client:
        s = Alerts(client, clock, app.state.runtime, team)
        for event in team_events(team, START):
            await s.deliver(event)
        await s.deliver(
            KeyPersonUpdated(
                individual_id=team.individual,
                key_person_id=team.daughter,
                version=2,
                given_name="Joan",
                family_name="Jones",
                relationship="daughter",
                email="joan@example.org",
                consent_to_be_informed=True,
                informed_of=["missed_visits"],
                preferred_channel="email",
            )
        )
        await s.deliver(condition(VisitMissed, team, START))
        await s.runtime.runner.dispatch_due()
        [mail] = mailbox.messages
        assert (mail["To"], mail["From"], mail["Subject"]) == (
            "joan@example.org",
            "oncall@x.test",
            "A visit was missed",
        )
        assert "did not happen" in mail.get_payload()
        [n] = [n for n in await s.notifications(status="sent") if n["recipient_id"] == str(team.daughter)]
        assert n["channel"] == "email"
    await app.state.runtime.stop()


async def test_two_replicas_escalate_an_alert_once(
    alerts_service: Alerts, database_url: str, kafka_bootstrap: str, receiver: HttpReceiver
) -> None:
    s, team = alerts_service, alerts_service.team
    await s.deliver(condition(VisitMissed, team, START))
    other = create_app(alerts_settings(database_url, kafka_bootstrap, receiver), clock=s.clock).state.runtime
    try:
        s.clock.advance(timedelta(minutes=16))
        moved = await asyncio.gather(s.runtime.runner.escalate_due(), other.runner.escalate_due())
        assert sorted(moved) == [0, 1]
        await asyncio.gather(s.runtime.runner.dispatch_due(), other.runner.dispatch_due())
    finally:
        await other.stop()
    [alert] = await s.alerts()
    steps = [t for t in (await s.alert(alert["id"]))["timeline"] if t["action"] == "escalation_step"]
    assert len(steps) == 2
    assert len(sent_to(receiver, "+447700900888")) == 1  # the area manager is paged once


async def test_staff_act_on_alerts_of_their_own_localities_only(alerts_service: Alerts) -> None:
    s, team = alerts_service, alerts_service.team
    await s.deliver(condition(VisitMissed, team, START))
    [alert] = await s.alerts()
    url = f"/alerts/{alert['id']}"
    assert (await s.client.get(url)).status_code == 401
    assert (await s.client.get(url, headers=s.staff(uuid4(), "Selby"))).status_code == 404
    mine = await s.client.get("/alerts", headers=s.staff(uuid4(), "Selby"))
    assert mine.json()["items"] == []
    assert (
        await s.client.get("/alerts?locality=Harrogate", headers=s.staff(uuid4(), "Selby"))
    ).status_code == 403
    family = {"X-Rounds-Actor": '{"sub": "k", "role": "key_person"}'}
    assert (await s.client.get("/alerts", headers=family)).status_code == 403

    me = s.staff(team.manager)
    assign = await s.client.post(f"{url}/assign", json={"assignee_id": "sam"}, headers=me)
    assert (assign.json()["status"], assign.json()["assignee_id"]) == ("acknowledged", "sam")
    note = await s.client.post(f"{url}/notes", json={"text": "Sam on the way, ETA 10 min"}, headers=me)
    assert note.status_code == 201
    assert note.json()["detail"]["text"] == "Sam on the way, ETA 10 min"
    bad = await s.client.post(f"{url}/resolve", json={"outcome": ""}, headers=me)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    done = await s.client.post(
        f"{url}/resolve", json={"outcome": "Visit covered by Sam at 09:10"}, headers=me
    )
    assert (done.json()["status"], done.json()["outcome"]) == ("resolved", "Visit covered by Sam at 09:10")
    again = await s.client.post(f"{url}/resolve", json={"outcome": "again"}, headers=me)
    assert again.status_code == 409
    actions = [t["action"] for t in (await s.alert(alert["id"]))["timeline"]]
    assert actions[-4:] == ["acknowledged", "assigned", "note", "resolved"]
    cursor = await s.client.get("/alerts?cursor=nonsense", headers=me)
    assert cursor.status_code == 422
    assert cursor.json()["errors"][0]["field"] == "query.cursor"


async def test_alert_pages_and_the_live_feed_continue_from_a_cursor(alerts_service: Alerts) -> None:
    s, team = alerts_service, alerts_service.team
    for _ in range(3):
        s.clock.advance(timedelta(minutes=1))
        await s.deliver(
            condition(VisitMissed, team, START, visit=uuid4()).model_copy(
                update={"workers_concerned": [uuid4()]}
            )
        )
    me = s.staff(team.manager)
    first = (await s.client.get("/alerts?limit=2", headers=me)).json()
    second = (await s.client.get(f"/alerts?limit=2&cursor={first['next_cursor']}", headers=me)).json()
    assert len(first["items"]) == 2
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    ids = {a["id"] for a in first["items"] + second["items"]}
    assert len(ids) == 3
    feed = (await s.client.get("/alerts/changes?limit=5", headers=me)).json()
    more = (await s.client.get(f"/alerts/changes?after={feed['cursor']}", headers=me)).json()
    assert {c["action"] for c in feed["items"]} >= {"raised", "escalation_step"}
    assert all(c["id"] > feed["cursor"] for c in more["items"])
    assert len(feed["items"]) + len(more["items"]) == len(
        (await s.client.get("/alerts/changes?limit=200", headers=me)).json()["items"]
    )


async def test_the_live_stream_sends_alert_changes_and_resumes_after_the_last_id(
    alerts_service: Alerts,
) -> None:
    s, team = alerts_service, alerts_service.team
    await s.deliver(condition(VisitMissed, team, START))
    me = s.staff(team.manager)
    first = await s.client.get("/alerts/stream?seconds=0.5", headers=me)
    assert first.headers["content-type"].startswith("text/event-stream")
    events = [block for block in first.text.split("\n\n") if block.startswith("id: ")]
    assert events
    assert "event: raised" in events[0]
    last_id = events[-1].split("\n")[0].removeprefix("id: ")
    [alert] = await s.alerts()
    await s.client.post(f"/alerts/{alert['id']}/acknowledge", headers=me)
    resumed = await s.client.get("/alerts/stream?seconds=0.5", headers={**me, "Last-Event-ID": last_id})
    resumed_events = [block for block in resumed.text.split("\n\n") if block.startswith("id: ")]
    assert [b.split("\n")[1] for b in resumed_events] == ["event: acknowledged"]
    elsewhere = await s.client.get("/alerts/stream?seconds=0.3", headers=s.staff(uuid4(), "Selby"))
    assert [b for b in elsewhere.text.split("\n\n") if b.startswith("id: ")] == []


async def test_a_restarted_replica_catches_up_on_escalations_that_fell_due_while_it_was_down(
    alerts_service: Alerts, database_url: str, kafka_bootstrap: str, receiver: HttpReceiver
) -> None:
    s, team = alerts_service, alerts_service.team
    await s.deliver(condition(VisitMissed, team, START))
    await s.runtime.runner.tick()
    await s.runtime.stop()  # down over the deadline
    s.clock.advance(timedelta(minutes=40))
    restarted = create_app(
        alerts_settings(database_url, kafka_bootstrap, receiver), clock=s.clock
    ).state.runtime
    try:
        await restarted.start()  # the runner's first tick finds what is overdue

        async def escalated_and_sent() -> bool:
            return len(sent_to(receiver, "+447700900888")) == 1

        await eventually(escalated_and_sent, timeout=30)
    finally:
        await restarted.stop()
    [alert] = await s.alerts()
    assert (alert["level"], alert["owner_id"]) == (2, str(team.area_manager))


async def test_the_partner_feed_gets_every_change_in_order_signed_and_resent_after_a_failure(
    database_url: str, kafka_bootstrap: str, receiver: HttpReceiver
) -> None:
    await asyncio.to_thread(upgrade_head, "alerts", database_url)
    clock = FrozenClock(NOW)
    settings = alerts_settings(
        database_url,
        kafka_bootstrap,
        receiver,
        partner_feed_url=f"{receiver.url}/feed",
        partner_feed_secret="feed-secret",
    )
    app = create_app(settings, clock=clock)
    team = Team(uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://alerts") as client:
        s = Alerts(client, clock, app.state.runtime, team)
        for event in team_events(team, START):
            await s.deliver(event)
        await s.deliver(condition(VisitMissed, team, START))
        await s.runtime.runner.tick()
        [first] = receiver.to("/feed")
        changes = first.json()["changes"]
        assert [c["action"] for c in changes][:2] == ["raised", "escalation_step"]
        assert [c["id"] for c in changes] == sorted(c["id"] for c in changes)
        assert verify_signature(
            b"feed-secret", first.headers[SIGNATURE_HEADER.lower()], first.body, clock.now()
        )

        [alert] = await s.alerts()
        await client.post(
            f"/alerts/{alert['id']}/notes",
            json={"text": "Mary's door code is 1234"},
            headers=s.staff(team.manager),
        )
        receiver.answers = [503]
        await s.runtime.runner.tick()
        await s.runtime.runner.tick()
        failed, resent = receiver.to("/feed")[1:]
        assert failed.body == resent.body  # the cursor did not move past the unanswered batch
        assert [c["action"] for c in resent.json()["changes"]] == ["note"]
        assert b"1234" not in resent.body  # notes stay inside the service
        await s.runtime.runner.tick()
        assert len(receiver.to("/feed")) == 3  # nothing new: nothing sent
    await app.state.runtime.stop()


async def test_a_message_held_for_quiet_hours_is_withdrawn_when_it_stops_being_true(
    alerts_service: Alerts, receiver: HttpReceiver
) -> None:
    s, team = alerts_service, alerts_service.team
    s.clock.advance(timedelta(hours=15))  # 23:30 BST: the daughter's quiet hours
    missed = condition(VisitMissed, team, START + timedelta(hours=15))
    await s.deliver(missed)
    s.clock.advance(timedelta(minutes=10))
    await s.deliver(
        VisitConditionResolved(
            **missed.model_dump(
                include={"visit_id", "individual_id", "locality", "local_date", "service_type"}
            ),
            planned_start=missed.planned_start,
            planned_end=missed.planned_end,
            condition="missed",
            raised_at=s.clock.now(),
            resolved_at=s.clock.now(),
            resolution="checked_in",
            worker_id=team.worker,
            detail="checked in after all",
        )
    )
    [daughter] = [n for n in await s.notifications() if n["recipient_id"] == str(team.daughter)]
    assert (daughter["status"], daughter["reason"]) == ("withheld", "no longer true: visit_missed ended")
    s.clock.advance(timedelta(hours=8))
    await s.runtime.runner.tick()
    assert sent_to(receiver, "+447700900123") == []
    [alert] = await s.alerts()
    assert "withdrawn" in [t["action"] for t in (await s.alert(alert["id"]))["timeline"]]
