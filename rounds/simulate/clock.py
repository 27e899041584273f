"""The simulator's accelerated clock (pure): when, on the real clock, each scripted action is sent.

The services' monitors run on the real clock and the visits service refuses a device time more than
5 minutes ahead of its own, so a worker's app can never report the future. The decision (written up in
``docs/demo.md``): the simulated clock starts at ``origin`` (by default 06:55 local, before the 07:00
sick call) and runs ``speed`` times faster than the real one **until it catches up with the real
clock**; from then on it *is* the real clock (live, speed 1). So:

- the part of the day already past is replayed compressed, with the scripted device times
  (``occurred_at``) so lateness and durations are true; the monitor, which knew those visits from the
  rota's events, has raised ``late``/``missed`` for real where their thresholds passed before the replay
  reached them, and the replayed check-ins resolve them, as a late-syncing app's would;
- the rest of the day is sent live, so ``late``, ``missed`` and ``overdue`` fire exactly when they would
  for a real branch, and a scripted missed visit (nothing sent) is raised by the monitor on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SimClock:
    """Simulated ``origin`` at real ``started``, running ``speed`` times faster, never ahead of real."""

    origin: datetime
    started: datetime
    speed: float

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("speed must be positive")

    def at(self, real: datetime) -> datetime:
        """The simulated instant at the ``real`` one (never ahead of it)."""
        simulated = self.origin + (real - self.started) * self.speed
        return min(simulated, real)

    def real_for(self, simulated: datetime) -> datetime:
        """The real instant at which the simulated clock reads ``simulated``.

        Before the catch-up point it is compressed; after it the two clocks agree, so an instant in the
        real future is sent at that instant.
        """
        # at(r) = min(compressed(r), r) reaches ``simulated`` once both do: the later of the two.
        compressed = self.started + (simulated - self.origin) / self.speed
        return max(compressed, simulated, self.started)

    def caught_up_at(self) -> datetime | None:
        """The real instant the simulated clock reaches the real one (None when it never does)."""
        if self.speed <= 1:
            return None if self.origin < self.started else self.started
        # origin + (t - started) * speed == t  =>  t = (speed * started - origin) / (speed - 1)
        lag = self.started - self.origin
        return self.started + lag / (self.speed - 1) if lag > timedelta(0) else self.started
