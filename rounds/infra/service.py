"""Builds a service process: database, outbox relay, consumer, telemetry, health and error handling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.instrumentation.utils import suppress_instrumentation

from rounds.infra.clock import Clock, SystemClock
from rounds.infra.consumer import EventConsumer, Subscriptions
from rounds.infra.db import create_engine, create_sessions
from rounds.infra.kafka import KafkaPublisher
from rounds.infra.outbox_relay import OutboxRelay
from rounds.infra.problems import problem_response
from rounds.infra.settings import ServiceSettings
from rounds.infra.telemetry import setup_telemetry, spans_exported
from rounds.infra.topology import load_topology
from rounds.infra.unit_of_work import UnitOfWork
from rounds.infra.web import create_web_app

log = logging.getLogger(__name__)
U = TypeVar("U", bound=UnitOfWork)


class ServiceRuntime(Generic[U]):
    """What one service process holds for its lifetime: engine, publisher, relay and consumer."""

    def __init__(
        self,
        settings: ServiceSettings,
        unit_of_work_class: type[U],
        subscriptions: Subscriptions[U],
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.name = settings.service_name
        self.clock = clock or SystemClock()
        self._unit_of_work_class = unit_of_work_class
        self.engine = create_engine(settings.database_url)
        self.sessions = create_sessions(self.engine)
        self.publisher = KafkaPublisher(settings, client_id=f"rounds.{self.name}")
        self.relay = OutboxRelay(
            self.sessions,
            self.publisher,
            self.clock,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        self.consumer = EventConsumer(
            settings,
            subscriptions,
            self.unit_of_work,
            self.publisher,
            load_topology().dead_letter_topic(self.name),
        )
        self._tasks: list[asyncio.Task[None]] = []

    def unit_of_work(self) -> U:
        """A fresh unit of work; its commits wake the relay."""
        return self._unit_of_work_class(
            self.sessions, self.clock, source=f"/rounds/{self.name}", on_commit=self.relay.wake
        )

    async def start(self) -> None:
        """Start relaying the outbox and consuming events in the background."""
        self._tasks = [
            asyncio.create_task(self.relay.run(), name=f"{self.name}-outbox-relay"),
            asyncio.create_task(self.consumer.run(), name=f"{self.name}-consumer"),
        ]
        for task in self._tasks:
            task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        """Stop the background work and release connections."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.publisher.close()
        await self.engine.dispose()

    async def readiness(self) -> dict[str, str]:
        """``{"database": "ok" | reason, "broker": "ok" | reason}``."""
        checks = {"database": "ok", "broker": "ok"}
        with suppress_instrumentation():  # probes every few seconds would drown the real traces
            try:
                async with self.engine.connect() as conn:
                    await asyncio.wait_for(conn.execute(sa.text("SELECT 1")), 2.0)
            except Exception as exc:
                checks["database"] = f"unreachable: {type(exc).__name__}"
            if not await self.publisher.is_reachable():
                checks["broker"] = f"unreachable at {self.publisher.bootstrap_servers}"
        return checks


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s stopped", task.get_name(), exc_info=task.exception())


def build_service_app(runtime: ServiceRuntime[Any], router: APIRouter) -> FastAPI:
    """The FastAPI app of one service, with health endpoints, problem+json errors and telemetry."""
    tracer_provider = setup_telemetry(runtime.name, runtime.settings)
    title, summary = f"Rounds {runtime.name}", load_topology().service(runtime.name).summary

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = create_web_app(
        tracer_provider=tracer_provider, title=title, summary=summary, version="0.1.0", lifespan=lifespan
    )
    app.state.runtime = runtime
    app.include_router(health_router())
    app.include_router(router)
    if spans_exported(runtime.settings):
        # A span per statement, even unrecorded, costs a service a fifteenth of its CPU per request.
        SQLAlchemyInstrumentor().instrument(engine=runtime.engine.sync_engine)
    return app


def health_router() -> APIRouter:
    """``/healthz`` (the process is alive) and ``/readyz`` (its database and the broker answer)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="The database and the broker are reachable", response_model=None)
    async def readyz(request: Request) -> JSONResponse | dict[str, Any]:
        runtime: ServiceRuntime[Any] = request.app.state.runtime
        checks = await runtime.readiness()
        if all(value == "ok" for value in checks.values()):
            return {"status": "ready", "checks": checks}
        return problem_response(
            503,
            "not-ready",
            "Not ready",
            f"{runtime.name} cannot serve yet: "
            + ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok"),
            checks=checks,
        )

    return router


def unit_of_work_from(request: Request) -> Any:
    """FastAPI dependency body: a fresh unit of work from the app's runtime."""
    runtime: ServiceRuntime[Any] = request.app.state.runtime
    return runtime.unit_of_work()
