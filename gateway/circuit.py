"""A per-service circuit breaker: stop sending requests to a service that keeps failing.

While a service is down, every request to it would otherwise wait for a connect timeout (and its
retries). An open circuit answers at once with 503 and ``Retry-After`` instead, and after a cool-down
lets a single trial request through to see whether the service is back.

Pure: time comes from an injected clock (monotonic seconds), so tests step through every state.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from enum import StrEnum

MonotonicClock = Callable[[], float]


class CircuitState(StrEnum):
    """Where a breaker is in its cycle."""

    CLOSED = "closed"  # requests flow; consecutive failures are counted
    OPEN = "open"  # requests are refused until the cool-down has passed
    HALF_OPEN = "half-open"  # one trial request is in flight; its outcome closes or reopens


class CircuitBreaker:
    """Opens after ``failure_threshold`` failed requests in a row, half-opens after ``cooldown_seconds``.

    Callers ask :meth:`allow` before each request and report the outcome with :meth:`record_success`
    or :meth:`record_failure`. Only failures that say the service is unreachable or stuck (connect
    errors, timeouts) should be recorded: a 4xx or 5xx answer proves the service is up.
    """

    def __init__(
        self,
        *,
        failure_threshold: int,
        cooldown_seconds: float,
        clock: MonotonicClock = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if cooldown_seconds <= 0:
            raise ValueError("cooldown_seconds must be positive")
        self._threshold = failure_threshold
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._consecutive_failures = 0
        # When the circuit opened, or when the current half-open trial was let through.
        self._since = 0.0

    @property
    def state(self) -> CircuitState:
        """The current state (an open circuit whose cool-down has passed still reads open until asked)."""
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failures recorded since the last success."""
        return self._consecutive_failures

    def allow(self) -> bool:
        """Whether a request may go to the service now; a ``True`` in half-open takes the one trial slot."""
        if self._state is CircuitState.CLOSED:
            return True
        if self._clock() - self._since < self._cooldown:
            return False
        # Open and cooled down, or half-open with a trial that never reported back (its caller was
        # cancelled): let one more trial through rather than stay stuck.
        self._state = CircuitState.HALF_OPEN
        self._since = self._clock()
        return True

    def retry_after_seconds(self) -> int:
        """Whole seconds until :meth:`allow` may say yes again (0 when it would now)."""
        if self._state is CircuitState.CLOSED:
            return 0
        remaining = self._cooldown - (self._clock() - self._since)
        return max(0, math.ceil(remaining))

    def record_success(self) -> None:
        """The service answered: close the circuit and forget earlier failures."""
        self._state = CircuitState.CLOSED
        self._consecutive_failures = 0

    def record_failure(self) -> None:
        """The service could not be reached or did not answer in time."""
        self._consecutive_failures += 1
        trial_failed = self._state is CircuitState.HALF_OPEN
        too_many = self._state is CircuitState.CLOSED and self._consecutive_failures >= self._threshold
        # Already open: a late failure from a request sent before it opened does not extend the cool-down.
        if trial_failed or too_many:
            self._open()

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._since = self._clock()
