"""Compliance notices: due soon and overdue leave once per item and threshold, whatever the replicas.

The sweeper claims each notice in the same transaction as its outbox event, so a second replica, a
restart or a second pass on the same day announces nothing new (architecture: deadline monitors keep
their state in the database, survive restarts and never fire twice with several replicas).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa

from rounds.contracts.people import WorkerUpdated
from rounds.contracts.supervision import (
    COMPLIANCE_TOPIC,
    SupervisionDueSoon,
    SupervisionOverdue,
    SupervisionResolved,
)
from rounds.infra.cloudevents import Envelope
from rounds.infra.messaging_tables import outbox
from services.supervision import handlers, handlers_workforce
from services.supervision.domain.compliance import (
    ComplianceReport,
    Obligation,
    ObligationStatus,
    RuleId,
    Severity,
)
from services.supervision.domain.notices import Notice, NoticeKey, NoticeState, notices_for, resolutions
from services.supervision.domain.supervisees import SuperviseeProfile
from services.supervision.main import SupervisionRuntime
from services.supervision.settings import SupervisionSettings
from tests.integration.kit import read_for
from tests.supervision.conftest import Supervision

NOTICE_TYPES = (SupervisionDueSoon.type, SupervisionOverdue.type, SupervisionResolved.type)


# --- the pure part ---------------------------------------------------------------------------------


def _obligation(rule: RuleId, due_on: date, status: ObligationStatus, item: str = "") -> Obligation:
    return Obligation(rule, item, due_on, status, Severity.WARNING, "004 1.18", "x")


def test_only_due_soon_and_overdue_obligations_become_notices_in_a_stable_order() -> None:
    worker = uuid4()
    report = ComplianceReport(
        worker_id=worker,
        on=date(2026, 3, 1),
        obligations=(
            _obligation(RuleId.APPRAISAL, date(2027, 2, 1), ObligationStatus.DUE),
            _obligation(RuleId.PROBATION_REVIEW, date(2026, 3, 10), ObligationStatus.DUE_SOON, "month 3"),
            _obligation(RuleId.ONE_TO_ONE, date(2026, 2, 28), ObligationStatus.OVERDUE),
            _obligation(RuleId.PDP, date(2026, 2, 28), ObligationStatus.OVERDUE),
        ),
    )
    found = [(n.key.rule, n.key.item, n.key.due_on, n.key.state) for n in notices_for(report)]
    assert found == [
        (RuleId.ONE_TO_ONE, "", date(2026, 2, 28), NoticeState.OVERDUE),
        (RuleId.PDP, "", date(2026, 2, 28), NoticeState.OVERDUE),
        (RuleId.PROBATION_REVIEW, "month 3", date(2026, 3, 10), NoticeState.DUE_SOON),
    ]
    assert {n.key.worker_id for n in notices_for(report)} == {worker}


def test_an_announced_overdue_obligation_no_longer_owed_is_resolved_once() -> None:
    worker = uuid4()
    late = NoticeKey(worker, RuleId.ONE_TO_ONE, "", date(2026, 2, 28), NoticeState.OVERDUE)
    soon = NoticeKey(worker, RuleId.APPRAISAL, "", date(2026, 3, 5), NoticeState.DUE_SOON)
    still_late = NoticeKey(worker, RuleId.PDP, "", date(2026, 2, 28), NoticeState.OVERDUE)
    report = ComplianceReport(
        worker_id=worker,
        on=date(2026, 3, 2),
        obligations=(
            _obligation(RuleId.PDP, date(2026, 2, 28), ObligationStatus.OVERDUE),
            _obligation(RuleId.ONE_TO_ONE, date(2026, 4, 1), ObligationStatus.DUE),
        ),
    )
    (resolved,) = resolutions(report, {late, soon, still_late})
    assert (resolved.key.rule, resolved.key.due_on, resolved.key.state) == (
        RuleId.ONE_TO_ONE,
        date(2026, 2, 28),
        NoticeState.RESOLVED,
    )
    assert resolutions(report, {late, soon, still_late, resolved.key}) == []


# --- against the database --------------------------------------------------------------------------


async def announced(runtime: SupervisionRuntime) -> list[dict[str, Any]]:
    """Every notice event in the outbox, as (type, data) dicts."""
    async with runtime.sessions() as session:
        rows = await session.execute(
            sa.select(outbox.c.type, outbox.c.data).where(outbox.c.type.in_(NOTICE_TYPES))
        )
        return [{"type": row.type, **_data(row.data)} for row in rows]


def _data(data: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(data) if isinstance(data, str | bytes) else dict(data)
    return parsed


def keys(events: list[dict[str, Any]]) -> Counter[tuple[str, str, str, str, str]]:
    return Counter((e["type"], e["worker_id"], e["rule"], e["item"], e["due_on"]) for e in events)


@pytest.mark.integration
async def test_each_threshold_is_announced_once_as_days_pass(s: Supervision) -> None:
    # NOW is Monday 16 February 2026; the worker started on 31 January, so as a new starter their first
    # monthly one-to-one is due on 28 February (calendar months clamp at month ends; 004 1.20), within
    # the 14-day horizon.
    first = await s.runtime.sweeper.sweep()
    events = await announced(s.runtime)
    assert first.announced == len(events) > 0
    mine = {(e["type"], e["rule"], e["item"]) for e in events if e["worker_id"] == str(s.team.worker)}
    assert (SupervisionDueSoon.type, "one_to_one_supervision", "") in mine
    one_to_one = next(
        e for e in events if e["rule"] == "one_to_one_supervision" and e["worker_id"] == str(s.team.worker)
    )
    assert (one_to_one["due_on"], one_to_one["severity"]) == ("2026-02-28", "warning")
    assert (one_to_one["supervisor_id"], one_to_one["line_manager_id"]) == (str(s.team.supervisor),) * 2
    assert (one_to_one["worker_name"], one_to_one["locality"], one_to_one["team"]) == (
        "Asha Patel",
        "Harrogate",
        "Harrogate OT",
    )

    # The same day again, and a week later: nothing new crossed a threshold.
    assert (await s.runtime.sweeper.sweep()).announced == 0
    s.clock.advance(timedelta(days=7))
    later = await s.runtime.sweeper.sweep()
    assert keys(await announced(s.runtime)).most_common(1)[0][1] == 1

    # 23:30 on 28 February in London: the day the one-to-one is due is not over yet.
    s.clock.advance(timedelta(days=5, hours=14, minutes=30))
    await s.runtime.sweeper.sweep()
    assert not [e for e in await announced(s.runtime) if e["type"] == SupervisionOverdue.type]
    # 00:30 on 1 March: it was due on 28 February and is now overdue, once.
    s.clock.advance(timedelta(hours=1))
    await s.runtime.sweeper.sweep()
    await s.runtime.sweeper.sweep()
    events = await announced(s.runtime)
    overdue = [
        e
        for e in events
        if e["type"] == SupervisionOverdue.type
        and e["worker_id"] == str(s.team.worker)
        and e["rule"] == "one_to_one_supervision"
    ]
    assert [(e["due_on"], e["overdue_since"], e["severity"]) for e in overdue] == [
        ("2026-02-28", "2026-03-01", "high")
    ]
    assert keys(events).most_common(1)[0][1] == 1
    assert later.failed == 0


@pytest.mark.integration
async def test_an_obligation_first_seen_overdue_gets_no_reminder(s: Supervision) -> None:
    # The sweeper was off over the whole due-soon window: on 2 March the first one-to-one (due on
    # 28 February) is simply overdue.
    s.clock.advance(timedelta(days=14))
    await s.runtime.sweeper.sweep()
    first_one_to_one = [
        e["type"]
        for e in await announced(s.runtime)
        if e["worker_id"] == str(s.team.worker)
        and e["rule"] == "one_to_one_supervision"
        and e["due_on"] == "2026-02-28"
    ]
    assert first_one_to_one == [SupervisionOverdue.type]


@pytest.mark.integration
async def test_two_replicas_and_a_restart_announce_each_notice_once(s: Supervision) -> None:
    # Enough workers that the replicas' sweeps overlap for a while, on pages of 7.
    for n in range(40):
        await s.register(uuid4(), date(2026, 1, 5) + timedelta(days=n), name=f"Worker{n}")
    settings = s.runtime.settings
    assert isinstance(settings, SupervisionSettings)
    replicas = [SupervisionRuntime(settings, s.clock) for _ in range(2)]
    for replica in replicas:
        replica.sweeper._page_size = 7
    try:
        results = await asyncio.gather(*(r.sweeper.sweep() for r in replicas))
        events = await announced(s.runtime)
        assert sum(r.announced for r in results) == len(events) > 40
        assert all(r.failed == 0 for r in results)
        assert keys(events).most_common(1)[0][1] == 1
        # Both did real work: each replica announced some of them (the split is the race's).
        assert all(r.workers == 45 for r in results)
    finally:
        for replica in replicas:
            await replica.stop()

    # A restart: a new process on the same database announces nothing already announced.
    restarted = SupervisionRuntime(settings, s.clock)
    try:
        assert (await restarted.sweeper.sweep()).announced == 0
        s.clock.advance(timedelta(days=40))
        results = await asyncio.gather(restarted.sweeper.sweep(), s.runtime.sweeper.sweep())
        events = await announced(s.runtime)
        assert sum(r.announced for r in results) > 0
        assert keys(events).most_common(1)[0][1] == 1
    finally:
        await restarted.stop()


@pytest.mark.integration
async def test_notices_reach_the_broker_for_alerts(s: Supervision) -> None:
    await s.runtime.sweeper.sweep()
    team = {str(w) for w in (s.team.worker, s.team.colleague, s.team.supervisor)}
    expected = sorted(
        (e["type"], e["worker_id"]) for e in await announced(s.runtime) if e["worker_id"] in team
    )
    assert expected
    await s.runtime.start()  # the relay publishes; the sweeper's pass at start finds nothing new

    found: list[Envelope] = []
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline and len(found) < len(expected):
        records = await read_for(s.runtime.settings.kafka_bootstrap_servers, COMPLIANCE_TOPIC, 2.0)
        envelopes = [
            Envelope.from_kafka(topic=r.topic, key=r.key, headers=list(r.headers), value=r.value)
            for r in records
        ]
        found = [e for e in envelopes if e.key in team]
    assert sorted((e.type, e.key) for e in found) == expected
    sample = next(e for e in found if e.type == SupervisionDueSoon.type)
    event = SupervisionDueSoon.model_validate(sample.json())
    assert (str(event.worker_id), sample.subject) == (sample.key, sample.key)


@pytest.mark.integration
async def test_a_worker_who_has_left_gets_no_more_notices_nor_team_counts(s: Supervision) -> None:
    left = WorkerUpdated(
        worker_id=s.team.colleague, version=2, given_name="Cal", family_name="Patel", role="care_worker",
        locality="Harrogate", status="ended", ended_on=date(2026, 2, 16),
    )  # fmt: skip
    async with s.runtime.unit_of_work() as uow:
        await handlers_workforce.worker_status(uow, left)
        await uow.commit()
    s.clock.advance(timedelta(days=90))
    result = await s.runtime.sweeper.sweep()
    events = await announced(s.runtime)
    assert result.workers == 4
    assert str(s.team.colleague) not in {e["worker_id"] for e in events}
    assert str(s.team.worker) in {e["worker_id"] for e in events}
    team = (await s.client.get("/teams/Harrogate%20OT/compliance")).json()
    assert sorted(w["name"] for w in team["workers"]) == ["Asha Patel", "Sam Patel"]
    assert (await s.client.get(f"/workers/{s.team.colleague}")).json()["active"] is False


@pytest.mark.integration
async def test_an_overdue_one_to_one_once_held_is_announced_resolved_once(s: Supervision) -> None:
    s.clock.advance(timedelta(days=13))  # Sunday 1 March, 09:00: the first one-to-one (28 Feb) is late
    await s.runtime.sweeper.sweep()
    planned = await s.client.post(
        "/sessions",
        json={
            "supervisor_id": str(s.team.supervisor),
            "supervisee_ids": [str(s.team.worker)],
            "first_starts_at": "2026-03-01T10:00:00+00:00",
            "count": 1,
            "venue": "Harrogate office",
        },
        headers=s.as_(s.team.supervisor),
    )
    assert planned.status_code == 201, planned.text
    s.clock.advance(timedelta(hours=2))
    record = await s.client.post(
        f"/sessions/{planned.json()[0]['id']}/record",
        json={
            "meeting_on": "2026-03-01",
            "duration_minutes": 60,
            "previous_actions_review": "First meeting.",
            "dbs_change": {"asked": True, "change_reported": False},
            "management": "Fine.",
            "development": "PDP next time.",
            "support": "No concerns.",
        },
        headers=s.as_(s.team.supervisor),
    )
    assert record.status_code == 201, record.text
    await s.runtime.sweeper.sweep()
    await s.runtime.sweeper.sweep()
    mine = sorted(
        (e["type"], e["due_on"], e["severity"])
        for e in await announced(s.runtime)
        if e["worker_id"] == str(s.team.worker) and e["rule"] == "one_to_one_supervision"
    )
    assert mine == [
        (SupervisionOverdue.type, "2026-02-28", "high"),
        (SupervisionResolved.type, "2026-02-28", "info"),
    ]


@pytest.mark.integration
async def test_one_workers_failure_does_not_hold_back_the_others(
    s: Supervision, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = handlers.notice_event

    def broken_for_one(profile: SuperviseeProfile, notice: Notice) -> Any:
        if profile.worker_id == s.team.worker:
            raise ValueError("a record this version cannot announce")
        return real(profile, notice)

    monkeypatch.setattr(handlers, "notice_event", broken_for_one)
    s.clock.advance(timedelta(days=90))
    first = await s.runtime.sweeper.sweep()
    assert first.failed == 1
    assert str(s.team.worker) not in {e["worker_id"] for e in await announced(s.runtime)}
    assert str(s.team.colleague) in {e["worker_id"] for e in await announced(s.runtime)}
    monkeypatch.setattr(handlers, "notice_event", real)
    again = await s.runtime.sweeper.sweep()
    assert (again.failed, again.announced > 0) == (0, True)
    assert str(s.team.worker) in {e["worker_id"] for e in await announced(s.runtime)}
    assert keys(await announced(s.runtime)).most_common(1)[0][1] == 1


@pytest.mark.integration
async def test_a_renamed_worker_is_announced_under_their_new_name(s: Supervision) -> None:
    renamed = WorkerUpdated(
        worker_id=s.team.worker, version=2, given_name="Asha", family_name="Khan", role="senior_care_worker",
        locality="Ripon", status="active",
    )  # fmt: skip
    async with s.runtime.unit_of_work() as uow:
        await handlers_workforce.worker_status(uow, renamed)
        await uow.commit()
    await s.runtime.sweeper.sweep()
    mine = [e for e in await announced(s.runtime) if e["worker_id"] == str(s.team.worker)]
    assert {(e["worker_name"], e["locality"]) for e in mine} == {("Asha Khan", "Ripon")}
    assert (await s.client.get(f"/workers/{s.team.worker}")).json()["role"] == "senior_care_worker"
