"""Fixtures for the gateway tests: the stand-in services (see ``standins``) and a gateway in front of them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.main import create_app
from gateway.policy import ROUTE_RULES
from gateway.settings import GatewaySettings
from rounds.auth.issuer import load_or_create_signing_key, mint_token
from rounds.infra.topology import SERVICE_NAMES
from tests.gateway.standins import (
    STAND_IN_RULES,
    GatewayFactory,
    RunningGateway,
    ServerThread,
    StandIn,
    listening_socket,
    stand_in_app,
)


@pytest.fixture(scope="session")
def stand_ins() -> Iterator[dict[str, StandIn]]:
    """One running stand-in per service in the topology, shared by the session."""
    services: dict[str, StandIn] = {}
    threads: list[ServerThread] = []
    try:
        for name in SERVICE_NAMES:
            sock = listening_socket()
            stand_in = StandIn(name=name, url=f"http://127.0.0.1:{sock.getsockname()[1]}")
            thread = ServerThread(stand_in_app(stand_in), sock)
            thread.start()
            threads.append(thread)
            services[name] = stand_in
        yield services
    finally:
        for thread in threads:
            thread.stop()


@pytest.fixture
def all_ready(stand_ins: dict[str, StandIn]) -> Iterator[dict[str, StandIn]]:
    """The stand-ins, every one ready again after the test whatever it switched."""
    yield stand_ins
    for stand_in in stand_ins.values():
        stand_in.ready = True


@pytest.fixture
def gateway_for(stand_ins: dict[str, StandIn], tmp_path: Path) -> GatewayFactory:
    """Build a gateway in front of the stand-ins; keyword arguments override its settings.

    Its data folder is the test's own (so the built-in issuer's key is too), and its client sends a
    registered manager's token unless a test says otherwise.
    """

    @contextlib.asynccontextmanager
    async def running(**overrides: Any) -> AsyncIterator[RunningGateway]:
        urls = {name: stand_in.url for name, stand_in in stand_ins.items()}
        urls.update(overrides.pop("service_urls", {}))
        overrides.setdefault("data_dir", tmp_path / "data")
        # The matrix sends thousands of requests as a few callers; tests of the limits set their own.
        overrides.setdefault("rate_limit_per_minute", 1_000_000)
        overrides.setdefault("rate_limit_burst", 100_000)
        rules = overrides.pop("route_rules", ROUTE_RULES + STAND_IN_RULES)
        clock = overrides.pop("clock", None)
        settings = GatewaySettings(service_urls=urls, **overrides)
        app = create_app(settings, clock, route_rules=rules)
        spans = InMemorySpanExporter()
        provider: TracerProvider = app.state.tracer_provider
        provider.add_span_processor(SimpleSpanProcessor(spans))
        # ASGITransport does not run the lifespan, so run it here as uvicorn would.
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
            key = load_or_create_signing_key(settings.data_dir)
            manager = mint_token(key, subject="rm-1", role="registered_manager", localities=["Harrogate"])
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://gateway.test",
                headers={"Authorization": f"Bearer {manager}"},
            ) as client:
                yield RunningGateway(app=app, client=client, spans=spans, key=key)

    return running


@pytest.fixture
async def gateway(gateway_for: GatewayFactory) -> AsyncIterator[RunningGateway]:
    """A gateway with default settings in front of all the stand-ins."""
    async with gateway_for() as running:
        yield running
