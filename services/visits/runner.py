"""The monitor's loop: raise the thresholds that passed, sleep until the next one, repeat.

Its state lives in the database (each visit's next check, the conditions raised), so a restarted
process catches up with everything that fell due while it was down, and several replicas share
the work without raising anything twice (see :func:`services.visits.handlers.run_monitor`).

It sleeps until the earliest next check stored, not for a fixed interval: a threshold is raised
milliseconds after it passes rather than up to a poll interval later (issue 11's alert latency). It
never sleeps longer than ``poll_seconds``, so a visit added or moved by another process (the rota's
events reach any replica) with an earlier deadline is still seen within that.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable

from opentelemetry import metrics

from rounds.infra.db import is_database_outage
from services.visits import handlers
from services.visits.domain.monitor import Thresholds
from services.visits.unit_of_work import VisitsUnitOfWork

log = logging.getLogger(__name__)

#: Woken this long after a deadline, so the pass's ``now`` is past it (timers may fire a hair early).
AFTER_DEADLINE_SECONDS = 0.002
#: The shortest pause between passes: a deadline another replica holds locked is not spun on, and
#: when deadlines crowd (a morning peak) one pass takes all those of the last tenth of a second
#: rather than a pass each (a pass costs ~10 ms of CPU; a tenth of a second is far inside the 1 s
#: the alert latency allows).
SHORTEST_PAUSE_SECONDS = 0.1
meter = metrics.get_meter(__name__)
raised_counter = meter.create_counter(
    "rounds.visits.monitor.raised", description="Conditions the monitor raised"
)
# From a threshold passing to its condition committed with its event: the first leg of alert latency.
delay_histogram = meter.create_histogram(
    "rounds.visits.monitor.delay", unit="s", description="Seconds from a deadline to the condition raised"
)


def replica_name() -> str:
    """Who raised a condition, for the record: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Monitor:
    """Runs :func:`handlers.run_monitor` until cancelled."""

    def __init__(
        self,
        unit_of_work: Callable[[], VisitsUnitOfWork],
        defaults: Thresholds,
        poll_seconds: float,
        batch_size: int,
        replica: str | None = None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._defaults = defaults
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self.replica = replica or replica_name()

    async def run_once(self) -> int:
        """One pass, the count raised; goes on while full batches come back, so a catch-up drains at once."""
        total = 0
        while True:
            async with self._unit_of_work() as uow:
                done = await handlers.run_monitor(uow, self._defaults, self.replica, self._batch_size)
            for delay in done.delays:
                delay_histogram.record(delay)
            if done.raised:
                raised_counter.add(done.raised)
            total += done.raised
            if done.visits < self._batch_size:
                return total

    async def pause(self) -> float:
        """Seconds until the earliest next check stored (just after it), at most ``poll_seconds``."""
        async with self._unit_of_work() as uow:
            earliest = await uow.visits.earliest_check()
            now = uow.clock.now()
        if earliest is None:
            return self._poll_seconds
        wait = (earliest - now).total_seconds() + AFTER_DEADLINE_SECONDS
        return min(self._poll_seconds, max(SHORTEST_PAUSE_SECONDS, wait))

    async def run(self) -> None:
        """Pass, then sleep until the next deadline; a database outage is waited out, never fatal."""
        while True:
            pause = self._poll_seconds
            try:
                await self.run_once()
                pause = await self.pause()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_database_outage(exc):
                    log.warning("monitor waiting for the database: %r", exc)
                else:
                    log.exception("monitor pass failed; trying again")
            await asyncio.sleep(pause)
