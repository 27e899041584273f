"""The gateway's routes: health, the aggregated API docs, the identity endpoints, and ``/v1`` forwarding.

Handlers only call into the runtime. Public: ``/healthz``, ``/readyz``, ``/openapi.json``, ``/docs``,
the well-known identity documents and ``/oauth/token``. Everything under ``/v1`` needs a bearer token
and passes the access policy (``gateway.policy``) before it is forwarded.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal, cast
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from gateway.access import Admission, OAuthError, request_query
from gateway.asyncapi_page import render_asyncapi_page
from gateway.audit import PURPOSE_HEADER, AuditFilter, audit_entry
from gateway.errors import UnknownService
from gateway.health import check_platform
from gateway.live import Positions
from gateway.policy import Actor
from gateway.protection import client_address
from gateway.runtime import GatewayRuntime
from rounds.auth.claims import PARTNER_SCOPES
from rounds.auth.issuer import BUILTIN_ISSUER, SIGNING_ALGORITHM
from rounds.contracts.asyncapi import asyncapi_document
from rounds.infra.problems import PROBLEM_JSON, Problem, problem_response

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
    """Readiness: 200 when every service's /readyz says 200 and the audit trail can be written, else 503.

    Without its audit database the gateway refuses every ``/v1`` request, so it is not ready either.
    """
    report, audit_ok = await asyncio.gather(check_platform(rt.client, rt.settings), rt.audit.is_reachable())
    if report.ready and audit_ok:
        return JSONResponse({"status": "ready", "services": report.services_json()})
    summary = report.summary() if not report.ready else ""
    if not audit_ok:
        summary = (
            "The gateway's audit database cannot be reached, so every /v1 request is refused until it is "
            "back (check ROUNDS_GATEWAY_DATABASE_URL). " + summary
        ).strip()
    return problem_response(
        503,
        "not-ready",
        "Not ready",
        summary,
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


@docs.get("/asyncapi.json")
async def asyncapi_json(request: Request) -> JSONResponse:
    """Every event on the platform's topics as AsyncAPI 3.0, generated from the contracts."""
    return JSONResponse(_asyncapi(request))


@docs.get("/asyncapi")
async def asyncapi_page(request: Request) -> HTMLResponse:
    """The events as a page to read: channels, fields and an example of each."""
    return HTMLResponse(render_asyncapi_page(_asyncapi(request)))


def _asyncapi(request: Request) -> dict[str, Any]:
    # Built once per process: the contracts and topology do not change while it runs. The brokers'
    # addresses are left out: they are internal, and partners receive events through webhooks.
    cached: dict[str, Any] | None = getattr(request.app.state, "asyncapi", None)
    if cached is None:
        cached = asyncapi_document(version=request.app.version)
        request.app.state.asyncapi = cached
    return cached


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


def _client_address(request: Request, rt: GatewayRuntime) -> str | None:
    return client_address(request.scope, rt.settings.trusted_proxy_hops)


async def _audited_admission(
    rt: GatewayRuntime, request: Request, actor: Actor, area: str
) -> tuple[Admission, int]:
    """The policy's decision on ``request``, recorded in the audit trail before anything is read or changed.

    A refusal is recorded too (with its 403), then raised; an audit trail that cannot be written
    refuses the request (:class:`gateway.audit.AuditUnavailable`).
    """
    decision = rt.guard.decide(actor, request, area)
    entry = audit_entry(
        actor=actor,
        decision=decision,
        method=request.method,
        service=area,
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        localities=request_query(request).get("locality", []),
        at=rt.audit.clock.now(),
        request_id=request.state.request_id,
        client_address=_client_address(request, rt),
        purpose=request.headers.get(PURPOSE_HEADER),
    )
    seq = await rt.audit.record(entry)
    try:
        return rt.guard.admit(actor, decision, request.method), seq
    except Problem as refused:
        await rt.audit.record_outcome(seq, refused.status)
        raise


@routed.api_route("/v1/{service}/{path:path}", methods=PROXIED_METHODS)
async def forward(service: str, path: str, request: Request, rt: Runtime) -> Response:
    """Everything under ``/v1/<service>/`` goes to that service once the caller may call it.

    Order: who is calling (401), whether the service exists (404), whether the policy allows (403,
    audited), then the audited request goes on and its status is added to the audit record.
    """
    actor = await rt.guard.actor(request)
    rt.proxy.base_url(service)
    admission, seq = await _audited_admission(rt, request, actor, service)
    try:
        response = await rt.proxy.forward(service, path, request, actor=admission.actor_header)
    except Problem as failed:
        await rt.audit.record_outcome(seq, failed.status)
        raise
    await rt.audit.record_outcome(seq, response.status_code)
    return response


audit = APIRouter(tags=["audit"])
AUDIT_AREA = "audit"


class AuditRecordOut(BaseModel):
    """One read or change of personal data: who, what, whose, when and why."""

    seq: int = Field(
        description="Position in the trail; pass the last one seen as ``cursor`` for older records."
    )
    recorded_at: datetime = Field(description="When the gateway received the request (UTC).")
    request_id: str
    actor_subject: str = Field(description="Who: the token's subject.")
    actor_role: str
    actor_client_id: str | None = Field(description="The partner system's client id, for partner tokens.")
    client_address: str | None
    action: Literal["read", "change"]
    method: str
    service: str
    path: str = Field(description="What: the path and query the caller asked for.")
    route: str | None = Field(description="The access policy's rule that matched, if any.")
    worker_id: str | None = Field(description="Whose: the worker the path names.")
    individual_id: str | None = Field(description="Whose: the individual the path names.")
    locality: str | None = Field(description="Whose: the localities the path or query names.")
    purpose: str | None = Field(description="Why, in the caller's words (the X-Rounds-Purpose header).")
    basis: str = Field(description="Why the policy allowed or refused it.")
    allowed: bool
    status: int | None = Field(description="The status the caller got; null while or if unknown.")


