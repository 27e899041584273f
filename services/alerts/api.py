"""The alerts service's HTTP routes: the on-call team's alerts, notifications and the live feed.

Who is asking is the ``X-Rounds-Actor`` header the gateway sends (JSON with ``sub``, ``role``,
``worker_id`` and ``localities``). A coordinator sees and acts on alerts of their own localities only
(the gateway cannot know an alert's locality, so the rule is applied here); a registered manager on
all. Acknowledging, assigning, noting and resolving are recorded with the actor.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rounds.infra.problems import Conflict, NotFound, Problem
from rounds.infra.service import unit_of_work_from
from services.alerts import handlers
from services.alerts.adapters.repository import AlertRecord, NotificationRecord, TimelineEntry
from services.alerts.domain.delivery import DeliveryStatus, receipt
from services.alerts.unit_of_work import AlertsUnitOfWork

# The live feed's position is the timeline's id, a 32-bit integer on Postgres: larger is a 422, not a 500.
MAX_POSITION = 2**31 - 1

router = APIRouter()
UoW = Annotated[AlertsUnitOfWork, Depends(unit_of_work_from)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
PersonId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (at most 200).")]

# Staff who work alerts; everyone else reaches only their own notifications.
_ALL_LOCALITIES = {"registered_manager", "platform_admin", "partner_system"}
_STAFF = {"coordinator", "registered_manager", "supervisor", "platform_admin", "partner_system"}


class Unauthenticated(Problem):
    """The route needs to know who is calling (the gateway sends ``X-Rounds-Actor``)."""

    status, slug, title = 401, "unauthenticated", "Unauthenticated"


class Forbidden(Problem):
    """The caller may not see or act on this."""

    status, slug, title = 403, "forbidden", "Forbidden"


class Invalid(Problem):
    """A query or body value breaks a rule; ``errors`` name the field."""

    status, slug, title = 422, "validation-error", "Request is not valid"


@dataclass(frozen=True)
class Caller:
    """The verified caller as the gateway forwarded them."""

    id: str
    role: str
    localities: frozenset[str]
    worker_id: str | None

    def localities_filter(self) -> frozenset[str] | None:
        """None when the caller sees every locality."""
        return None if self.role in _ALL_LOCALITIES else self.localities

    def may_see(self, locality: str) -> bool:
        """Whether an alert of ``locality`` is the caller's business."""
        allowed = self.localities_filter()
        return allowed is None or locality in allowed


def caller(
    header: Annotated[
        str | None,
        Header(
            alias="X-Rounds-Actor",
            description="Who is calling, as the gateway vouches for them: JSON such as "
            '{"sub": "...", "role": '
            '"coordinator", "localities": ["Harrogate"]}.',
        ),
    ] = None,
) -> Caller:
    """The caller named by ``X-Rounds-Actor`` (401 when it is missing or not a Rounds actor)."""
    if not header:
        raise Unauthenticated("This route needs to know who is calling: send X-Rounds-Actor.")
    try:
        claims = json.loads(header)
    except ValueError:
        claims = None
    if not isinstance(claims, dict) or not isinstance(claims.get("role"), str):
        raise Unauthenticated('X-Rounds-Actor must be JSON with a "role" and a "sub" or "worker_id".')
    who = claims.get("worker_id") or claims.get("sub")
    if not isinstance(who, str) or not who:
        raise Unauthenticated('X-Rounds-Actor must be JSON with a "role" and a "sub" or "worker_id".')
    localities = claims.get("localities") or []
    if not isinstance(localities, list):
        localities = []
    worker = claims.get("worker_id")
    return Caller(
        who[:100],
        claims["role"][:50],
        frozenset(str(x) for x in localities),
        worker if isinstance(worker, str) else None,
    )


Actor = Annotated[Caller, Depends(caller)]


def staff(actor: Actor) -> Caller:
    """Only the people who work alerts."""
    if actor.role not in _STAFF:
        raise Forbidden("Alerts are for the operations team; see your own notifications instead.")
    return actor


Staff = Annotated[Caller, Depends(staff)]


# --- shapes -----------------------------------------------------------------------------------------


