"""The monitor's rules as pure functions: every condition, each threshold at its edge, DST days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from services.visits.domain.monitor import (
    ThresholdBook,
    Thresholds,
    at_check_out,
    due_at,
    next_deadline,
    pending,
    resolved_by_check_in,
    resolved_by_check_out,
)
from tests.visits.factories import arrived, expected_visit, state

T = Thresholds()  # late 15, missed 60, short 75 %, overrun 15, overdue grace 30
SECOND = timedelta(seconds=1)


def names(found: list) -> list[str]:  # type: ignore[type-arg]
    return [d.condition for d in found]


def test_late_falls_due_exactly_at_start_plus_threshold_and_not_a_second_before() -> None:
    visit = expected_visit(start=(8, 0), minutes=90)
    s = state(visit)
    deadline = visit.planned_start + timedelta(minutes=15)
    assert names(due_at(s, T, deadline - SECOND)) == []
    assert names(due_at(s, T, deadline)) == ["late"]
    assert next_deadline(s, T) == deadline


def test_missed_falls_due_at_start_plus_missed_threshold() -> None:
    visit = expected_visit(minutes=90)
    s = state(visit, raised=("late",))
    deadline = visit.planned_start + timedelta(minutes=60)
    assert names(due_at(s, T, deadline - SECOND)) == []
    assert names(due_at(s, T, deadline)) == ["missed"]


def test_missed_comes_at_the_planned_end_when_the_visit_is_shorter_than_the_threshold() -> None:
    visit = expected_visit(minutes=30)
    due = {d.condition: d.deadline for d in pending(state(visit), T)}
    assert due["missed"] == visit.planned_end
    assert due["late"] == visit.planned_start + timedelta(minutes=15)


def test_missed_never_comes_before_late() -> None:
    visit = expected_visit(minutes=10)  # ends before the late threshold
    due = {d.condition: d.deadline for d in pending(state(visit), T)}
    assert due["missed"] == due["late"] == visit.planned_start + timedelta(minutes=15)


def test_a_restarted_monitor_sees_late_and_missed_in_order_when_both_passed() -> None:
    visit = expected_visit(minutes=90)
    found = due_at(state(visit), T, visit.planned_start + timedelta(hours=3))
    assert names(found) == ["late", "missed"]
    assert found[0].deadline < found[1].deadline


def test_nothing_falls_due_once_someone_checked_in_even_late() -> None:
    visit = expected_visit(minutes=60)
    s = state(visit, arrived(visit, visit.planned_start + timedelta(minutes=40)))
    assert [c for c in names(pending(s, T)) if c in ("late", "missed")] == []


def test_a_cancelled_visit_never_falls_due() -> None:
    visit = replace(expected_visit(), cancelled=True)
    assert pending(state(visit), T) == []
    assert next_deadline(state(visit), T) is None


def test_a_raised_condition_is_not_due_again() -> None:
    visit = expected_visit(minutes=90)
    s = state(visit, raised=("late", "missed"))
    assert due_at(s, T, visit.planned_start + timedelta(hours=5)) == []


def test_lone_worker_overdue_at_planned_end_plus_grace() -> None:
    visit = expected_visit(minutes=30)
    s = state(visit, arrived(visit, visit.planned_start))
    deadline = visit.planned_end + timedelta(minutes=30)
    assert "overdue" not in names(due_at(s, T, deadline - SECOND))
    assert "overdue" in names(due_at(s, T, deadline))
    overdue = next(d for d in due_at(s, T, deadline) if d.condition == "overdue")
    assert overdue.workers_concerned == (visit.workers[0],)


def test_a_late_arrival_gets_the_planned_time_from_arrival_before_the_welfare_check() -> None:
    visit = expected_visit(minutes=30)
    came = visit.planned_start + timedelta(minutes=20)
    s = state(visit, arrived(visit, came))
    due = {d.condition: d.deadline for d in pending(s, T)}
    assert due["overdue"] == came + timedelta(minutes=30 + 30)


def test_overrun_while_still_inside_at_planned_duration_plus_threshold() -> None:
    visit = expected_visit(minutes=30)
    s = state(visit, arrived(visit, visit.planned_start))
    deadline = visit.planned_start + timedelta(minutes=45)
    assert names(due_at(s, T, deadline - SECOND)) == []
    assert names(due_at(s, T, deadline)) == ["overrun"]


def test_short_below_the_share_and_not_at_it() -> None:
    visit = expected_visit(minutes=40)  # 75 % is 30 minutes
    at = visit.planned_start
    exactly = arrived(visit, at, at + timedelta(minutes=30))
    under = arrived(visit, at, at + timedelta(minutes=30) - SECOND)
    assert names(at_check_out(state(visit, exactly), exactly, T)) == []
    found = at_check_out(state(visit, under), under, T)
    assert names(found) == ["short"]
    assert found[0].planned_minutes == 40.0


def test_overrun_at_check_out_beyond_the_threshold_and_not_at_it() -> None:
    visit = expected_visit(minutes=30)
    at = visit.planned_start
    exactly = arrived(visit, at, at + timedelta(minutes=45))
    beyond = arrived(visit, at, at + timedelta(minutes=45) + SECOND)
    assert names(at_check_out(state(visit, exactly), exactly, T)) == []
    assert names(at_check_out(state(visit, beyond), beyond, T)) == ["overrun"]


def test_overrun_raised_live_is_not_raised_again_at_check_out() -> None:
    visit = expected_visit(minutes=30)
    at = visit.planned_start
    left = arrived(visit, at, at + timedelta(hours=2))
    assert at_check_out(state(visit, left, raised=("overrun",)), left, T) == []


def test_a_check_in_resolves_late_and_missed_and_a_last_check_out_resolves_overdue() -> None:
    visit = expected_visit(workers=None)
    assert resolved_by_check_in(state(visit, raised=("late", "missed"))) == []
    came = arrived(visit, visit.planned_start + timedelta(minutes=70))
    assert resolved_by_check_in(state(visit, came, raised=("late", "missed"))) == ["late", "missed"]
    inside = arrived(visit, visit.planned_start)
    left = arrived(visit, visit.planned_start, visit.planned_end)
    assert resolved_by_check_out(state(visit, inside, raised=("overdue",))) == []
    assert resolved_by_check_out(state(visit, left, raised=("overdue",))) == ["overdue"]


def test_a_double_up_is_overdue_for_the_worker_still_inside_only() -> None:
    from uuid import uuid4

    visit = expected_visit(workers=(uuid4(), uuid4()), minutes=30)
    first = arrived(visit, visit.planned_start, visit.planned_end, worker=0)
    second = arrived(visit, visit.planned_start + timedelta(minutes=2), worker=1)
    s = state(visit, first, second)
    overdue = next(d for d in pending(s, T) if d.condition == "overdue")
    assert overdue.workers_concerned == (visit.workers[1],)


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2026, 3, 29), 7),  # spring forward: 08:00 BST is 07:00 UTC
        (date(2026, 10, 25), 8),  # fall back: 08:00 GMT is 08:00 UTC
        (date(2026, 3, 28), 8),  # the day before: still GMT
    ],
)
def test_thresholds_count_real_minutes_on_dst_days(day: date, utc_hour: int) -> None:
    visit = expected_visit(day=day, start=(8, 0), minutes=60)
    assert visit.planned_start.hour == utc_hour
    late = next(d for d in pending(state(visit), T) if d.condition == "late")
    assert late.deadline == visit.planned_start + timedelta(minutes=15)
    assert "08:00" in late.detail  # people read the local time


def test_a_visit_across_the_autumn_change_lasts_its_real_duration() -> None:
    # 00:30 to 02:30 local on 25 October 2026 is three real hours (01:00-02:00 happens twice).
    visit = expected_visit(day=date(2026, 10, 25), start=(0, 30), minutes=180)
    s = state(visit, arrived(visit, visit.planned_start))
    overdue = next(d for d in pending(s, T) if d.condition == "overdue")
    assert overdue.deadline - visit.planned_start == timedelta(minutes=210)
    assert overdue.detail.endswith("check on the worker's welfare now.")
    assert "03:00" in overdue.detail  # 210 real minutes after 00:30 BST is 03:00 GMT, not 04:00


def test_visit_types_override_the_provider_thresholds() -> None:
    book = ThresholdBook(
        provider=T, by_visit_type={"medication": Thresholds(late_after=timedelta(minutes=5))}
    )
    assert book.for_type("medication").late_after == timedelta(minutes=5)
    assert book.for_type("personal_care") is T


@pytest.mark.parametrize(
    "bad",
    [
        {"late_after": timedelta(minutes=-1)},
        {"late_after": timedelta(minutes=30), "missed_after": timedelta(minutes=20)},
        {"short_share": 0.0},
        {"short_share": 1.5},
    ],
)
def test_nonsense_thresholds_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"threshold|share|missed_after"):
        Thresholds(**bad)  # type: ignore[arg-type]


def test_a_double_up_is_late_until_both_workers_are_there_but_not_missed_once_one_is() -> None:
    from uuid import uuid4

    visit = expected_visit(workers=(uuid4(), uuid4()), minutes=60)
    first = arrived(visit, visit.planned_start, worker=0)
    one_there = state(visit, first)
    due = {d.condition: d for d in pending(one_there, T)}
    assert "missed" not in due
    assert due["late"].workers_concerned == (visit.workers[1],)
    assert "Only 1 of 2 workers" in due["late"].detail
    assert resolved_by_check_in(state(visit, first, raised=("late", "missed"))) == ["missed"]
    both = state(
        visit, first, arrived(visit, visit.planned_start + timedelta(minutes=20), worker=1), raised=("late",)
    )
    assert resolved_by_check_in(both) == ["late"]
    assert "late" not in names(pending(state(visit, first, arrived(visit, visit.planned_start, worker=1)), T))
