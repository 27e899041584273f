"""Wires the visits service: settings, database, broker, telemetry."""

from __future__ import annotations

from fastapi import FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.visits.api import router
from services.visits.consumers import subscriptions
from services.visits.settings import VisitsSettings
from services.visits.unit_of_work import VisitsUnitOfWork


def create_app(settings: VisitsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The visits service as an ASGI app (``uvicorn --factory services.visits.main:create_app``)."""
    runtime = ServiceRuntime(settings or VisitsSettings(), VisitsUnitOfWork, subscriptions, clock)
    return build_service_app(runtime, router)
