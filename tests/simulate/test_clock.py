"""The simulator's accelerated clock: compressed until it reaches the real one, then live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rounds.simulate.clock import SimClock

STARTED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORIGIN = datetime(2026, 11, 23, 6, 55, tzinfo=UTC)


def test_the_past_is_replayed_speed_times_faster() -> None:
    clock = SimClock(ORIGIN, STARTED, 60)
    # One real minute later the simulated clock has moved an hour.
    assert clock.at(STARTED + timedelta(minutes=1)) == ORIGIN + timedelta(hours=1)
    assert clock.real_for(ORIGIN + timedelta(hours=1)) == STARTED + timedelta(minutes=1)


def test_it_never_runs_ahead_of_the_real_clock() -> None:
    clock = SimClock(ORIGIN, STARTED, 60)
    caught = clock.caught_up_at()
    assert caught is not None
    # 5 h 05 min of lag closed at 59 s of lag closed per real second: ~5.17 real minutes.
    assert abs((caught - STARTED).total_seconds() - (5 * 3600 + 300) / 59) < 1e-6
    later = caught + timedelta(hours=2)
    assert clock.at(later) == later
    # Something due in the real future is sent at that instant, not before (apps cannot report ahead).
    assert clock.real_for(STARTED + timedelta(hours=3)) == STARTED + timedelta(hours=3)


def test_before_the_origin_is_sent_at_once() -> None:
    clock = SimClock(ORIGIN, STARTED, 60)
    assert clock.real_for(ORIGIN - timedelta(minutes=10)) == STARTED


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="speed"):
        SimClock(ORIGIN, STARTED, 0)


@given(
    st.floats(min_value=1, max_value=10_000),
    st.integers(min_value=0, max_value=24 * 3600),
    st.integers(min_value=0, max_value=24 * 3600),
)
def test_real_for_inverts_at(speed: float, lag: int, offset: int) -> None:
    """The action is sent when the simulated clock first reads its time, and never before it."""
    clock = SimClock(STARTED - timedelta(seconds=lag), STARTED, speed)
    simulated = clock.origin + timedelta(seconds=offset)
    real = clock.real_for(simulated)
    assert real >= simulated or real == STARTED
    assert abs((clock.at(real) - max(simulated, clock.at(STARTED))).total_seconds()) < 0.05
