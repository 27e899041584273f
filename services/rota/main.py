"""Wires the rota service: settings, database, broker, telemetry, travel times and engines."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from uuid import UUID

from fastapi import FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.rota import handlers
from services.rota.adapters.osrm import OsrmTravel
from services.rota.adapters.routing_engine import RoutingEngine
from services.rota.api import router
from services.rota.consumers import subscriptions_for
from services.rota.domain.greedy import GreedyEngine
from services.rota.domain.travel import StraightLineTravel, TravelTimes
from services.rota.handlers import RotaConfig
from services.rota.housekeeping import Housekeeping
from services.rota.settings import RotaSettings
from services.rota.unit_of_work import RotaUnitOfWork


class PlanningRunner:
    """Runs queued planning runs as background tasks of this process (never inside a request).

    A run interrupted by a restart is failed by housekeeping once it cannot be finishing anywhere;
    the coordinator starts a new one (a run only writes when it finishes, in one transaction, so
    nothing half-planned is ever saved).
    """

    def __init__(self, new_uow: Callable[[], RotaUnitOfWork], config: RotaConfig) -> None:
        self._new_uow = new_uow
        self._config = config
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, run_id: UUID) -> None:
        """Start the run in the background."""
        task = asyncio.create_task(handlers.execute_planning_run(self._new_uow, self._config, run_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every running run (tests, and a graceful stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class RotaRuntime(ServiceRuntime[RotaUnitOfWork]):
    """The common runtime plus housekeeping (the moving horizon, abandoned runs)."""

    settings: RotaSettings

    def __init__(self, settings: RotaSettings, config: RotaConfig, clock: Clock | None) -> None:
        super().__init__(settings, RotaUnitOfWork, subscriptions_for(config), clock)
        self.housekeeping = Housekeeping(self.unit_of_work, config, self.clock, settings.housekeeping_seconds)
        self._housekeeping_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Relay, consumer and housekeeping."""
        await super().start()
        self._housekeeping_task = asyncio.create_task(self.housekeeping.run(), name="rota-housekeeping")

    async def stop(self) -> None:
        """Stop housekeeping first, then the rest."""
        if self._housekeeping_task is not None:
            self._housekeeping_task.cancel()
            await asyncio.gather(self._housekeeping_task, return_exceptions=True)
            self._housekeeping_task = None
        await super().stop()


def create_app(settings: RotaSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The rota service as an ASGI app (``uvicorn --factory services.rota.main:create_app``)."""
    settings = settings or RotaSettings()
    travel: TravelTimes = (
        OsrmTravel(settings.osrm_url)
        if settings.osrm_url
        else StraightLineTravel(road_factor=settings.road_factor)
    )
    config = RotaConfig(
        time_zone=settings.time_zone,
        horizon_days=settings.horizon_days,
        travel=travel,
        engines={"greedy": GreedyEngine(), "engine": RoutingEngine(workers=settings.solver_processes)},
    )
    runtime = RotaRuntime(settings, config, clock)
    app = build_service_app(runtime, router)
    app.state.rota_config = config
    app.state.planning_runner = PlanningRunner(runtime.unit_of_work, config)
    return app
