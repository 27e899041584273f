"""Builds the gateway app: settings, the shared HTTP client, telemetry, routes and error handling.

Run it with ``uvicorn gateway.main:create_app --factory``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from swagger_ui_bundle import swagger_ui_path

from gateway.access import AccessGuard, PartnerTokens
from gateway.api import SWAGGER_ASSETS, docs, health, identity, routed
from gateway.auth import RemoteJwks, StaticKeys, TokenVerifier
from gateway.openapi import OpenApiCatalog
from gateway.proxy import ServiceProxy
from gateway.runtime import GatewayRuntime
from gateway.settings import GatewaySettings
from rounds.auth.issuer import BUILTIN_ISSUER, SigningKey, load_or_create_signing_key
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
    """The gateway's own paths (its health endpoints) as OpenAPI, for merging with the services'."""
    return get_openapi(title=app.title, version=app_version, routes=app.routes)


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


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The gateway as an ASGI app; ``settings`` default to the environment's."""
    settings = settings or GatewaySettings()
    tracer_provider = setup_telemetry("gateway", settings)
    app_version = _version()

    summaries = {spec.name: spec.summary for spec in load_topology().services}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = httpx.AsyncClient(
            # Service URLs are internal: an HTTP(S)_PROXY meant for the outside world must not apply.
            trust_env=False,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=4.0),
        )
        # Per client rather than process-wide, so the traceparent goes on exactly these calls.
        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=tracer_provider)
        # The embedded default's issuer key is made on first start, in the data folder (mode 0600).
        key = load_or_create_signing_key(settings.data_dir) if settings.builtin_issuer else None
        app.state.runtime = GatewayRuntime(
            settings=settings,
            client=client,
            proxy=ServiceProxy(client, settings),
            catalog=OpenApiCatalog(
                client,
                settings,
                gateway_document=lambda: _own_document(app, app_version),
                summaries=summaries,
                version=app_version,
            ),
            guard=AccessGuard(_verifier(settings, client, key), settings),
            signing_key=key,
            partner_tokens=PartnerTokens(key, settings) if key is not None else None,
        )
        try:
            yield
        finally:
            await client.aclose()

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
    # Kept for shutdown hooks and for tests that collect the gateway's spans.
    app.state.tracer_provider = tracer_provider
    app.include_router(health)
    app.include_router(docs)
    app.include_router(identity)
    app.mount(SWAGGER_ASSETS, StaticFiles(directory=swagger_ui_path), name="swagger-assets")
    app.include_router(routed)
    return app
