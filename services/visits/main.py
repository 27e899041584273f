"""Wires the visits service: settings, database, broker, telemetry and the visit monitor."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.visits.api import router
from services.visits.consumers import subscriptions
from services.visits.runner import Monitor
from services.visits.settings import VisitsSettings
from services.visits.unit_of_work import VisitsUnitOfWork


class VisitsRuntime(ServiceRuntime[VisitsUnitOfWork]):
    """The common runtime plus the monitor, with every unit of work told the default thresholds."""

    settings: VisitsSettings

    def __init__(self, settings: VisitsSettings, clock: Clock | None = None) -> None:
        super().__init__(settings, VisitsUnitOfWork, subscriptions, clock)
        self.defaults = settings.default_thresholds()
        self.monitor = Monitor(
            self.unit_of_work,
            self.defaults,
            poll_seconds=settings.monitor_poll_seconds,
            batch_size=settings.monitor_batch_size,
        )
        self._monitor_task: asyncio.Task[None] | None = None

    def unit_of_work(self) -> VisitsUnitOfWork:
        """A fresh unit of work knowing the provider's default thresholds."""
        uow = super().unit_of_work()
        uow.defaults = self.defaults
        return uow

    async def start(self) -> None:
        """Relay, consumer and (unless disabled) the monitor."""
        await super().start()
        if self.settings.monitor_enabled:
            self._monitor_task = asyncio.create_task(self.monitor.run(), name="visits-monitor")

    async def stop(self) -> None:
        """Stop the monitor first, then the rest."""
        if self._monitor_task is not None:
            self._monitor_task.cancel()
            await asyncio.gather(self._monitor_task, return_exceptions=True)
            self._monitor_task = None
        await super().stop()


def create_app(settings: VisitsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The visits service as an ASGI app (``uvicorn --factory services.visits.main:create_app``)."""
    runtime = VisitsRuntime(settings or VisitsSettings(), clock)
    return build_service_app(runtime, router)
