"""The FastAPI app every Rounds process starts from: errors, request ids and tracing set up alike."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from rounds.infra.openapi_problems import document_problems
from rounds.infra.problems import install_problem_handlers
from rounds.infra.request_log import PROBE_PATHS, RequestIdMiddleware


def _is_probe(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in PROBE_PATHS


def create_web_app(*, tracer_provider: TracerProvider, **fastapi_options: Any) -> FastAPI:
    """A FastAPI app with problem+json errors, ``X-Request-Id``, one log line and one trace per request.

    Probes (``/healthz``, ``/readyz``) are neither traced nor logged above DEBUG: Kubernetes and
    ``rounds up`` ask every few seconds, and their spans would bury the real ones.
    """
    app = FastAPI(telemetry={"tracer_provider": tracer_provider, "exclude": _is_probe}, **fastapi_options)
    install_problem_handlers(app)
    document_problems(app)
    app.add_middleware(RequestIdMiddleware)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls=",".join(PROBE_PATHS),
        # One span per ASGI message would bury the request's own span under streaming chunks.
        exclude_spans=["receive", "send"],
    )
    return app
