"""The ruin-and-recreate layer: never breaks a hard rule, never returns a worse plan, and does better."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.rota.domain.greedy import GreedyEngine
from services.rota.domain.improve import RuinAndRecreate, plan_cost, route_cost
from services.rota.domain.indicators import indicators
from services.rota.domain.planning import Plan
from services.rota.domain.repair import repair
from services.rota.domain.rules import hard_violations
from services.rota.domain.synthetic import generated_day


@pytest.mark.parametrize("seed", [11, 12])
def test_the_search_improves_the_greedy_plan_without_breaking_a_hard_rule(seed: int) -> None:
    problem = generated_day(14, 150, seed=seed)
    greedy = GreedyEngine().allocate(problem)
    search = RuinAndRecreate(seed=seed)
    better = search.improve(problem, greedy, time_limit_s=1.5)
    assert hard_violations(problem, better) == []  # double-ups included: both halves move together
    assert search.last_report is not None
    assert search.last_report.iterations > 10
    assert plan_cost(problem, better) < plan_cost(problem, greedy)
    assert indicators(problem, better).unallocated_visits <= indicators(problem, greedy).unallocated_visits
    every = {a.visit_id for a in better.allocations} | set(better.unallocated)
    assert every == {v.id for v in problem.visits}
    assert all(better.unallocated.values()), "every visit left out says why"


def test_an_empty_plan_is_filled_and_the_cost_counts_each_visit_left_out() -> None:
    problem = generated_day(6, 40, seed=3)
    empty = Plan()
    assert plan_cost(problem, empty) == 40 * problem.weights.unallocated_visit
    filled = RuinAndRecreate().improve(problem, empty, time_limit_s=0.2)
    assert filled.allocations
    assert hard_violations(problem, filled) == []
    routes = filled.by_worker()
    assert plan_cost(problem, filled) == sum(
        route_cost(problem, problem.worker[w], r) for w, r in routes.items()
    ) + problem.weights.unallocated_visit * len(filled.unallocated)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 100_000), workers=st.integers(2, 10), visits=st.integers(5, 80))
def test_any_generated_day_planned_and_improved_keeps_every_hard_rule(
    seed: int, workers: int, visits: int
) -> None:
    problem = generated_day(workers, visits, seed=seed)
    greedy = GreedyEngine().allocate(problem)
    improved = RuinAndRecreate(seed=seed).improve(problem, greedy, time_limit_s=0.2)
    assert hard_violations(problem, greedy) == []
    assert hard_violations(problem, improved) == []
    assert plan_cost(problem, improved) <= plan_cost(problem, greedy)
    moved = repair(problem, improved, sick_worker=problem.workers[0].id)
    assert hard_violations(moved.problem, moved.problem_plan) == []
    freed = {a.visit_id for a in improved.allocations if a.worker_id == problem.workers[0].id}
    assert {a for a in improved.allocations if a.visit_id not in freed} <= set(moved.problem_plan.allocations)
