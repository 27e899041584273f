"""Wires the people service: settings, database, broker, telemetry."""

from __future__ import annotations

from fastapi import FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.people.api import router
from services.people.consumers import subscriptions
from services.people.settings import PeopleSettings
from services.people.unit_of_work import PeopleUnitOfWork


def create_app(settings: PeopleSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The people service as an ASGI app (``uvicorn --factory services.people.main:create_app``)."""
    runtime = ServiceRuntime(settings or PeopleSettings(), PeopleUnitOfWork, subscriptions, clock)
    return build_service_app(runtime, router)
