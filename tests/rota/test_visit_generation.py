"""Visits generated from care packages: local times, DST days and regeneration (000 P18, P20)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.rota.domain.packages import PackageRuleBroken
from services.rota.domain.visits import VisitStatus, generate_visits, regenerate
from tests.rota.factories import package, recurring

LONDON = ZoneInfo("Europe/London")
SPRING_FORWARD = date(2027, 3, 28)  # 01:00 GMT -> 02:00 BST
FALL_BACK = date(2026, 10, 25)  # 02:00 BST -> 01:00 GMT


def test_visits_follow_the_weekdays_and_the_package_dates() -> None:
    weekdays_only = recurring(weekdays=frozenset({0, 1, 2, 3, 4}))
    pkg = package(weekdays_only, start=date(2026, 11, 3), end=date(2026, 11, 12))
    visits = generate_visits(pkg, date(2026, 11, 1), date(2026, 11, 30))
    assert [v.local_date.isoformat() for v in visits] == [
        "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06",
        "2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12",
    ]  # fmt: skip


def test_winter_and_summer_visits_start_at_the_same_local_time() -> None:
    pkg = package(recurring(at=time(8, 0)))
    [winter] = generate_visits(pkg, date(2026, 1, 15), date(2026, 1, 15))
    [summer] = generate_visits(pkg, date(2026, 7, 15), date(2026, 7, 15))
    assert winter.planned_start == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    assert summer.planned_start == datetime(2026, 7, 15, 7, 0, tzinfo=UTC)
    assert summer.planned_start.astimezone(LONDON).time() == time(8, 0)


def test_a_0130_visit_on_the_spring_forward_day_moves_to_0230_local() -> None:
    pkg = package(recurring("night", at=time(1, 30), minutes=30, flex=15))
    [visit] = generate_visits(pkg, SPRING_FORWARD, SPRING_FORWARD)
    assert visit.planned_start == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert visit.planned_start.astimezone(LONDON).time() == time(2, 30)
    assert visit.window_end - visit.window_start == timedelta(minutes=30)


def test_a_0130_visit_on_the_fall_back_day_happens_once_at_the_first_0130() -> None:
    pkg = package(recurring("night", at=time(1, 30), minutes=30))
    visits = generate_visits(pkg, FALL_BACK, FALL_BACK)
    assert len(visits) == 1
    assert visits[0].planned_start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert visits[0].planned_start.astimezone(LONDON).utcoffset() == timedelta(hours=1)


def test_visits_either_side_of_a_clock_change_are_24_hours_apart_in_local_time_not_in_utc() -> None:
    pkg = package(recurring(at=time(9, 0)))
    before, on_day = generate_visits(pkg, FALL_BACK - timedelta(days=1), FALL_BACK)
    assert on_day.planned_start - before.planned_start == timedelta(hours=25)


def test_the_visit_id_is_stable_across_generations() -> None:
    pkg = package()
    first = generate_visits(pkg, date(2026, 11, 1), date(2026, 11, 7))
    again = generate_visits(replace(pkg, version=2), date(2026, 11, 1), date(2026, 11, 7))
    assert [v.id for v in first] == [v.id for v in again]
    assert len({v.id for v in first}) == 7


def test_a_changed_package_regenerates_only_future_visits() -> None:
    pkg = package(recurring(at=time(8, 0)), recurring("tea", at=time(17, 0)))
    now = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    existing = generate_visits(pkg, date(2026, 11, 9), date(2026, 11, 12))
    worker = pkg.individual_id  # any id stands for an allocated worker here
    existing = [replace(v, workers=(worker,), allocated_start=v.planned_start) for v in existing]
    moved_tea = replace(pkg, version=2, visits=(pkg.visits[0], recurring("tea", at=time(18, 0))))

    result = regenerate(existing, moved_tea, now, date(2026, 11, 12))

    touched = {v.id for v in result.changed + result.added + result.cancelled + result.unchanged}
    assert all(v.window_start > now for v in result.changed + result.added + result.cancelled)
    assert not touched & {v.id for v in existing if v.window_start <= now}
    assert {v.local_date.isoformat() for v in result.changed} == {"2026-11-10", "2026-11-11", "2026-11-12"}
    assert all(v.workers == () for v in result.changed), "a moved visit must be allocated again"
    assert all(v.workers == (worker,) for v in result.unchanged), "untouched mornings keep their carer"
    assert not result.added
    assert not result.cancelled


def test_an_ended_package_cancels_its_future_visits() -> None:
    pkg = package()
    now = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    existing = generate_visits(pkg, date(2026, 11, 9), date(2026, 11, 14))
    ended = replace(pkg, version=2, end_date=date(2026, 11, 12))
    result = regenerate(existing, ended, now, date(2026, 11, 14))
    assert sorted(v.local_date.isoformat() for v in result.cancelled) == ["2026-11-13", "2026-11-14"]
    assert all(v.status is VisitStatus.CANCELLED for v in result.cancelled)


def test_only_the_task_list_changing_keeps_the_allocation() -> None:
    pkg = package()
    now = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    existing = [
        replace(v, workers=(pkg.id,), allocated_start=v.planned_start)
        for v in generate_visits(pkg, date(2026, 11, 11), date(2026, 11, 11))
    ]
    new_tasks = replace(pkg, version=2, visits=(replace(pkg.visits[0], tasks=("meds", "breakfast")),))
    [changed] = regenerate(existing, new_tasks, now, date(2026, 11, 11)).changed
    assert changed.tasks == ("meds", "breakfast")
    assert changed.workers == (pkg.id,)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (recurring(workers=3), "visits.0.workers_required"),
        (recurring(minutes=0), "visits.0.duration_minutes"),
        (recurring(weekdays=frozenset({7})), "visits.0.weekdays"),
    ],
)
def test_a_package_that_cannot_be_planned_names_the_field(line: object, field: str) -> None:
    with pytest.raises(PackageRuleBroken) as broken:
        package(line).check()  # type: ignore[arg-type]
    assert broken.value.field == field


def test_a_package_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(PackageRuleBroken, match="end_date"):
        package(start=date(2026, 5, 2), end=date(2026, 5, 1)).check()
