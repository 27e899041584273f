"""Property-based tests (hypothesis) of domain rules whose inputs are too many to list by hand.

The NHS number's Modulus 11 check, wall-clock times resolved in the provider's zone on any day
(clock-change days included), and quiet hours that wrap midnight across a clock change.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.alerts.domain.recipients import Recipient, RecipientKind, quiet_hours_end
from services.people.domain.individuals import InvalidNhsNumber, normalise_nhs_number
from services.rota.domain.visits import resolve_local

LONDON = ZoneInfo("Europe/London")
WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
nine_digits = st.lists(st.integers(0, 9), min_size=9, max_size=9)
days = st.dates(date(2020, 1, 1), date(2035, 12, 31))
walls = st.times().map(lambda t: t.replace(microsecond=0))
# Clock-change days are one in ~180: draw them on purpose as well as at random.
clock_change_days = st.sampled_from(
    [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]
)


#: Overnight (wrapping midnight), daytime, and one whose end falls in the spring gap (01:00-02:00).
QUIET_HOURS = [(time(22), time(7)), (time(21, 30), time(8)), (time(13), time(15)), (time(0, 30), time(1, 30))]


def _with_check_digit(digits: list[int]) -> str | None:
    check = 11 - sum(d * w for d, w in zip(digits, WEIGHTS, strict=True)) % 11
    if check == 10:
        return None
    return "".join(map(str, digits)) + str(0 if check == 11 else check)


@given(nine_digits)
def test_a_number_with_its_check_digit_is_valid_in_any_spacing(digits: list[int]) -> None:
    number = _with_check_digit(digits)
    if number is None:  # these nine digits can never start a valid number
        with pytest.raises(InvalidNhsNumber):
            normalise_nhs_number("".join(map(str, digits)) + "0")
        return
    assert normalise_nhs_number(number) == number
    assert normalise_nhs_number(f"{number[:3]} {number[3:6]} {number[6:]}") == number
    assert normalise_nhs_number(f"{number[:3]}-{number[3:6]}-{number[6:]}") == number


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_any_single_mistyped_digit_is_caught(digits: list[int], position: int, change: int) -> None:
    """Modulus 11 with weights 2-10 catches every single-digit substitution: 11 is prime."""
    number = _with_check_digit(digits)
    if number is None:
        return
    mistyped = number[:position] + str((int(number[position]) + change) % 10) + number[position + 1 :]
    with pytest.raises(InvalidNhsNumber):
        normalise_nhs_number(mistyped)


@given(st.one_of(days, clock_change_days), walls, walls)
def test_a_wall_time_lands_on_its_day_never_early_and_in_order(day: date, first: time, second: time) -> None:
    """Every time of a day resolves on that local day, at the time or (in the spring gap) just after."""
    early, late = sorted((first, second))
    resolved_early, resolved_late = resolve_local(day, early, LONDON), resolve_local(day, late, LONDON)
    assert resolved_early <= resolved_late  # visits keep their order through a clock change
    local = resolved_early.astimezone(LONDON)
    assert local.date() == day
    wall = datetime.combine(day, early)
    assert wall <= local.replace(tzinfo=None) <= wall + timedelta(hours=1)
    if local.replace(tzinfo=None) == wall:  # the time exists: on an autumn day, its first occurrence
        assert local.fold == 0


@given(
    st.one_of(days, clock_change_days),
    st.integers(0, 24 * 60 - 1),
    st.sampled_from(
        [(time(22), time(7)), (time(21, 30), time(8)), (time(13), time(15)), (time(0, 30), time(1, 30))]
    ),
)
def test_quiet_hours_end_on_the_clock_and_after_now(day: date, minute: int, hours: tuple[time, time]) -> None:
    start, end = hours
    recipient = Recipient(
        kind=RecipientKind.KEY_PERSON, id="k", name="Joan", quiet_start=start, quiet_end=end
    )
    now = resolve_local(day, time(minute // 60, minute % 60), LONDON)
    clock = now.astimezone(LONDON).time()
    inside = (clock >= start or clock < end) if start > end else start <= clock < end
    ends = quiet_hours_end(recipient, now)
    if not inside:
        assert ends is None
        return
    assert ends is not None
    assert now < ends <= now + timedelta(hours=25)
    local_end = ends.astimezone(LONDON).replace(tzinfo=None)
    wall_end = datetime.combine(local_end.date(), end)
    assert wall_end <= local_end <= wall_end + timedelta(hours=1)  # on the clock, or just after a gap
    assert ends.utcoffset() == timedelta(0)  # an instant in UTC, as stored and compared
