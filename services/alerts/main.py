"""Wires the alerts service: settings, database, broker, telemetry."""

from __future__ import annotations

from fastapi import FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.alerts.api import router
from services.alerts.consumers import subscriptions
from services.alerts.settings import AlertsSettings
from services.alerts.unit_of_work import AlertsUnitOfWork


def create_app(settings: AlertsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The alerts service as an ASGI app (``uvicorn --factory services.alerts.main:create_app``)."""
    runtime = ServiceRuntime(settings or AlertsSettings(), AlertsUnitOfWork, subscriptions, clock)
    return build_service_app(runtime, router)
