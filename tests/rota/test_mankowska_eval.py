"""The independent Mankowska evaluator on a hand-made instance whose figures are worked out by hand."""

from __future__ import annotations

import pytest

from rounds.bench._mankowska_eval import earliest_schedule, evaluate, greedy_routes
from rounds.bench._mankowska_format import MankowskaInstance, Task, parse_instance

# Depot at x=0, patients 1-3 at x=10, 20, 30 on a line (distance = |x - x'|), the return node at 0.
# Caregiver 0 does service 0; caregiver 1 does services 0 and 1.
# Patient 1: service 0, window [0, 100], 5 min. Patient 2: service 1, window [50, 60], 5 min.
# Patient 3: services 0 and 1 (double, gap [mind, maxd]), window [0, 20], 10 min each.
XS = [0, 10, 20, 30, 0]


def tiny(min_gap: int = 0, max_gap: int = 0) -> MankowskaInstance:
    """The hand-made instance, its double service simultaneous unless a gap is given."""
    lines = ["nbNodes", "5", "nbVehi", "2", "nbServi", "2", "r", "1 1", "1 0", "0 1", "1 1", "1 1"]
    lines += ["DS", "4", "a", "1 0", "1 1", "x", " ".join(map(str, XS)), "y", "0 0 0 0 0", "d"]
    lines += [" ".join(str(abs(a - b)) for b in XS) for a in XS]
    lines += ["p"] + [row for row in ["0 0", "5 5", "5 5", "10 10", "0 0"] for _ in range(2)]
    lines += ["mind", f"0 0 0 {min_gap} 0", "maxd", f"0 0 0 {max_gap} 0"]
    lines += ["e", "0 0 50 0 0", "l", "1000 100 60 20 1000"]
    return parse_instance("\n".join(lines), "tiny")


PLAN = [[Task(1, 0), Task(3, 0)], [Task(3, 1), Task(2, 1)]]


def test_the_objective_of_a_plan_worked_out_by_hand() -> None:
    instance = tiny()
    starts = earliest_schedule(instance, PLAN)
    # Caregiver 0: patient 1 at 10 (travel), leaves 15, patient 3 at 35. Caregiver 1 reaches
    # patient 3 at 30 and waits for the other (simultaneous): 35; patient 2 at 45 + 10 = 55.
    assert starts == {Task(1, 0): 10, Task(3, 0): 35, Task(3, 1): 35, Task(2, 1): 55}
    result = evaluate(instance, PLAN, starts)
    assert result.violations == []
    assert result.distance == 120  # 10 + 20 + 30 each
    assert (result.total_tardiness, result.max_tardiness) == (30, 15)  # patient 3: 15 late twice
    assert result.objective == pytest.approx((120 + 30 + 15) / 3)


def test_a_gap_is_kept_by_the_schedule_and_its_breach_reported() -> None:
    instance = tiny(min_gap=5, max_gap=8)
    starts = earliest_schedule(instance, PLAN)
    assert starts is not None
    assert starts[Task(3, 1)] - starts[Task(3, 0)] == 5
    assert evaluate(instance, PLAN, starts).violations == []
    together = {**starts, Task(3, 1): starts[Task(3, 0)]}
    (broken,) = evaluate(instance, PLAN, together).violations
    assert "0.00 apart, allowed 5-8" in broken


def test_a_gap_that_cannot_be_met_has_no_schedule() -> None:
    routes = [[Task(3, 0)], [Task(3, 1)]]
    assert earliest_schedule(tiny(min_gap=5, max_gap=8), routes) is not None
    # A minimum above the maximum is a positive cycle in the temporal network.
    assert earliest_schedule(tiny(min_gap=5, max_gap=4), routes) is None


def test_every_hard_rule_breach_is_reported() -> None:
    instance = tiny()
    starts = earliest_schedule(instance, PLAN)
    assert starts is not None
    early = {**starts, Task(2, 1): 40.0}  # window opens at 50; caregiver 1 arrives at 55 anyway
    broken = evaluate(instance, PLAN, early).violations
    assert any("before its window opens" in b for b in broken)
    assert any("arrives at 55.00" in b for b in broken)
    unqualified = [[Task(1, 0), Task(3, 0), Task(2, 1)], [Task(3, 1)]]
    assert any("not qualified" in b for b in evaluate(instance, unqualified, starts).violations)
    same = [[], [Task(1, 0), Task(3, 0), Task(3, 1), Task(2, 1)]]
    assert any("both services by caregiver 1" in b for b in evaluate(instance, same, starts).violations)
    missing = [[Task(1, 0), Task(3, 0)], [Task(3, 1)]]
    assert "Task(patient=2, service=1) not served" in evaluate(instance, missing, starts).violations
    twice = [[Task(1, 0), Task(3, 0)], [Task(1, 0), Task(3, 1), Task(2, 1)]]
    assert any("served twice" in b for b in evaluate(instance, twice, starts).violations)


def test_the_greedy_plan_keeps_every_hard_rule() -> None:
    for instance in (tiny(), tiny(min_gap=5, max_gap=8)):
        routes = greedy_routes(instance)
        starts = earliest_schedule(instance, routes)
        assert starts is not None
        assert evaluate(instance, routes, starts).violations == []
