"""Wires the supervision service: settings, database, broker, telemetry."""

from __future__ import annotations

from fastapi import FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.supervision.api import router
from services.supervision.consumers import subscriptions
from services.supervision.settings import SupervisionSettings
from services.supervision.unit_of_work import SupervisionUnitOfWork


def create_app(settings: SupervisionSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The supervision service as an ASGI app (``uvicorn --factory services.supervision.main:create_app``)."""
    runtime = ServiceRuntime(settings or SupervisionSettings(), SupervisionUnitOfWork, subscriptions, clock)
    return build_service_app(runtime, router)
