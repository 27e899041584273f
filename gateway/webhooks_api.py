"""The partner webhooks API: subscriptions (create, list, delete), deliveries (list, redeliver).

A partner system (client-credentials token) manages its own; the registered manager sees and
manages every partner's. Every call is admitted by the access policy and recorded in the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from gateway.api import Runtime, _audited_admission
from gateway.partners import load_clients
from gateway.policy import Actor
from gateway.runtime import GatewayRuntime
from gateway.webhooks import EVENT_SCOPES, Delivery, Subscription, WebhookStore, event_types_for
from rounds.auth.claims import Role
from rounds.infra.problems import NotFound, Problem

webhooks = APIRouter(tags=["webhooks"])
AREA = "webhooks"


class InvalidSubscription(Problem):
    """A subscription the gateway cannot accept."""

    status, slug, title = 422, "validation-error", "Request is not valid"


class WebhooksUnavailable(Problem):
    """The gateway runs without webhooks."""

    status, slug, title = 503, "webhooks-unavailable", "Webhooks unavailable"


class SubscriptionIn(BaseModel):
    """What to send where."""

    url: str = Field(max_length=2000, description="https URL (http only to 127.0.0.1 / localhost).")
    event_types: list[str] = Field(
        min_length=1, max_length=100, description="Event types, e.g. rounds.visit.late.v1"
    )
    client_id: str | None = Field(
        default=None, max_length=200, description="Registered managers only: the partner to subscribe."
    )


class SubscriptionOut(BaseModel):
    """A subscription (its secret is shown once, when it is created)."""

    id: str
    client_id: str
    url: str
    event_types: list[str]
    created_at: datetime


class CreatedSubscription(SubscriptionOut):
    """A new subscription with the secret that signs its deliveries: store it, it is not shown again."""

    secret: str


class SubscriptionList(BaseModel):
    """The caller's subscriptions and the event types it may subscribe to."""

    items: list[SubscriptionOut]
    available_event_types: list[str]


class DeliveryOut(BaseModel):
    """One event's delivery to one subscription."""

    id: str
    subscription_id: str
    event_id: str
    event_type: str
    status: Literal["queued", "sent", "failed"]
    attempts: int
    last_error: str | None
    last_status: int | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    """Deliveries, newest first, and the cursor of the next (older) page."""

    items: list[DeliveryOut]
    next_cursor: str | None


def _store(rt: GatewayRuntime) -> WebhookStore:
    if rt.webhooks is None:
        raise WebhooksUnavailable("This gateway runs without partner webhooks.")
    return rt.webhooks


def _owner(actor: Actor) -> str | None:
    """Whose subscriptions the caller sees: a partner its own, the registered manager everyone's."""
    if actor.role is Role.PARTNER_SYSTEM:
        return actor.client_id or actor.subject
    return None


def _invalid(field: str, reason: str) -> InvalidSubscription:
    return InvalidSubscription(
        f"Fix these fields and send the request again: {field}.", errors=[{"field": field, "reason": reason}]
    )


