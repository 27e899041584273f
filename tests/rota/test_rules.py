"""The validator finds every hard rule a plan breaks, and explains manual moves (001 P5, 000 P43)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from services.rota.domain.geo import Location
from services.rota.domain.planning import Allocation, Plan, PlanningProblem, PlanVisit, PlanWorker
from services.rota.domain.rules import Rule, check_move, hard_violations, validate
from services.rota.domain.travel import StraightLineTravel

HOME = Location(53.80, -1.55)
NEXT_DOOR = Location(53.80, -1.55)
ACROSS_TOWN = Location(53.85, -1.45)  # about 9 km: 25+ minutes by car


def worker(**changes: object) -> PlanWorker:
    base = PlanWorker(
        id=uuid.uuid4(),
        locality="leeds",
        home=HOME,
        skills=frozenset({"personal_care", "medication"}),
        gender="female",
        shifts=((7 * 60, 14 * 60),),
        contracted_minutes=300,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def visit(**changes: object) -> PlanVisit:
    base = PlanVisit(
        id=uuid.uuid4(),
        individual_id=uuid.uuid4(),
        locality="leeds",
        location=NEXT_DOOR,
        window_start=8 * 60 - 30,
        window_end=8 * 60 + 30,
        preferred_start=8 * 60,
        duration=45,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def problem(visits: list[PlanVisit], workers: list[PlanWorker]) -> PlanningProblem:
    return PlanningProblem(datetime(2026, 11, 23, tzinfo=UTC), visits, workers, StraightLineTravel())


def rules_broken(p: PlanningProblem, *allocations: Allocation) -> set[Rule]:
    return {v.rule for v in hard_violations(p, Plan(list(allocations)))}


def test_a_plan_that_keeps_every_rule_has_no_violations() -> None:
    w, v = worker(), visit(known_workers=frozenset())
    p = problem([v], [w])
    assert validate(p, Plan([Allocation(v.id, w.id, 8 * 60)])) == []


@pytest.mark.parametrize(
    ("visit_changes", "worker_changes", "start", "rule"),
    [
        ({"required_skills": frozenset({"hoist"})}, {}, 480, Rule.SKILLS),
        ({"carer_gender": "male"}, {}, 480, Rule.GENDER),
        ({}, {"shifts": ((13 * 60, 20 * 60),)}, 480, Rule.AVAILABILITY),
        ({}, {"absences": ((7 * 60, 9 * 60),)}, 480, Rule.AVAILABILITY),
        ({}, {}, 8 * 60 + 31, Rule.WINDOW),
        ({"duration": 200}, {"max_working_minutes": 180}, 480, Rule.WORKING_TIME),
    ],
)
def test_a_broken_hard_rule_is_found(
    visit_changes: dict[str, object], worker_changes: dict[str, object], start: int, rule: Rule
) -> None:
    w, v = worker(**worker_changes), visit(**visit_changes)
    assert rule in rules_broken(problem([v], [w]), Allocation(v.id, w.id, start))


def test_a_refused_worker_is_never_acceptable() -> None:
    w = worker()
    v = visit(refused_workers=frozenset({w.id}))
    assert Rule.REFUSED in rules_broken(problem([v], [w]), Allocation(v.id, w.id, 480))


def test_a_worker_who_cannot_travel_between_visits_in_time_breaks_the_route() -> None:
    w = worker()
    first, second = (
        visit(),
        visit(location=ACROSS_TOWN, window_start=500, window_end=600, preferred_start=530),
    )
    p = problem([first, second], [w])
    assert Rule.ROUTE in rules_broken(p, Allocation(first.id, w.id, 480), Allocation(second.id, w.id, 530))
    assert not rules_broken(p, Allocation(first.id, w.id, 480), Allocation(second.id, w.id, 570))


def test_six_hours_without_a_twenty_minute_break_is_found() -> None:
    w = worker(shifts=((6 * 60, 16 * 60),))
    visits = [
        visit(window_start=s, window_end=s, preferred_start=s, duration=60)
        for s in range(7 * 60, 14 * 60, 61)
    ]
    p = problem(visits, [w])
    assert Rule.BREAK in rules_broken(p, *(Allocation(v.id, w.id, v.window_start) for v in visits))


def test_a_double_up_needs_two_different_workers_starting_together() -> None:
    a, b = worker(), worker()
    v = visit(workers_required=2)
    p = problem([v], [a, b])
    assert not rules_broken(p, Allocation(v.id, a.id, 480), Allocation(v.id, b.id, 480))
    assert Rule.DOUBLE_UP in rules_broken(p, Allocation(v.id, a.id, 480), Allocation(v.id, b.id, 490))
    assert Rule.DOUBLE_UP in rules_broken(p, Allocation(v.id, a.id, 480))
    assert Rule.DOUBLE_UP in rules_broken(p, Allocation(v.id, a.id, 480), Allocation(v.id, a.id, 480))


def test_a_move_breaking_only_soft_rules_needs_a_reason() -> None:
    known, stranger = worker(), worker()
    v = visit(known_workers=frozenset({known.id}))
    p = problem([v], [known, stranger])
    plan = Plan([Allocation(v.id, known.id, 480)])
    without_reason = check_move(p, plan, v.id, (stranger.id,), 500)
    assert not without_reason.accepted
    assert {x.rule for x in without_reason.violations} == {Rule.CONTINUITY, Rule.PREFERRED_TIME}
    assert check_move(p, plan, v.id, (stranger.id,), 500, override_reason="Anne is off today").accepted


def test_a_move_breaking_a_hard_rule_is_refused_whatever_the_reason() -> None:
    w = worker()
    v = visit(carer_gender="male")
    verdict = check_move(problem([v], [w]), Plan(), v.id, (w.id,), 480, override_reason="nobody else")
    assert not verdict.accepted
    assert [x.rule for x in verdict.hard] == [Rule.GENDER]
