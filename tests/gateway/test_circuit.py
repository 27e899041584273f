"""The circuit breaker's states, stepped through with a clock the test moves."""

from __future__ import annotations

import pytest

from gateway.circuit import CircuitBreaker, CircuitState


class FakeClock:
    """Monotonic seconds that move only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, cooldown_seconds=10, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert breaker.allow()
        breaker.record_failure()


def test_closed_breaker_lets_requests_through(breaker: CircuitBreaker) -> None:
    assert breaker.state is CircuitState.CLOSED
    assert breaker.allow()
    assert breaker.retry_after_seconds() == 0


def test_opens_after_threshold_consecutive_failures(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)  # fail() asserts each request was allowed: still closed
    fail(breaker, 1)
    assert breaker.state is CircuitState.OPEN
    assert not breaker.allow()


def test_a_success_resets_the_count_of_failures(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.state is CircuitState.CLOSED
    assert breaker.consecutive_failures == 2


def test_open_breaker_says_how_long_to_wait(breaker: CircuitBreaker, clock: FakeClock) -> None:
    fail(breaker, 3)
    assert breaker.retry_after_seconds() == 10
    clock.advance(3.5)
    assert breaker.retry_after_seconds() == 7  # rounded up: never tell a caller to come back too early
    assert not breaker.allow()


def test_half_opens_after_cooldown_and_lets_exactly_one_trial_through(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 3)
    clock.advance(10)
    assert breaker.allow()
    assert breaker.state is CircuitState.HALF_OPEN
    assert not breaker.allow()  # the trial is still in flight


def test_successful_trial_closes_the_breaker(breaker: CircuitBreaker, clock: FakeClock) -> None:
    fail(breaker, 3)
    clock.advance(10)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    assert breaker.consecutive_failures == 0
    assert breaker.allow()


def test_failed_trial_reopens_for_a_full_cooldown(breaker: CircuitBreaker, clock: FakeClock) -> None:
    fail(breaker, 3)
    clock.advance(12)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    assert breaker.retry_after_seconds() == 10
    clock.advance(9.9)
    assert not breaker.allow()
    clock.advance(0.1)
    assert breaker.allow()


def test_a_trial_that_never_reports_back_frees_its_slot_after_a_cooldown(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 3)
    clock.advance(10)
    assert breaker.allow()  # this trial's caller is cancelled and never records an outcome
    clock.advance(10)
    assert breaker.allow()
    assert breaker.state is CircuitState.HALF_OPEN


def test_late_failures_while_open_do_not_extend_the_cooldown(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 3)
    clock.advance(6)
    breaker.record_failure()  # a request sent before the circuit opened
    assert breaker.retry_after_seconds() == 4


def test_threshold_of_one_opens_on_the_first_failure(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_seconds=1, clock=clock)
    fail(breaker, 1)
    assert breaker.state is CircuitState.OPEN


@pytest.mark.parametrize(("threshold", "cooldown"), [(0, 1.0), (1, 0.0)])
def test_nonsense_configuration_is_refused(threshold: int, cooldown: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        CircuitBreaker(failure_threshold=threshold, cooldown_seconds=cooldown)