def check_url(url: str) -> None:
    """https only; plain http only to this machine (the embedded default's receivers)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return
    raise _invalid("body.url", "use an https URL (http only for 127.0.0.1)")


async def _subscription_in(request: Request) -> SubscriptionIn:
    try:
        return SubscriptionIn.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = [
            {"field": ".".join(["body", *(str(p) for p in e["loc"])]), "reason": e["msg"]}
            for e in exc.errors()
        ]
        fields = ", ".join(e["field"] for e in errors)
        raise InvalidSubscription(
            f"Fix these fields and send the request again: {fields}.", errors=errors
        ) from exc


def _subscription_out(s: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=s.id, client_id=s.client_id, url=s.url, event_types=s.event_types, created_at=s.created_at
    )


@webhooks.post(
    "/v1/webhooks/subscriptions",
    status_code=201,
    response_model=CreatedSubscription,
    summary="Subscribe to event types (partner systems)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SubscriptionIn.model_json_schema()}},
        }
    },
)
async def create_subscription(request: Request, rt: Runtime) -> CreatedSubscription:
    """Deliver these event types to this URL, signed with the returned secret (shown once).

    Only event types the partner's scopes open are accepted (see ``available_event_types``).
    """
    caller = await rt.guard.actor(request)
    _, seq = await _audited_admission(rt, request, caller, AREA)
    # The body is read after the policy's decision, so a caller who may not subscribe learns nothing
    # from validation errors (and the matrix sees their 403, not a 422).
    body = await _subscription_in(request)
    store = _store(rt)
    check_url(body.url)
    if caller.role is Role.PARTNER_SYSTEM:
        client_id, scopes, provider = _owner(caller) or "", caller.scopes, caller.provider or ""
    else:
        clients = load_clients(rt.settings.partner_clients_path)
        partner = clients.get(body.client_id or "")
        if partner is None:
            raise _invalid("body.client_id", "name a registered partner client")
        client_id, scopes, provider = partner.client_id, partner.scopes, partner.provider
    allowed = set(event_types_for(frozenset(scopes)))
    refused = sorted(set(body.event_types) - allowed)
    if refused:
        unknown = [t for t in refused if t not in EVENT_SCOPES]
        reason = (
            f"unknown or not offered to partners: {unknown}"
            if unknown
            else f"outside the partner's scopes: {refused}"
        )
        raise _invalid("body.event_types", reason)
    subscription, secret = await store.subscribe(
        client_id=client_id,
        provider=provider,
        scopes=frozenset(scopes),
        url=body.url,
        event_types=body.event_types,
    )
    await rt.audit.record_outcome(seq, 201)
    return CreatedSubscription(**_subscription_out(subscription).model_dump(), secret=secret)


@webhooks.get(
    "/v1/webhooks/subscriptions",
    response_model=SubscriptionList,
    summary="The caller's webhook subscriptions",
)
async def list_subscriptions(request: Request, rt: Runtime) -> SubscriptionList:
    """Active subscriptions (a partner's own; every partner's for the registered manager)."""
    caller = await rt.guard.actor(request)
    _, seq = await _audited_admission(rt, request, caller, AREA)
    items = await _store(rt).subscriptions(_owner(caller))
    await rt.audit.record_outcome(seq, 200)
    available = event_types_for(caller.scopes) if caller.role is Role.PARTNER_SYSTEM else sorted(EVENT_SCOPES)
    return SubscriptionList(items=[_subscription_out(s) for s in items], available_event_types=available)


@webhooks.delete(
    "/v1/webhooks/subscriptions/{subscription_id}",
    status_code=204,
    summary="Stop a webhook subscription",
    responses={404: {"description": "No such subscription of the caller's."}},
)
async def delete_subscription(
    subscription_id: Annotated[str, Path(max_length=40)], request: Request, rt: Runtime
) -> Response:
    """Stop sending; deliveries already made stay visible, queued ones are not sent."""
    caller = await rt.guard.actor(request)
    _, seq = await _audited_admission(rt, request, caller, AREA)
    if not await _store(rt).unsubscribe(subscription_id[:40], _owner(caller)):
        await rt.audit.record_outcome(seq, 404)
        raise NotFound("No such subscription of yours.")
    await rt.audit.record_outcome(seq, 204)
    return Response(status_code=204)


def _delivery_out(d: Delivery) -> DeliveryOut:
    return DeliveryOut(**vars(d))


@webhooks.get(
    "/v1/webhooks/deliveries", response_model=DeliveryPage, summary="Webhook deliveries and their status"
)
async def list_deliveries(
    request: Request,
    rt: Runtime,
    status: Annotated[Literal["queued", "sent", "failed"] | None, Query()] = None,
    cursor: Annotated[
        str | None, Query(max_length=40, description="``next_cursor`` of the page before.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeliveryPage:
    """Deliveries newest first: status, attempts, last error, next attempt."""
    caller = await rt.guard.actor(request)
    _, seq = await _audited_admission(rt, request, caller, AREA)
    items = await _store(rt).deliveries(_owner(caller), status=status, before=cursor, limit=limit)
    await rt.audit.record_outcome(seq, 200)
    more = len(items) == limit
    return DeliveryPage(items=[_delivery_out(d) for d in items], next_cursor=items[-1].id if more else None)


@webhooks.post(
    "/v1/webhooks/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=202,
    summary="Send a delivery again",
    responses={404: {"description": "No such delivery of the caller's."}},
)
async def redeliver(
    delivery_id: Annotated[str, Path(max_length=40)], request: Request, rt: Runtime
) -> DeliveryOut:
    """Queue the delivery again now, with a fresh round of attempts."""
    caller = await rt.guard.actor(request)
    _, seq = await _audited_admission(rt, request, caller, AREA)
    delivery = await _store(rt).redeliver(delivery_id[:40], _owner(caller))
    if delivery is None:
        await rt.audit.record_outcome(seq, 404)
        raise NotFound("No such delivery of yours.")
    await rt.audit.record_outcome(seq, 202)
    return _delivery_out(delivery)