class AuditPage(BaseModel):
    """Audit records, newest first, and the cursor for the next (older) page."""

    items: list[AuditRecordOut]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null on the last one.")


class InvalidQuery(Problem):
    """A query parameter the audit API cannot use."""

    status, slug, title = 422, "validation-error", "Request is not valid"


def _cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    # A keyset position, not an offset: bounded to what a BIGINT holds.
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidQuery(
            "Fix these fields and send the request again: query.cursor.",
            errors=[{"field": "query.cursor", "reason": "use the next_cursor of the previous page"}],
        )
    return int(cursor)


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidQuery(
            f"Fix these fields and send the request again: query.{name}.",
            errors=[{"field": f"query.{name}", "reason": "give a time zone, e.g. 2026-11-23T09:00:00Z"}],
        )
    return value


@audit.get(
    "/v1/audit/records",
    summary="The audit trail of personal data (registered managers)",
    response_model=AuditPage,
    responses={403: {"description": "Only a registered manager may read the audit trail."}},
)
async def audit_records(
    request: Request,
    rt: Runtime,
    worker_id: Annotated[str | None, Query(max_length=200, description="Records naming this worker.")] = None,
    individual_id: Annotated[
        str | None, Query(max_length=200, description="Records naming this individual.")
    ] = None,
    actor: Annotated[
        str | None, Query(max_length=200, description="Records of this caller (subject).")
    ] = None,
    service: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[datetime | None, Query(description="From this instant (inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Before this instant.")] = None,
    cursor: Annotated[
        str | None, Query(max_length=40, description="``next_cursor`` of the page before.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Who read or changed whose personal data, when and why, newest first.

    Reading the trail is itself recorded in it. Records cannot be changed or deleted, by anyone.
    """
    caller = await rt.guard.actor(request)
    _, seq = await _audited_admission(rt, request, caller, AUDIT_AREA)
    wanted = AuditFilter(
        worker_id=worker_id,
        individual_id=individual_id,
        actor_subject=actor,
        service=service,
        since=_aware("since", since),
        until=_aware("until", until),
        before_seq=_cursor(cursor),
        limit=limit,
    )
    records = await rt.audit.query(wanted)
    await rt.audit.record_outcome(seq, 200)
    items = [AuditRecordOut(seq=r.seq, status=r.status, **vars(r.entry)) for r in records]
    more = len(records) == limit
    return AuditPage(items=items, next_cursor=str(records[-1].seq) if more and records else None)


class TooManyStreams(Problem):
    """The caller has as many live streams open as it may."""

    status, slug, title = 429, "too-many-streams", "Too many live streams"


live = APIRouter(tags=["live"])
# One server-sent event as it arrives (the fields of the text/event-stream format).
LIVE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "id": {"type": "string", "description": "Send back as Last-Event-ID to resume, e.g. v12.a7."},
        "event": {"type": "string", "description": "rounds.visit.<what>.v1, alert.<action> or unavailable."},
        "data": {"type": "string", "description": "The change as JSON."},
        "retry": {"type": "integer"},
    },
}
LIVE_AREA = "live"


@live.get(
    "/v1/live/events",
    summary="Visit and alert changes as they happen (server-sent events)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "A text/event-stream: `id` resumes the stream, `event` is the visit event type "
            "(`rounds.visit.checked_in.v1`...) or `alert.<action>`, `data` is its JSON.",
            "content": {"text/event-stream": {"schema": LIVE_EVENT_SCHEMA}},
        }
    },
)
async def live_events(
    request: Request,
    rt: Runtime,
    locality: Annotated[
        str | None, Query(min_length=1, max_length=200, description="One of your localities (coordinators).")
    ] = None,
    seconds: Annotated[float, Query(gt=0, le=3600, description="How long to stream before closing.")] = 300,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=40)] = None,
) -> StreamingResponse:
    """The operations dashboard's live feed: what the visits and alerts services let the caller see.

    The stream closes after ``seconds``; ``EventSource`` reconnects by itself with ``Last-Event-ID``
    and misses nothing. Opening the stream is recorded in the audit trail.
    """
    caller = await rt.guard.actor(request)
    admission, seq = await _audited_admission(rt, request, caller, LIVE_AREA)
    allowed = rt.settings.live_streams_per_client
    if rt.live.open_for(caller.subject) >= allowed:
        await rt.audit.record_outcome(seq, 429)
        raise TooManyStreams(
            f"This caller already has {allowed} live streams open here; close one (or reuse it) first.",
            headers={"Retry-After": "5"},
        )
    await rt.audit.record_outcome(seq, 200)
    stream = rt.live.stream(
        subject=caller.subject,
        actor_header=admission.actor_header,
        request_id=request.state.request_id,
        locality=locality,
        positions=Positions.parse(last_event_id),
        seconds=seconds,
    )
    # no-cache and no proxy buffering, or events would arrive in lumps.
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
