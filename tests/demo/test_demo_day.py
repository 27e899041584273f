"""The scripted day of the workers' apps (the simulator's pure core): repeatable and realistic."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from rounds.demo.day import ActionKind, DayScript, ScheduledVisit, WorkerAction, planned_visits, script_day
from rounds.demo.generator import generate
from rounds.demo.model import Provider

TUESDAY = date(2026, 11, 24)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def provider() -> Provider:
    return generate("medium", 7, date(2026, 11, 23))


def allocate(provider: Provider, visits: list[ScheduledVisit]) -> list[ScheduledVisit]:
    """Round-robin allocation within each locality (the rota's job; enough for the script)."""
    pools = defaultdict(list)
    for worker in provider.workers:
        if worker.visits:
            pools[worker.locality].append(worker.ref)
    locality = {i.ref: i.locality for i in provider.individuals}
    turn: Counter[str] = Counter()
    out = []
    for visit in visits:
        pool = pools[locality[visit.individual_ref]]
        refs = []
        for _ in range(visit.workers_required):
            refs.append(pool[turn[locality[visit.individual_ref]] % len(pool)])
            turn[locality[visit.individual_ref]] += 1
        out.append(replace(visit, worker_refs=tuple(refs)))
    return out


@pytest.fixture(scope="module")
def visits(provider: Provider) -> list[ScheduledVisit]:
    return allocate(provider, planned_visits(provider, TUESDAY))


@pytest.fixture(scope="module")
def script(provider: Provider, visits: list[ScheduledVisit]) -> DayScript:
    return script_day(provider, TUESDAY, visits, seed=3)


def test_the_same_seed_scripts_the_same_day(provider: Provider, visits: list[ScheduledVisit]) -> None:
    assert script_day(provider, TUESDAY, visits, 3) == script_day(provider, TUESDAY, visits, 3)
    assert (
        script_day(provider, TUESDAY, visits, 3).actions != script_day(provider, TUESDAY, visits, 4).actions
    )


def test_planned_visits_start_at_the_local_preferred_time(provider: Provider) -> None:
    visits = planned_visits(provider, TUESDAY)
    assert len(visits) == len(provider.visits_on(1))
    assert all(7 <= v.planned_start.astimezone(LONDON).hour < 22 for v in visits)
    assert {v.workers_required for v in visits} == {1, 2}


def test_every_worker_on_an_attended_visit_checks_in_does_the_tasks_and_checks_out(
    script: DayScript, visits: list[ScheduledVisit]
) -> None:
    by_visit: dict[str, list[WorkerAction]] = defaultdict(list)
    for action in script.actions:
        by_visit[action.visit_id or ""].append(action)
    skipped = set(script.missed) | set(script.to_repair)
    for visit in visits:
        actions = by_visit.get(visit.visit_id, [])
        if visit.visit_id in skipped:
            assert actions == []
            continue
        for worker in visit.worker_refs:
            mine = [a for a in actions if a.worker_ref == worker]
            kinds = Counter(a.kind for a in mine)
            assert kinds[ActionKind.CHECK_IN] == 1
            assert kinds[ActionKind.TASK_DONE] + kinds[ActionKind.TASK_REFUSED] == len(visit.tasks)
            checked_out = kinds[ActionKind.CHECK_OUT] == 1
            assert checked_out is (visit.visit_id not in script.never_checked_out)
            check_in = next(a.at for a in mine if a.kind is ActionKind.CHECK_IN)
            assert all(a.at >= check_in for a in mine)


def test_a_few_visits_are_missed_or_never_checked_out_and_one_worker_rings_in_sick_at_seven(
    script: DayScript, visits: list[ScheduledVisit]
) -> None:
    assert 0 < len(script.missed) < 0.02 * len(visits)
    assert len(script.never_checked_out) < 0.02 * len(visits)
    sick = [a for a in script.actions if a.kind is ActionKind.REPORT_SICK]
    assert len(sick) == 1
    assert sick[0].worker_ref == script.sick_worker_ref
    assert sick[0].at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # GMT in November
    assert script.to_repair
    assert all(script.sick_worker_ref in v.worker_refs for v in visits if v.visit_id in script.to_repair)


def test_sickness_is_at_seven_local_time_on_the_day_clocks_go_forward(provider: Provider) -> None:
    day = date(2026, 3, 29)
    script = script_day(provider, day, allocate(provider, planned_visits(provider, day)), seed=1)
    sick = next(a for a in script.actions if a.kind is ActionKind.REPORT_SICK)
    assert sick.at == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 07:00 BST


def test_one_sos_in_the_afternoon_and_one_incident_in_the_morning(script: DayScript) -> None:
    sos = [a for a in script.actions if a.kind is ActionKind.SOS]
    incidents = [a for a in script.actions if a.kind is ActionKind.INCIDENT]
    assert len(sos) == len(incidents) == 1
    assert 13 <= sos[0].at.astimezone(LONDON).hour <= 18
    assert 7 <= incidents[0].at.astimezone(LONDON).hour <= 12


def test_homes_without_signal_send_late_in_a_batch_and_the_rest_at_once(
    provider: Provider, script: DayScript
) -> None:
    assert script.offline_visits
    offline = set(script.offline_visits)
    for action in script.actions:
        if action.visit_id in offline:
            assert action.sent_at > action.at
        else:
            assert action.sent_at == action.at
    sent = [a.sent_at for a in script.actions]
    assert sent == sorted(sent)


def test_lateness_and_gps_look_like_real_visits(
    provider: Provider, script: DayScript, visits: list[ScheduledVisit]
) -> None:
    planned = {v.visit_id: v for v in visits}
    homes = {i.ref: i.address.location for i in provider.individuals}
    check_ins = [a for a in script.actions if a.kind is ActionKind.CHECK_IN]
    late = [(a.at - planned[a.visit_id or ""].planned_start).total_seconds() / 60 for a in check_ins]
    on_time = sum(-5 <= minutes <= 9 for minutes in late) / len(late)
    assert 0.6 < on_time < 0.85
    assert max(late) <= 50
    for action in check_ins:
        home = homes[planned[action.visit_id or ""].individual_ref]
        assert action.location is not None
        metres = math.hypot(
            (action.location.lat - home.lat) * 111_000,
            (action.location.lon - home.lon) * 111_320 * math.cos(math.radians(home.lat)),
        )
        assert metres <= (action.accuracy_m or 0) + 1
