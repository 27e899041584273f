"""The gateway's routes: its health, the aggregated API docs, and ``/v1/<service>/...`` forwarding.

Handlers only call into the runtime. Authentication, rate limits and audit are meant to join as
dependencies on :data:`routed` (per request, with the service name at hand) or as middleware.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from gateway.health import check_platform
from gateway.runtime import GatewayRuntime
from rounds.infra.problems import PROBLEM_JSON, problem_response

PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def runtime(request: Request) -> GatewayRuntime:
    """FastAPI dependency: the runtime the lifespan built."""
    return cast(GatewayRuntime, request.app.state.runtime)


Runtime = Annotated[GatewayRuntime, Depends(runtime)]


class Liveness(BaseModel):
    """The gateway process answers."""

    status: Literal["ok"] = "ok"


class ServiceReadinessEntry(BaseModel):
    """One service as ``/readyz`` reports it."""

    state: Literal["ready", "not ready", "unreachable"]
    url: str
    reason: str | None = Field(default=None, description="Why it is not ready, when it is not.")
    checks: dict[str, Any] | None = Field(default=None, description="The service's own checks.")
    advice: str | None = Field(default=None, description="What to do when the service is unreachable.")


class Readiness(BaseModel):
    """Every service behind the gateway is ready."""

    status: Literal["ready"] = "ready"
    services: dict[str, ServiceReadinessEntry]


class NotReadyProblem(BaseModel):
    """problem+json for a platform that is not ready, with every service's state."""

    type: str
    title: str
    status: int
    detail: str
    services: dict[str, ServiceReadinessEntry]


def _not_ready_schema() -> dict[str, Any]:
    # Declared by hand because FastAPI would file a response model under application/json.
    schema = NotReadyProblem.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)  # ServiceReadinessEntry is in the components through Readiness
    return schema


health = APIRouter(tags=["gateway"])


@health.get("/healthz", summary="The gateway process is alive")
async def healthz() -> Liveness:
    """Liveness: answers as long as the process serves HTTP, whatever the services are doing."""
    return Liveness()


@health.get(
    "/readyz",
    summary="Every service behind the gateway is ready",
    response_model=Readiness,
    responses={
        503: {
            "description": "Some service is not ready; each one's state is listed.",
            "content": {PROBLEM_JSON: {"schema": _not_ready_schema()}},
        }
    },
)
async def readyz(rt: Runtime) -> JSONResponse:
    """Readiness: 200 when every service's /readyz says 200, else 503 naming each one that did not."""
    report = await check_platform(rt.client, rt.settings)
    if report.ready:
        return JSONResponse({"status": "ready", "services": report.services_json()})
    return problem_response(
        503,
        "not-ready",
        "Not ready",
        report.summary(),
        instance="/readyz",
        headers={"Retry-After": "5"},
        services=report.services_json(),
    )


docs = APIRouter(include_in_schema=False)
# Swagger UI's scripts ship in the swagger-ui-bundle wheel, so /docs needs no CDN (laptops offline,
# clusters without egress).
SWAGGER_ASSETS = "/docs/assets"


@docs.get("/openapi.json")
async def openapi_document(rt: Runtime) -> JSONResponse:
    """The public API of every service, merged (see ``gateway.openapi``)."""
    return JSONResponse(await rt.catalog.document())


@docs.get("/docs")
async def swagger_ui() -> HTMLResponse:
    """Swagger UI over the merged document, its assets served from here (works offline)."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Rounds API",
        swagger_js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_ASSETS}/favicon-32x32.png",
    )


routed = APIRouter(include_in_schema=False)


@routed.api_route("/v1/{service}/{path:path}", methods=PROXIED_METHODS)
async def forward(service: str, path: str, request: Request, rt: Runtime) -> Response:
    """Everything under ``/v1/<service>/`` goes to that service, which documents it itself."""
    return await rt.proxy.forward(service, path, request)