class AlertOut(BaseModel):
    """An alert as the dashboard shows it."""

    id: UUID
    category: str
    severity: str
    status: str
    locality: str
    title: str
    owner_id: str | None
    assignee_id: str | None
    level: int
    ack_deadline: datetime | None
    occurrences: int
    revision: int
    worker_id: UUID | None
    individual_id: UUID | None
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    outcome: str | None

    @classmethod
    def of(cls, record: AlertRecord) -> AlertOut:
        """From the stored record."""
        return cls.model_validate(record, from_attributes=True)


class StepOut(BaseModel):
    """One recorded step of an alert."""

    id: int
    at: datetime
    action: str
    actor: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, entry: TimelineEntry) -> StepOut:
        """From the stored entry."""
        return cls(id=entry.id, at=entry.at, action=entry.action, actor=entry.actor, detail=entry.detail)


class AlertDetailOut(AlertOut):
    """An alert with its visits and every step of its life."""

    visit_ids: list[UUID]
    timeline: list[StepOut]


class AlertPage(BaseModel):
    """A page of alerts and the cursor of the next one (None: no more)."""

    items: list[AlertOut]
    next_cursor: str | None


class NotificationOut(BaseModel):
    """A notification and its delivery state (bodies are shown: staff need to see what was said)."""

    id: UUID
    alert_id: UUID | None
    recipient_kind: str
    recipient_id: str
    channel: str
    message_kind: str
    language: str
    subject: str
    body: str
    status: str
    reason: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, record: NotificationRecord) -> NotificationOut:
        """From the stored record."""
        return cls.model_validate(record, from_attributes=True)


class NotificationPage(BaseModel):
    """A page of notifications and the cursor of the next one."""

    items: list[NotificationOut]
    next_cursor: str | None


class AssignIn(BaseModel):
    """Who should act on the alert."""

    model_config = ConfigDict(extra="forbid")
    assignee_id: PersonId


class NoteIn(BaseModel):
    """A note for the alert's record."""

    model_config = ConfigDict(extra="forbid")
    text: Text


class ResolveIn(BaseModel):
    """How the alert ended (000 P40: clear and accurate records)."""

    model_config = ConfigDict(extra="forbid")
    outcome: Text = Field(examples=["Visit covered by Sam at 09:10; Mary safe and well"])


class ReceiptIn(BaseModel):
    """An SMS provider's delivery receipt."""

    model_config = ConfigDict(extra="forbid")
    provider_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    delivered: bool
    error: Annotated[str, StringConstraints(max_length=500)] | None = None


class ChangeOut(BaseModel):
    """One change of an alert on the live feed; ``id`` is the cursor to continue after."""

    id: int
    alert_id: UUID
    at: datetime
    action: str
    locality: str
    severity: str
    detail: dict[str, Any]


class ChangePage(BaseModel):
    """Changes after a cursor, and the cursor to ask with next."""

    items: list[ChangeOut]
    cursor: int


# --- cursors ----------------------------------------------------------------------------------------


