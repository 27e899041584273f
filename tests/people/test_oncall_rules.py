"""The on-call roster's rules (000 P37): the chain at an instant, clashes, local time and gaps across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid4

import pytest

from services.people.domain.oncall import (
    ALL_DAY,
    PROVIDER_WIDE,
    Away,
    CoverRequirement,
    CoverWindow,
    Gap,
    LocalTimeRefused,
    OnCallShift,
    RosterClash,
    RosterRuleBroken,
    ShiftStatus,
    chain_at,
    check_clashes,
    check_shift,
    find_gaps,
    horizon_end,
    local_instant,
    required_intervals,
    still_open,
)

LONDON = "Europe/London"
ANN, BOB, CAL = UUID(int=1), UUID(int=2), UUID(int=3)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def shift(
    worker: UUID, starts: datetime, ends: datetime, level: int = 1, locality: str = "Harrogate"
) -> OnCallShift:
    return OnCallShift(
        uuid4(), locality, level, worker, f"worker {worker.int}", "coordinator", "01423", starts, ends
    )


def london(day: date, at: time) -> datetime:
    return local_instant(datetime.combine(day, at), LONDON)


def test_the_chain_is_by_level_with_the_localitys_own_before_provider_wide_and_each_person_once() -> None:
    at = utc(2026, 6, 1, 22)
    shifts = [
        shift(CAL, utc(2026, 6, 1), utc(2026, 6, 2), level=2, locality=PROVIDER_WIDE),
        shift(BOB, utc(2026, 6, 1), utc(2026, 6, 2), level=2),
        shift(ANN, utc(2026, 6, 1), utc(2026, 6, 2), level=1),
        shift(ANN, utc(2026, 6, 1), utc(2026, 6, 2), level=3, locality=PROVIDER_WIDE),
        shift(BOB, utc(2026, 6, 1), utc(2026, 6, 2), level=1, locality="Ripon"),
    ]
    assert [(link.place, link.shift.worker_id) for link in chain_at(shifts, "Harrogate", at)] == [
        (1, ANN),
        (2, BOB),
        (3, CAL),
    ]


def test_a_shift_covers_from_its_start_up_to_but_not_including_its_end() -> None:
    handover = utc(2026, 6, 2, 8)
    night, day = shift(ANN, utc(2026, 6, 1, 16), handover), shift(BOB, handover, utc(2026, 6, 2, 16))
    assert [link.shift.worker_id for link in chain_at([night, day], "Harrogate", handover)] == [BOB]
    cancelled = OnCallShift(**{**vars(day), "status": ShiftStatus.CANCELLED})
    assert chain_at([night, cancelled], "Harrogate", handover) == []


def test_two_people_at_one_level_or_one_person_twice_in_a_localitys_chain_clash() -> None:
    night = shift(ANN, utc(2026, 6, 1, 16), utc(2026, 6, 2, 8))
    with pytest.raises(RosterClash):
        check_clashes(shift(BOB, utc(2026, 6, 2, 7), utc(2026, 6, 2, 16)), [night])
    with pytest.raises(RosterClash):
        check_clashes(shift(ANN, utc(2026, 6, 1, 20), utc(2026, 6, 1, 21), level=2), [night])
    check_clashes(shift(BOB, utc(2026, 6, 2, 8), utc(2026, 6, 2, 16)), [night])  # handover: no overlap
    check_clashes(shift(BOB, utc(2026, 6, 1, 20), utc(2026, 6, 2, 7), level=2), [night])
    check_clashes(shift(BOB, utc(2026, 6, 1, 20), utc(2026, 6, 2, 7), locality="Ripon"), [night])


@pytest.mark.parametrize(
    ("starts", "ends", "level", "field_name"),
    [
        (utc(2026, 6, 1, 9), utc(2026, 6, 1, 9), 1, "ends_at"),
        (utc(2026, 6, 1, 9), utc(2026, 6, 10, 9), 1, "ends_at"),
        (utc(2026, 6, 1, 9), utc(2026, 6, 1, 10), 0, "level"),
        (utc(2026, 6, 1, 9), utc(2026, 6, 1, 10), 6, "level"),
    ],
)
def test_shifts_that_cannot_stand_are_refused(
    starts: datetime, ends: datetime, level: int, field_name: str
) -> None:
    with pytest.raises(RosterRuleBroken) as broken:
        check_shift(shift(ANN, starts, ends, level=level))
    assert broken.value.field == field_name


def test_local_times_the_clocks_skip_or_repeat_are_refused_rather_than_guessed() -> None:
    with pytest.raises(LocalTimeRefused, match="clocks go forward"):
        local_instant(datetime(2026, 3, 29, 1, 30), LONDON)
    with pytest.raises(LocalTimeRefused, match="give the UTC offset"):
        local_instant(datetime(2026, 10, 25, 1, 30), LONDON)
    assert local_instant(datetime(2026, 3, 29, 2, 0), LONDON) == utc(2026, 3, 29, 1)
    assert local_instant(datetime(2026, 10, 25, 2, 0), LONDON) == utc(2026, 10, 25, 2)


def test_a_saturday_night_shift_lasts_fifteen_hours_when_the_clocks_go_forward_and_seventeen_when_back() -> (
    None
):
    spring = london(date(2026, 3, 29), time(9)) - london(date(2026, 3, 28), time(17))
    autumn = london(date(2026, 10, 25), time(9)) - london(date(2026, 10, 24), time(17))
    assert (spring, autumn) == (timedelta(hours=15), timedelta(hours=17))


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 1), 24)]
)
def test_a_whole_local_day_of_required_cover_is_as_long_as_the_day_really_is(day: date, hours: int) -> None:
    start, end = london(day, time(0)), london(day + timedelta(days=1), time(0))
    ((a, b),) = required_intervals(CoverRequirement(), start, end, LONDON)
    assert (a, b - a) == (start, timedelta(hours=hours))


def test_cover_windows_that_run_past_midnight_are_required_into_the_next_morning() -> None:
    nights = CoverRequirement((CoverWindow(frozenset({4}), time(22), time(7)),))  # Friday nights
    friday = date(2026, 6, 5)
    found = required_intervals(
        nights, london(friday, time(0)), london(friday + timedelta(days=3), time(0)), LONDON
    )
    assert found == [(london(friday, time(22)), london(friday + timedelta(days=1), time(7)))]


def test_a_roster_that_hands_over_by_wall_clock_has_no_gap_on_the_night_the_clocks_go_forward() -> None:
    saturday, sunday, monday = date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)
    shifts = [
        shift(ANN, london(saturday, time(9)), london(saturday, time(17))),
        shift(BOB, london(saturday, time(17)), london(sunday, time(9))),
        shift(CAL, london(sunday, time(9)), london(monday, time(9))),
    ]
    assert (
        find_gaps("Harrogate", shifts, CoverRequirement(), shifts[0].starts_at, shifts[-1].ends_at, LONDON)
        == []
    )


def test_gaps_are_found_per_level_and_provider_wide_cover_counts() -> None:
    day = date(2026, 6, 1)
    start, end = london(day, time(8)), london(day, time(20))
    shifts = [
        shift(ANN, london(day, time(8)), london(day, time(12))),
        shift(BOB, london(day, time(14)), london(day, time(20))),
        shift(CAL, london(day, time(10)), london(day, time(16)), level=2, locality=PROVIDER_WIDE),
    ]
    gaps = find_gaps("Harrogate", shifts, CoverRequirement((ALL_DAY,), levels_required=2), start, end, LONDON)
    assert gaps == [
        # 12:00-14:00 only the provider-wide manager answers: that is cover, but nobody to escalate to.
        Gap(2, london(day, time(8)), london(day, time(10))),
        Gap(2, london(day, time(12)), london(day, time(14))),
        Gap(2, london(day, time(16)), london(day, time(20))),
    ]
    without_manager = find_gaps("Harrogate", shifts[:2], CoverRequirement(), start, end, LONDON)
    assert without_manager == [Gap(1, london(day, time(12)), london(day, time(14)))]


def test_hours_that_need_no_cover_are_not_gaps() -> None:
    day = date(2026, 6, 1)  # a Monday
    days_only = CoverRequirement((CoverWindow(frozenset(range(5)), time(7), time(22)),))
    shifts = [shift(ANN, london(day, time(7)), london(day, time(22)))]
    assert (
        find_gaps("Harrogate", shifts, days_only, london(day, time(0)), london(day, time(23, 59)), LONDON)
        == []
    )


def test_a_gap_under_way_is_reported_from_now_and_a_past_one_not_at_all() -> None:
    gaps = [Gap(1, utc(2026, 6, 1, 8), utc(2026, 6, 1, 9)), Gap(1, utc(2026, 6, 1, 10), utc(2026, 6, 1, 12))]
    assert still_open(gaps, utc(2026, 6, 1, 11)) == [Gap(1, utc(2026, 6, 1, 11), utc(2026, 6, 1, 12))]


def test_the_gap_horizon_ends_at_local_midnight_so_it_moves_on_once_a_day() -> None:
    # 20 March is in winter time; 14 days later, midnight at the end of 3 April is in summer time.
    assert horizon_end(utc(2026, 3, 20, 9), LONDON) == utc(2026, 4, 3, 23)
    assert horizon_end(utc(2026, 3, 20, 23, 59), LONDON) == utc(2026, 4, 3, 23)


def test_an_absent_manager_does_not_answer_and_leaves_a_gap() -> None:
    day = date(2026, 6, 1)
    start, end = london(day, time(8)), london(day, time(20))
    shifts = [shift(ANN, start, end), shift(BOB, start, end, level=2)]
    sick = [Away(ANN, london(day, time(12)), london(day, time(23)))]
    assert [link.shift.worker_id for link in chain_at(shifts, "Harrogate", london(day, time(13)), sick)] == [
        BOB
    ]
    assert find_gaps("Harrogate", shifts[:1], CoverRequirement(), start, end, LONDON, sick) == [
        Gap(1, london(day, time(12)), end)
    ]
