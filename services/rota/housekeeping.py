"""The rota's own clockwork: the horizon moves with each local day, and abandoned runs are ended.

Visits are generated ``horizon_days`` ahead when a package arrives; without this a day would only
come into the horizon when somebody called ``POST /visit-generation``. Both steps are idempotent
(visit ids are derived from package, line and day), so every replica may run them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from rounds.infra.clock import Clock
from services.rota import handlers
from services.rota.handlers import RotaConfig
from services.rota.unit_of_work import RotaUnitOfWork

log = logging.getLogger(__name__)


class Housekeeping:
    """Extends the horizon once per local day and fails abandoned planning runs, every few minutes."""

    def __init__(
        self, new_uow: Callable[[], RotaUnitOfWork], config: RotaConfig, clock: Clock, every_seconds: float
    ) -> None:
        self._new_uow = new_uow
        self._config = config
        self._clock = clock
        self._every_seconds = every_seconds
        self.extended_on: date | None = None

    async def run(self) -> None:
        """Tick until cancelled; a failed tick is logged and tried again at the next one."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("rota housekeeping failed; trying again in %.0f s", self._every_seconds)
            await asyncio.sleep(self._every_seconds)

    async def tick(self) -> None:
        """One pass: the horizon if the local day changed since the last extension, then stale runs."""
        today = self._clock.now().astimezone(ZoneInfo(self._config.time_zone)).date()
        if today != self.extended_on:
            added = await handlers.extend_horizon(self._new_uow(), self._config)
            self.extended_on = today
            log.info(
                "horizon extended to %s + %d days: %d visits added", today, self._config.horizon_days, added
            )
        if failed := await handlers.fail_abandoned_runs(self._new_uow()):
            log.warning("%d abandoned planning runs marked failed", failed)
