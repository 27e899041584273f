"""Every engine's plan keeps every hard rule on generated days (checked by the independent validator)."""

from __future__ import annotations

import pytest

from services.rota.adapters.routing_engine import RoutingEngine
from services.rota.domain.geo import Location
from services.rota.domain.greedy import GreedyEngine
from services.rota.domain.planning import PlanningProblem
from services.rota.domain.repair import repair
from services.rota.domain.rules import hard_violations
from services.rota.domain.synthetic import generated_day
from services.rota.domain.travel import StraightLineTravel


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_greedy_plan_breaks_no_hard_rule(seed: int) -> None:
    problem = generated_day(12, 120, seed=seed)
    plan = GreedyEngine().allocate(problem)
    assert hard_violations(problem, plan) == []
    assert len(plan.allocations) > 0
    assert set(plan.unallocated) | {a.visit_id for a in plan.allocations} == {v.id for v in problem.visits}


def test_the_engine_plan_breaks_no_hard_rule_and_covers_at_least_what_greedy_covers() -> None:
    problem = generated_day(16, 160, seed=4)
    greedy = GreedyEngine().allocate(problem)
    plan = RoutingEngine(workers=1).allocate(problem, time_limit_s=1.0)
    assert hard_violations(problem, plan) == []
    assert len(plan.unallocated) <= len(greedy.unallocated)
    assert all(reason for reason in plan.unallocated.values())


def test_every_unallocated_visit_says_why() -> None:
    problem = generated_day(3, 60, seed=5)
    plan = GreedyEngine().allocate(problem)
    assert plan.unallocated
    assert all(isinstance(r, str) and r for r in plan.unallocated.values())


def test_sickness_repair_keeps_every_other_workers_allocations() -> None:
    problem = generated_day(12, 100, seed=6)
    plan = GreedyEngine().allocate(problem)
    sick = max(problem.workers, key=lambda w: sum(a.worker_id == w.id for a in plan.allocations)).id
    repaired = repair(problem, plan, sick_worker=sick)
    sick_visits = {a.visit_id for a in plan.allocations if a.worker_id == sick}
    untouched = {a for a in plan.allocations if a.visit_id not in sick_visits}
    assert untouched <= set(repaired.problem_plan.allocations)
    assert all(a.worker_id != sick for a in repaired.problem_plan.allocations)
    assert hard_violations(repaired.problem, repaired.problem_plan) == []
    assert set(repaired.moved) == sick_visits, "both halves of a double-up move together"


def test_straight_line_travel_uses_the_road_factor_and_the_mode_speed() -> None:
    leeds, bradford = Location(53.7997, -1.5492), Location(53.7960, -1.7594)  # about 13.9 km apart
    travel = StraightLineTravel(road_factor=1.0)
    assert 13.5 < leeds.km_to(bradford) < 14.3
    assert travel.minutes(leeds, bradford, "car") == 28  # 13.9 km at 30 km/h, rounded up
    assert travel.minutes(leeds, bradford, "walk") > 150
    assert travel.matrix([leeds, bradford], "car")[0][0] == 0


def test_a_problem_refuses_a_naive_epoch() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="aware"):
        PlanningProblem(datetime(2026, 11, 23), [], [], StraightLineTravel())


def test_indicators_count_what_the_plan_did_and_did_not_do() -> None:
    from services.rota.domain.indicators import indicators

    problem = generated_day(6, 80, seed=7)
    plan = GreedyEngine().allocate(problem)
    figures = indicators(problem, plan)
    assert figures.visits == 80
    assert figures.allocated_visits + figures.unallocated_visits == 80
    assert sum(figures.unallocated_reasons.values()) == figures.unallocated_visits
    assert figures.travel_minutes > 0
    assert 0 < figures.utilisation <= 1
    assert 0 <= figures.continuity <= 1