def _encode(at: datetime, item: UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{item}".encode()).decode()


def _decode(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        at, item = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(at), UUID(item)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid(
            "The cursor is not one this service gave out.",
            errors=[{"field": "query.cursor", "reason": "not a cursor from a previous page"}],
        ) from None


# --- alerts -----------------------------------------------------------------------------------------


@router.get("/alerts", tags=["alerts"], summary="List alerts, newest first")
async def list_alerts(
    uow: UoW,
    actor: Staff,
    locality: Annotated[str | None, Query(max_length=100)] = None,
    status_: Annotated[Literal["open", "acknowledged", "resolved"] | None, Query(alias="status")] = None,
    severity: Literal["low", "medium", "high", "critical"] | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
) -> AlertPage:
    """Alerts of the caller's localities (or the one named), filtered by status and severity."""
    allowed = actor.localities_filter()
    if locality is not None and not actor.may_see(locality):
        raise Forbidden(f"{locality} is not one of your localities.")
    localities = [locality] if locality is not None else (sorted(allowed) if allowed is not None else None)
    async with uow:
        found = await uow.alerts.page(localities, status_, severity, _decode(cursor), limit + 1)
    page = found[:limit]
    more = len(found) > limit
    return AlertPage(
        items=[AlertOut.of(a) for a in page],
        next_cursor=_encode(page[-1].raised_at, page[-1].id) if more and page else None,
    )


@router.get("/alerts/changes", tags=["live"], summary="Alert changes after a cursor (poll)")
async def alert_changes(
    uow: UoW,
    actor: Staff,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    limit: Limit = 100,
) -> ChangePage:
    """Every recorded step of the caller's alerts after ``after``; ask again with ``cursor``."""
    async with uow:
        found = await uow.alerts.changes_after(after, _sorted(actor.localities_filter()), limit)
    items = [_change(entry, locality, severity) for entry, locality, severity in found]
    return ChangePage(items=items, cursor=items[-1].id if items else after)


@router.get(
    "/alerts/stream",
    tags=["live"],
    summary="Alert changes as they happen (server-sent events)",
    response_class=StreamingResponse,
)
async def alert_stream(
    request: Request,
    actor: Staff,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    seconds: Annotated[float, Query(gt=0, le=3600, description="How long to stream before closing.")] = 300,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=18)] = None,
) -> StreamingResponse:
    """A ``text/event-stream`` of alert changes for the dashboard and partners.

    The stream closes after ``seconds`` (so proxies and idle connections never hold it forever); the
    browser's EventSource reconnects by itself with ``Last-Event-ID`` and resumes after that change.
    """
    start = min(int(last_event_id), MAX_POSITION) if last_event_id and last_event_id.isdigit() else after
    localities = _sorted(actor.localities_filter())
    until = time.monotonic() + seconds

    async def events() -> AsyncIterator[bytes]:
        cursor = start
        yield b"retry: 1000\n\n"
        while time.monotonic() < until and not await request.is_disconnected():
            uow: AlertsUnitOfWork = unit_of_work_from(request)
            async with uow:
                found = await uow.alerts.changes_after(cursor, localities, 100)
            for entry, locality, severity in found:
                change = _change(entry, locality, severity)
                cursor = change.id
                data = change.model_dump_json()
                yield f"id: {change.id}\nevent: {change.action}\ndata: {data}\n\n".encode()
            if not found:
                yield b": keep-alive\n\n"
                await asyncio.sleep(min(1.0, max(0.0, until - time.monotonic())))

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/alerts/{alert_id}", tags=["alerts"], summary="Read an alert with its timeline")
async def get_alert(alert_id: UUID, uow: UoW, actor: Staff) -> AlertDetailOut:
    """The alert, the visits it groups and every step recorded (escalations included)."""
    async with uow:
        record = await _visible(uow, alert_id, actor)
        visits = await uow.alerts.visit_ids(alert_id)
        timeline = await uow.alerts.timeline(alert_id)
    return AlertDetailOut(
        **AlertOut.of(record).model_dump(), visit_ids=visits, timeline=[StepOut.of(t) for t in timeline]
    )


@router.post("/alerts/{alert_id}/acknowledge", tags=["alerts"], summary="Acknowledge an alert")
async def acknowledge(alert_id: UUID, uow: UoW, actor: Staff) -> AlertOut:
    """Take the alert on: escalation stops. Acknowledging twice is harmless."""
    async with uow:
        await _visible(uow, alert_id, actor)
        record = await _act(handlers.acknowledge(uow, alert_id, actor.id, uow.clock.now()))
        await uow.commit()
    return AlertOut.of(record)


@router.post("/alerts/{alert_id}/assign", tags=["alerts"], summary="Assign an alert")
async def assign(alert_id: UUID, body: AssignIn, uow: UoW, actor: Staff) -> AlertOut:
    """Give the alert to someone to act on (an open alert is acknowledged by the assigner)."""
    async with uow:
        await _visible(uow, alert_id, actor)
        record = await _act(handlers.assign(uow, alert_id, body.assignee_id, actor.id, uow.clock.now()))
        await uow.commit()
    return AlertOut.of(record)


@router.post(
    "/alerts/{alert_id}/notes", tags=["alerts"], summary="Add a note", status_code=status.HTTP_201_CREATED
)
async def add_note(alert_id: UUID, body: NoteIn, uow: UoW, actor: Staff) -> StepOut:
    """Add a note to the alert's record."""
    async with uow:
        await _visible(uow, alert_id, actor)
        await handlers.add_note(uow, alert_id, body.text, actor.id, uow.clock.now())
        await uow.commit()
        last = (await uow.alerts.timeline(alert_id))[-1]
    return StepOut.of(last)


@router.post("/alerts/{alert_id}/resolve", tags=["alerts"], summary="Resolve an alert with its outcome")
async def resolve(alert_id: UUID, body: ResolveIn, uow: UoW, actor: Staff) -> AlertOut:
    """Close the alert; its outcome is kept for review (000 P40, P42)."""
    async with uow:
        await _visible(uow, alert_id, actor)
        record = await _act(handlers.resolve(uow, alert_id, body.outcome, actor.id, uow.clock.now()))
        await uow.commit()
    return AlertOut.of(record)


