"""The gateway's routes: health, the aggregated API docs, the identity endpoints, and ``/v1`` forwarding.

Handlers only call into the runtime. Public: ``/healthz``, ``/readyz``, ``/openapi.json``, ``/docs``,
the well-known identity documents and ``/oauth/token``. Everything under ``/v1`` needs a bearer token
and passes the access policy (``gateway.policy``) before it is forwarded.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal, cast
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from gateway.access import OAuthError
from gateway.errors import UnknownService
from gateway.health import check_platform
from gateway.runtime import GatewayRuntime
from rounds.auth.claims import PARTNER_SCOPES
from rounds.auth.issuer import BUILTIN_ISSUER, SIGNING_ALGORITHM
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


identity = APIRouter(tags=["gateway"])
TOKEN_FORM_MAX_BYTES = 8192


def _builtin(rt: GatewayRuntime) -> None:
    if rt.signing_key is None:
        raise UnknownService(
            "This gateway accepts tokens from the provider's identity provider "
            f"({rt.settings.oidc_issuer}); ask it for tokens and keys."
        )


@identity.get("/.well-known/openid-configuration", summary="Discovery document of the built-in issuer")
async def openid_configuration(request: Request, rt: Runtime) -> dict[str, Any]:
    """OpenID Provider metadata (OIDC Discovery 1.0, 3), for the embedded default's own issuer."""
    _builtin(rt)
    base = str(request.base_url).rstrip("/")
    return {
        "issuer": BUILTIN_ISSUER,
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "token_endpoint": f"{base}/oauth/token",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
        "scopes_supported": list(PARTNER_SCOPES),
        "claims_supported": [
            "sub", "role", "worker_id", "localities", "individual_ids", "consents", "scope", "provider",
        ],
    }  # fmt: skip


@identity.get("/.well-known/jwks.json", summary="Public keys of the built-in issuer")
async def jwks(rt: Runtime) -> dict[str, Any]:
    """The keys that verify the built-in issuer's tokens (RFC 7517)."""
    _builtin(rt)
    assert rt.signing_key is not None
    return rt.signing_key.jwks()


class TokenResponse(BaseModel):
    """A successful client credentials token response (RFC 6749 5.1)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (RFC 6749 token type)
    expires_in: int
    scope: str


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "invalid_client", "The Basic credentials are not valid base64.") from None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


@identity.post(
    "/oauth/token",
    summary="Get a partner token (OAuth2 client credentials)",
    response_model=TokenResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                            "scope": {"type": "string", "examples": ["schedules:read workers:read"]},
                        },
                    }
                }
            },
        }
    },
)
async def token(request: Request, rt: Runtime) -> JSONResponse:
    """Swap a partner client's id and secret (form or HTTP Basic) for a bearer token of its scopes."""
    _builtin(rt)
    assert rt.partner_tokens is not None
    body = await request.body()
    if len(body) > TOKEN_FORM_MAX_BYTES:
        raise OAuthError(400, "invalid_request", "The token request is too large.")
    form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    issued = rt.partner_tokens.issue(form, _basic_credentials(request.headers.get("authorization")))
    # RFC 6749 5.1: token responses must not be cached.
    return JSONResponse(
        TokenResponse(
            access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope
        ).model_dump(),
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


routed = APIRouter(include_in_schema=False)


@routed.api_route("/v1/{service}/{path:path}", methods=PROXIED_METHODS)
async def forward(service: str, path: str, request: Request, rt: Runtime) -> Response:
    """Everything under ``/v1/<service>/`` goes to that service once the caller may call it.

    Order: who is calling (401), whether the service exists (404), whether the policy allows (403).
    """
    actor = await rt.guard.actor(request)
    rt.proxy.base_url(service)
    admission = rt.guard.authorise(actor, request, service)
    return await rt.proxy.forward(service, path, request, actor=admission.actor_header)
