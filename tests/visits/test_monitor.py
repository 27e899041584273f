"""The monitor against a real database with a frozen clock: each condition once, at its threshold,
caught up after a restart, resolved by a late check-in; and two replicas racing on Postgres."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from rounds.infra.clock import FrozenClock
from services.visits.adapters import tables as t
from tests.visits.conftest import MANAGER, Visits, build, gps, worker_actor

pytestmark = pytest.mark.integration

SECOND = timedelta(seconds=1)


async def test_late_then_missed_each_raised_once_at_its_threshold(v: Visits) -> None:
    visit = await v.expect(start=(8, 0), minutes=90)
    late_at = visit.planned_start + timedelta(minutes=15)
    assert await v.monitor_at(late_at - SECOND) == 0
    assert await v.monitor_at(late_at) == 1
    assert await v.monitor_at(late_at + timedelta(minutes=5)) == 0  # never twice
    missed_at = visit.planned_start + timedelta(minutes=60)
    assert await v.monitor_at(missed_at - SECOND) == 0
    assert await v.monitor_at(missed_at) == 1
    assert await v.monitor_at(missed_at + timedelta(hours=3)) == 0
    late, missed = await v.events("rounds.visit.late.v1", "rounds.visit.missed.v1")
    assert (late["type"], late["deadline"]) == (
        "rounds.visit.late.v1",
        late_at.isoformat().replace("+00:00", "Z"),
    )
    assert late["workers_concerned"] == [str(visit.workers[0])]
    assert "08:00" in late["detail"]
    assert missed["condition"] == "missed"


async def test_a_late_check_in_after_missed_resolves_it_and_says_so(v: Visits) -> None:
    visit = await v.expect(start=(8, 0), minutes=30)
    await v.monitor_at(visit.planned_end)  # late and missed both passed
    assert [e["type"] for e in await v.events()] == ["rounds.visit.late.v1", "rounds.visit.missed.v1"]
    came = visit.planned_end + timedelta(minutes=10)
    v.clock.advance(came - v.clock.now())
    response = await v.client.post(
        f"/visits/{visit.visit_id}/check-in", json=gps(at=came), headers=worker_actor(visit.workers[0])
    )
    assert response.json()["resolved"] == ["late", "missed"]
    resolved = await v.events("rounds.visit.condition_resolved.v1")
    assert [(e["condition"], e["resolution"]) for e in resolved] == [
        ("late", "checked_in"),
        ("missed", "checked_in"),
    ]
    assert "40 min after the planned start" in resolved[1]["detail"]
    assert "was not missed" in resolved[1]["detail"]
    state = (await v.client.get(f"/visits/{visit.visit_id}", headers=MANAGER)).json()
    assert [c["resolution"] for c in state["conditions"]] == ["checked_in", "checked_in"]


async def test_an_offline_check_in_made_in_time_resolves_a_missed_raised_meanwhile(v: Visits) -> None:
    visit = await v.expect(start=(8, 0), minutes=30)
    await v.monitor_at(visit.planned_end + timedelta(hours=2))
    response = await v.client.post(
        f"/visits/{visit.visit_id}/check-in",
        json=gps(at=visit.planned_start + timedelta(minutes=1)),
        headers=worker_actor(visit.workers[0]),
    )
    assert response.status_code == 201
    [_, missed] = await v.events("rounds.visit.condition_resolved.v1")
    assert "made offline at" in missed["detail"]


async def test_overrun_and_lone_worker_overdue_while_inside_then_resolved_by_check_out(v: Visits) -> None:
    visit = await v.expect(start=(8, 0), minutes=30)
    worker = visit.workers[0]
    v.clock.advance(visit.planned_start - v.clock.now())
    await v.client.post(
        f"/visits/{visit.visit_id}/check-in", json=gps(at=visit.planned_start), headers=worker_actor(worker)
    )
    assert await v.monitor_at(visit.planned_end + timedelta(minutes=15) - SECOND) == 0
    assert await v.monitor_at(visit.planned_end + timedelta(minutes=15)) == 1  # overrun
    assert await v.monitor_at(visit.planned_end + timedelta(minutes=30) - SECOND) == 0
    assert await v.monitor_at(visit.planned_end + timedelta(minutes=30)) == 1  # overdue: welfare check
    [overdue] = await v.events("rounds.worker.overdue.v1")
    assert overdue["workers_concerned"] == [str(worker)]
    left = visit.planned_end + timedelta(minutes=50)
    v.clock.advance(left - v.clock.now())
    out = await v.client.post(
        f"/visits/{visit.visit_id}/check-out", json=gps(at=left), headers=worker_actor(worker)
    )
    assert out.json()["raised"] == []  # overrun was already raised live
    assert out.json()["resolved"] == ["overdue"]
    assert len(await v.events("rounds.visit.overrun.v1")) == 1
    assert await v.monitor_at(left + timedelta(hours=4)) == 0


async def test_a_short_visit_is_raised_at_check_out(v: Visits) -> None:
    visit = await v.expect(start=(8, 0), minutes=60)
    worker = visit.workers[0]
    headers = worker_actor(worker)
    v.clock.advance(visit.planned_start + timedelta(minutes=20) - v.clock.now())
    await v.client.post(
        f"/visits/{visit.visit_id}/check-in", json=gps(at=visit.planned_start), headers=headers
    )
    out = await v.client.post(
        f"/visits/{visit.visit_id}/check-out",
        json=gps(at=visit.planned_start + timedelta(minutes=20)),
        headers=headers,
    )
    assert out.json()["raised"] == ["short"]
    [short] = await v.events("rounds.visit.short.v1")
    assert (short["stayed_minutes"], short["planned_minutes"]) == (20.0, 60.0)


async def test_a_cancelled_visit_resolves_what_was_raised_and_stops_the_clock(v: Visits) -> None:
    visit = await v.expect(start=(8, 0), minutes=60)
    await v.monitor_at(visit.planned_start + timedelta(minutes=15))
    await v.expect(replace(visit, cancelled=True, rota_updated_at=v.clock.now()))
    [resolved] = await v.events("rounds.visit.condition_resolved.v1")
    assert (resolved["condition"], resolved["resolution"]) == ("late", "cancelled")
    assert await v.monitor_at(visit.planned_end + timedelta(hours=1)) == 0


async def test_an_older_rota_event_arriving_late_changes_nothing(v: Visits) -> None:
    visit = await v.expect(start=(8, 0))
    moved = replace(visit, planned_start=visit.planned_start + timedelta(hours=2),
                    planned_end=visit.planned_end + timedelta(hours=2),
                    rota_updated_at=visit.rota_updated_at + timedelta(hours=1))  # fmt: skip
    await v.expect(moved)
    await v.expect(visit)  # the older snapshot, redelivered
    body = (await v.client.get(f"/visits/{visit.visit_id}", headers=MANAGER)).json()
    assert body["planned_start"].startswith("2026-11-24T10:00")
    assert await v.monitor_at(visit.planned_start + timedelta(minutes=30)) == 0


async def test_thresholds_per_visit_type_move_the_deadline(v: Visits) -> None:
    visit = await v.expect(start=(8, 0), minutes=60, service_type="medication")
    other = await v.expect(start=(8, 0), minutes=60)
    body = {"late_after_minutes": 5, "missed_after_minutes": 30, "short_share": 0.9,
            "overrun_after_minutes": 10, "overdue_grace_minutes": 15}  # fmt: skip
    assert (await v.client.put("/thresholds/medication", json=body, headers=MANAGER)).status_code == 200
    got = (await v.client.get("/thresholds/medication", headers=MANAGER)).json()
    assert (got["late_after_minutes"], got["source"]) == (5.0, "visit_type")
    assert (await v.client.get("/thresholds/personal_care", headers=MANAGER)).json()["source"] == "settings"
    assert await v.monitor_at(visit.planned_start + timedelta(minutes=5)) == 1
    [late] = await v.events("rounds.visit.late.v1")
    assert late["visit_id"] == str(visit.visit_id)
    assert await v.monitor_at(other.planned_start + timedelta(minutes=15)) == 1
    bad = await v.client.put(
        "/thresholds/medication", json={**body, "missed_after_minutes": 1}, headers=MANAGER
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.missed_after_minutes"


async def test_a_restarted_monitor_catches_up_on_deadlines_that_passed_while_it_was_down(
    v: Visits, database_url: str, kafka_bootstrap: str
) -> None:
    visit = await v.expect(start=(8, 0), minutes=90)
    inside = await v.expect(start=(7, 30), minutes=30)
    v.clock.advance(inside.planned_start - v.clock.now())
    await v.client.post(f"/visits/{inside.visit_id}/check-in", json=gps(at=inside.planned_start),
                        headers=worker_actor(inside.workers[0]))  # fmt: skip
    assert await v.monitor_at(visit.planned_start + timedelta(minutes=10)) == 0  # nothing due yet
    await v.runtime.stop()  # the process dies with deadlines pending
    later = FrozenClock(visit.planned_start + timedelta(hours=2))
    restarted = build(database_url, kafka_bootstrap, later)
    try:
        raised = await restarted.monitor.run_once()
        assert raised == 4  # late and missed; the other visit's overrun and overdue
        assert await restarted.monitor.run_once() == 0
    finally:
        await restarted.stop()
    types = sorted((e["visit_id"] == str(visit.visit_id), e["type"]) for e in await v.events())
    assert types == [
        (False, "rounds.visit.checked_in.v1"),
        (False, "rounds.visit.overrun.v1"),
        (False, "rounds.worker.overdue.v1"),
        (True, "rounds.visit.late.v1"),
        (True, "rounds.visit.missed.v1"),
    ]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_monitor_replicas_racing_raise_each_condition_exactly_once(
    v: Visits, database_url: str, kafka_bootstrap: str
) -> None:
    planned = [await v.expect(start=(8, minute % 60), minutes=30) for minute in range(0, 120, 3)]
    at = max(p.planned_end for p in planned) + timedelta(minutes=1)
    replicas = [build(database_url, kafka_bootstrap, FrozenClock(at), monitor_batch_size=7) for _ in range(2)]
    try:
        for replica, name in zip(replicas, ("replica-a", "replica-b"), strict=True):
            replica.monitor.replica = name

        async def run(replica: object) -> int:
            counts = await asyncio.gather(*(replica.monitor.run_once() for _ in range(3)))  # type: ignore[attr-defined]
            return sum(counts)

        a, b = await asyncio.gather(run(replicas[0]), run(replicas[1]))
    finally:
        for replica in replicas:
            await replica.stop()
    assert a + b == 2 * len(planned)  # late and missed of every visit, once
    events = await v.events("rounds.visit.late.v1", "rounds.visit.missed.v1")
    assert len(events) == len({(e["visit_id"], e["type"]) for e in events}) == 2 * len(planned)
    assert await v.count(t.conditions) == 2 * len(planned)


async def test_on_the_spring_dst_day_an_0800_visit_is_late_at_0815_london_time(v: Visits) -> None:
    from datetime import date

    from tests.visits.factories import expected_visit, local

    day = date(2027, 3, 28)  # clocks go forward at 01:00 GMT: 08:00 BST is 07:00 UTC
    visit = await v.expect(expected_visit(day=day, start=(8, 0), minutes=60))
    assert visit.planned_start.isoformat() == "2027-03-28T07:00:00+00:00"
    assert await v.monitor_at(local(day, 8, 15) - SECOND) == 0
    assert await v.monitor_at(local(day, 8, 15)) == 1
    [late] = await v.events("rounds.visit.late.v1")
    assert late["deadline"] == "2027-03-28T07:15:00Z"
    assert "08:00" in late["detail"]


async def test_a_visit_moved_after_late_is_watched_afresh_at_its_new_time(v: Visits) -> None:
    visit = await v.expect(start=(8, 0), minutes=60)
    assert await v.monitor_at(visit.planned_start + timedelta(minutes=15)) == 1
    later = timedelta(hours=6)  # on-call phoned; the rota repair moved the visit to 14:00
    moved = replace(visit, planned_start=visit.planned_start + later, planned_end=visit.planned_end + later)
    await v.expect(replace(moved, rota_updated_at=v.clock.now()))
    [resolved] = await v.events("rounds.visit.condition_resolved.v1")
    assert (resolved["condition"], resolved["resolution"]) == ("late", "rescheduled")
    assert "moved the visit to 14:00" in resolved["detail"]
    assert await v.monitor_at(visit.planned_start + later + timedelta(minutes=15) - SECOND) == 0
    assert await v.monitor_at(visit.planned_start + later + timedelta(minutes=15)) == 1
    lates = await v.events("rounds.visit.late.v1")
    assert [e["deadline"][11:16] for e in lates] == ["08:15", "14:15"]