async def _visible(uow: AlertsUnitOfWork, alert_id: UUID, actor: Caller) -> AlertRecord:
    record = await uow.alerts.get(alert_id)
    # An alert of another locality is "not found": its existence is not the caller's business.
    if record is None or not actor.may_see(record.locality):
        raise NotFound(f"There is no alert {alert_id} you can see.")
    return record


async def _act(action: Any) -> AlertRecord:
    try:
        record: AlertRecord | None = await action
    except handlers.NotAllowed as refused:
        raise Conflict(f"Cannot do that: {refused}.") from refused
    if record is None:
        raise NotFound("There is no such alert.")
    return record


def _change(entry: TimelineEntry, locality: str, severity: str) -> ChangeOut:
    return ChangeOut(
        id=entry.id,
        alert_id=entry.alert_id,
        at=entry.at,
        action=entry.action,
        locality=locality,
        severity=severity,
        detail=entry.detail,
    )


def _sorted(localities: frozenset[str] | None) -> list[str] | None:
    return sorted(localities) if localities is not None else None


# --- notifications ----------------------------------------------------------------------------------


@router.get("/notifications", tags=["notifications"], summary="List notifications (failures are visible)")
async def list_notifications(
    uow: UoW,
    actor: Staff,
    status_: Annotated[
        Literal["queued", "sent", "delivered", "failed", "withheld"] | None, Query(alias="status")
    ] = None,
    alert_id: UUID | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
) -> NotificationPage:
    """Notifications newest first, e.g. ``?status=failed`` for the ones that never arrived."""
    if actor.role not in _ALL_LOCALITIES and alert_id is None:
        raise Forbidden("Name an alert of your localities with ?alert_id=, or ask a registered manager.")
    async with uow:
        if alert_id is not None:
            await _visible(uow, alert_id, actor)
        found = await uow.notifications.page(status_, None, alert_id, _decode(cursor), limit + 1)
    return _notification_page(found, limit)


@router.get(
    "/workers/{worker_id}/notifications", tags=["notifications"], summary="A worker's own notifications"
)
async def worker_notifications(
    worker_id: UUID,
    uow: UoW,
    actor: Actor,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
) -> NotificationPage:
    """What the worker was told about their schedule (000 P45); a care worker sees only their own."""
    if actor.role == "care_worker" and actor.worker_id != str(worker_id):
        raise Forbidden("A care worker sees only their own notifications.")
    if actor.role not in _STAFF and actor.role != "care_worker":
        raise Forbidden("Only the worker and the operations team see a worker's notifications.")
    async with uow:
        found = await uow.notifications.page(
            None, ("worker", str(worker_id)), None, _decode(cursor), limit + 1
        )
    return _notification_page(found, limit)


@router.post("/notifications/receipts", tags=["notifications"], summary="An SMS provider's delivery receipt")
async def delivery_receipt(body: ReceiptIn, uow: UoW, actor: Staff) -> NotificationOut:
    """Mark a sent text delivered or failed; a repeated or late receipt changes nothing."""
    async with uow:
        record = await uow.notifications.by_provider_id(body.provider_id)
        if record is None:
            raise NotFound(
                "No notification has that provider id.",
                errors=[{"field": "body.provider_id", "reason": "unknown to this service"}],
            )
        now = uow.clock.now()
        moved = receipt(DeliveryStatus(record.status), body.delivered)
        if moved is not None:
            values: dict[str, Any] = {"status": moved.value, "updated_at": now}
            if moved is DeliveryStatus.DELIVERED:
                values["delivered_at"] = now
            else:
                values["last_error"] = body.error or "the provider could not deliver it"
            await uow.notifications.change(record.id, **values)
            await handlers.publish_notification_status(uow, record.id, now)
            await uow.commit()
        updated = await uow.notifications.get(record.id)
    assert updated is not None
    return NotificationOut.of(updated)


def _notification_page(found: list[NotificationRecord], limit: int) -> NotificationPage:
    page = found[:limit]
    more = len(found) > limit
    return NotificationPage(
        items=[NotificationOut.of(n) for n in page],
        next_cursor=_encode(page[-1].created_at, page[-1].id) if more and page else None,
    )
