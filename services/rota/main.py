"""Wires the rota service: settings, database, broker, telemetry."""

from __future__ import annotations

from fastapi import FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.rota.api import router
from services.rota.consumers import subscriptions
from services.rota.settings import RotaSettings
from services.rota.unit_of_work import RotaUnitOfWork


def create_app(settings: RotaSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The rota service as an ASGI app (``uvicorn --factory services.rota.main:create_app``)."""
    runtime = ServiceRuntime(settings or RotaSettings(), RotaUnitOfWork, subscriptions, clock)
    return build_service_app(runtime, router)
