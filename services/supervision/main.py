"""Wires the supervision service: settings, database, broker, telemetry, and the provider's zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.supervision.api import router
from services.supervision.consumers import subscriptions
from services.supervision.settings import SupervisionSettings
from services.supervision.unit_of_work import SupervisionUnitOfWork


class SupervisionRuntime(ServiceRuntime[SupervisionUnitOfWork]):
    """The common runtime, with every unit of work told the provider's zone."""

    def __init__(self, settings: SupervisionSettings, clock: Clock | None = None) -> None:
        super().__init__(settings, SupervisionUnitOfWork, subscriptions, clock)
        self.zone = ZoneInfo(settings.provider_time_zone)

    def unit_of_work(self) -> SupervisionUnitOfWork:
        """A fresh unit of work in the provider's zone."""
        uow = super().unit_of_work()
        uow.zone = self.zone
        return uow


def create_app(settings: SupervisionSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The supervision service as an ASGI app (``uvicorn --factory services.supervision.main:create_app``)."""
    runtime = SupervisionRuntime(settings or SupervisionSettings(), clock)
    return build_service_app(runtime, router)
