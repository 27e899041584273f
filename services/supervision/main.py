"""Wires the supervision service: settings, database, broker, telemetry, the zone and the sweeper."""

from __future__ import annotations

import asyncio
import contextlib
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.supervision.api import router
from services.supervision.api_development import router as development_router
from services.supervision.consumers import subscriptions
from services.supervision.settings import SupervisionSettings
from services.supervision.sweeper import ComplianceSweeper
from services.supervision.unit_of_work import SupervisionUnitOfWork

# Built once: including a router copies its routes, so doing it per app would repeat them.
service_router = APIRouter()
service_router.include_router(router)
service_router.include_router(development_router)


class SupervisionRuntime(ServiceRuntime[SupervisionUnitOfWork]):
    """The common runtime, with every unit of work told the provider's zone, and the sweeper."""

    def __init__(self, settings: SupervisionSettings, clock: Clock | None = None) -> None:
        super().__init__(settings, SupervisionUnitOfWork, subscriptions, clock)
        self.zone = ZoneInfo(settings.provider_time_zone)
        self.sweeper = ComplianceSweeper(
            self.unit_of_work,
            due_soon_days=settings.due_soon_days,
            every_seconds=settings.notice_sweep_seconds,
        )
        self._sweeping = settings.notice_sweep_seconds > 0
        self._sweep_task: asyncio.Task[None] | None = None

    def unit_of_work(self) -> SupervisionUnitOfWork:
        """A fresh unit of work in the provider's zone."""
        uow = super().unit_of_work()
        uow.zone = self.zone
        return uow

    async def start(self) -> None:
        """The relay and the consumer, and the compliance sweeper when it has an interval."""
        await super().start()
        if self._sweeping and self._sweep_task is None:
            self._sweep_task = asyncio.create_task(self.sweeper.run(), name="supervision-compliance-sweeper")

    async def stop(self) -> None:
        """Stop sweeping, then everything else."""
        if self._sweep_task is not None:
            self._sweep_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweep_task
            self._sweep_task = None
        await super().stop()


def create_app(settings: SupervisionSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The supervision service as an ASGI app (``uvicorn --factory services.supervision.main:create_app``)."""
    runtime = SupervisionRuntime(settings or SupervisionSettings(), clock)
    return build_service_app(runtime, service_router)
