"""Builds the gateway app: settings, the shared HTTP client, telemetry, routes and error handling.

Run it with ``uvicorn gateway.main:create_app --factory``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from redis.asyncio import Redis
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from swagger_ui_bundle import swagger_ui_path

from gateway.access import AccessGuard, PartnerTokens
from gateway.api import PROXIED_METHODS, SWAGGER_ASSETS, audit, docs, health, identity, live, routed
from gateway.audit import open_audit_log
from gateway.auth import RemoteJwks, StaticKeys, TokenVerifier
from gateway.limits import InProcessLimiter, Limiter, RedisLimiter
from gateway.live import LiveRelay
from gateway.openapi import OpenApiCatalog
from gateway.policy import ROUTE_RULES, RouteRule
from gateway.protection import ProtectionMiddleware, SecurityHeadersMiddleware
from gateway.proxy import ServiceProxy
from gateway.runtime import GatewayRuntime
from gateway.settings import GatewaySettings
from gateway.webhooks import Dispatcher, WebhookConsumer, WebhookStore
from gateway.webhooks_api import webhooks
from rounds.auth.issuer import BUILTIN_ISSUER, SigningKey, load_or_create_signing_key
from rounds.dashboard import dashboard_router
from rounds.infra.clock import Clock, SystemClock
from rounds.infra.db import create_engine
from rounds.infra.openapi_problems import with_problem_responses
from rounds.infra.telemetry import setup_telemetry
from rounds.infra.topology import load_topology
from rounds.infra.web import create_web_app


# Kubernetes and `rounds up` poll these every few seconds; tracing them would drown the real traffic.
def _version() -> str:
    try:
        return version("rounds")
    except PackageNotFoundError:
        return "0.0.0"


def _own_document(app: FastAPI, app_version: str) -> dict[str, Any]:
    """The gateway's own paths as OpenAPI, its errors as problem+json like the services', for merging."""
    return with_problem_responses(get_openapi(title=app.title, version=app_version, routes=app.routes))


# Proxied requests share PROXY_POOLS pools of PROXY_CONNECTIONS_PER_POOL connections (200 in all).
PROXY_POOLS = 8
PROXY_CONNECTIONS_PER_POOL = 25


def _internal_client(tracer_provider: TracerProvider, *, max_connections: int) -> httpx.AsyncClient:
    """A client for calls to the services, traced, keeping at most a third of its connections idle."""
    client = httpx.AsyncClient(
        # Service URLs are internal: an HTTP(S)_PROXY meant for the outside world must not apply.
        trust_env=False,
        follow_redirects=False,
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max(1, max_connections // 3),
            keepalive_expiry=4.0,
        ),
    )
    # Per client rather than process-wide, so the traceparent goes on exactly these calls.
    HTTPXClientInstrumentor.instrument_client(client, tracer_provider=tracer_provider)
    return client


def _verifier(settings: GatewaySettings, client: httpx.AsyncClient, key: SigningKey | None) -> TokenVerifier:
    """Tokens of the built-in issuer (its own key) or of the configured identity provider (its JWKS)."""
    if key is not None:
        return TokenVerifier(
            StaticKeys(key.jwks()),
            issuer=BUILTIN_ISSUER,
            audience=settings.oidc_audience,
            leeway_seconds=settings.token_leeway_seconds,
        )
    assert settings.oidc_issuer, "checked by GatewaySettings"
    assert settings.oidc_jwks_url, "checked by GatewaySettings"
    return TokenVerifier(
        RemoteJwks(
            client,
            settings.oidc_jwks_url,
            cache_seconds=settings.jwks_cache_seconds,
            min_refresh_seconds=settings.jwks_min_refresh_seconds,
        ),
        issuer=settings.oidc_issuer,
        audience=settings.oidc_audience,
        leeway_seconds=settings.token_leeway_seconds,
    )


CORS_REQUEST_HEADERS = [
    "Authorization", "Content-Type", "If-Match", "If-None-Match", "Last-Event-ID", "X-Request-Id",
    "X-Rounds-Purpose",
]  # fmt: skip
CORS_EXPOSED_HEADERS = [
    "ETag", "Location", "Retry-After", "X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining",
    "RateLimit-Reset",
]  # fmt: skip


def _limiter(settings: GatewaySettings) -> Limiter:
    """Rate limits in Redis when one is configured (shared by replicas), else in this process."""
    if not settings.redis_url:
        return InProcessLimiter()
    # Short timeouts: a slow Redis must not slow every request; the fallback counts meanwhile.
    redis = Redis.from_url(settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
    return RedisLimiter(redis, InProcessLimiter())


def create_app(
    settings: GatewaySettings | None = None,
    clock: Clock | None = None,
    *,
    route_rules: Sequence[RouteRule] = ROUTE_RULES,
) -> FastAPI:
    """The gateway as an ASGI app; ``settings`` default to the environment's, ``clock`` to the system's.

    ``route_rules`` are the access policy's (tests of the proxy's plumbing add rules for their
    stand-in routes).
    """
    settings = settings or GatewaySettings()
    clock = clock or SystemClock()
    tracer_provider = setup_telemetry("gateway", settings)
    app_version = _version()

    summaries = {spec.name: spec.summary for spec in load_topology().services}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = _internal_client(tracer_provider, max_connections=50)
        # httpcore looks at every pooled connection for every request it sends: under load one pool of
        # 200 costs the gateway half its CPU, so proxied requests go through several small pools in turn.
        proxy_clients = [
            _internal_client(tracer_provider, max_connections=PROXY_CONNECTIONS_PER_POOL)
            for _ in range(PROXY_POOLS)
        ]
        # The embedded default's issuer key is made on first start, in the data folder (mode 0600).
        key = load_or_create_signing_key(settings.data_dir) if settings.builtin_issuer else None
        # The audit trail's schema is the gateway's own; it migrates it before taking any request.
        audit = await open_audit_log(settings.database_url, clock)
        limiter = _limiter(settings)
        # Partner webhooks share the audit trail's database (migrated above); sending always runs,
        # consuming the event topics only when configured (it needs the broker).
        webhook_engine = create_engine(settings.database_url)
        store = WebhookStore(webhook_engine, clock, max_attempts=settings.webhook_max_attempts)
        tasks = [
            asyncio.create_task(
                Dispatcher(store, client, timeout=settings.webhook_timeout_seconds).run(
                    settings.webhook_poll_seconds
                )
            )
        ]
        if settings.webhooks_consume:
            consumer = WebhookConsumer(
                store,
                settings.kafka_bootstrap_servers,
                provider=settings.provider_id,
                session_timeout_ms=settings.kafka_session_timeout_ms,
            )
            tasks.append(asyncio.create_task(consumer.run()))
        app.state.runtime = GatewayRuntime(
            settings=settings,
            client=client,
            proxy=ServiceProxy(proxy_clients, settings),
            catalog=OpenApiCatalog(
                client,
                settings,
                gateway_document=lambda: _own_document(app, app_version),
                summaries=summaries,
                version=app_version,
            ),
            guard=AccessGuard(_verifier(settings, client, key), settings, route_rules),
            audit=audit,
            limiter=limiter,
            live=LiveRelay(client, settings.service_urls, settings.connect_timeout_seconds),
            signing_key=key,
            partner_tokens=PartnerTokens(key, settings) if key is not None else None,
            webhooks=store,
        )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await webhook_engine.dispose()
            if isinstance(limiter, RedisLimiter):
                await limiter.close()
            await audit.close()
            for each in (client, *proxy_clients):
                await each.aclose()

    app = create_web_app(
        tracer_provider=tracer_provider,
        title="Rounds gateway",
        version=app_version,
        lifespan=lifespan,
        # /openapi.json and /docs are the merged public API (gateway.api), not this app's own schema.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    # Outermost first: CORS answers preflights and adds its headers even to refusals; then the
    # security headers; the limits run inside the request-id middleware so 413/429 get an id too.
    app.user_middleware.append(Middleware(ProtectionMiddleware))
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=PROXIED_METHODS,
        allow_headers=CORS_REQUEST_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
        max_age=600,
    )
    # Kept for shutdown hooks and for tests that collect the gateway's spans.
    app.state.tracer_provider = tracer_provider
    app.include_router(health)
    app.include_router(docs)
    app.include_router(identity)
    app.mount(SWAGGER_ASSETS, StaticFiles(directory=swagger_ui_path), name="swagger-assets")
    # Before the catch-all /v1/{service}/... so that /v1/audit and /v1/live are the gateway's own.
    app.include_router(audit)
    app.include_router(live)
    app.include_router(webhooks)
    app.include_router(dashboard_router())
    app.include_router(routed)
    return app
