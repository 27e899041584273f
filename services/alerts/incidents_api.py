"""HTTP routes for incidents: record, respond, support the worker, close, and the trend review.

Staff only, and a coordinator only for their own localities (from ``X-Rounds-Actor``), like alerts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rounds.infra.problems import NotFound
from services.alerts import incidents
from services.alerts.adapters.repository import IncidentAction, IncidentRecord
from services.alerts.api import Caller, Forbidden, Invalid, Limit, Staff, Text, UoW, _decode, _encode
from services.alerts.domain.incidents import IncidentRuleBroken, SupportKind
from services.alerts.domain.signals import Severity
from services.alerts.unit_of_work import AlertsUnitOfWork

router = APIRouter(tags=["incidents"])
Locality = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class IncidentIn(BaseModel):
    """An incident reported by phone to the on-call manager (visit apps report through the visits service)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["incident", "accident", "emergency", "near_miss"]
    severity: Literal["low", "medium", "high", "critical"]
    locality: Locality
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    occurred_at: datetime = Field(description="When it happened (with a UTC offset)")
    worker_id: UUID | None = None
    individual_id: UUID | None = None
    visit_id: UUID | None = None
    injured: bool = False
    emergency_services_called: bool = False


class ActionIn(BaseModel):
    """An action taken in response."""

    model_config = ConfigDict(extra="forbid")
    text: Text


class SupportIn(BaseModel):
    """Support offered to the worker afterwards (000 P41), or ``declined``."""

    model_config = ConfigDict(extra="forbid")
    support: SupportKind
    text: Text


class CloseIn(BaseModel):
    """How the incident ended and what should change (000 P40, P42)."""

    model_config = ConfigDict(extra="forbid")
    outcome: Text
    improvements: list[Text] = Field(default_factory=list, max_length=20)


class ActionOut(BaseModel):
    """One response action or support offered."""

    at: datetime
    by: str
    kind: str
    support: str | None
    text: str

    @classmethod
    def of(cls, action: IncidentAction) -> ActionOut:
        """From the stored action."""
        return cls.model_validate(action, from_attributes=True)


class IncidentOut(BaseModel):
    """An incident and what was done about it."""

    id: UUID
    alert_id: UUID | None
    kind: str
    severity: str
    locality: str
    worker_id: UUID | None
    individual_id: UUID | None
    visit_id: UUID | None
    description: str
    injured: bool
    emergency_services_called: bool
    occurred_at: datetime
    reported_at: datetime
    reported_by: str | None
    first_response_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    outcome: str | None
    improvements: list[str]
    actions: list[ActionOut] = Field(default_factory=list)

    @classmethod
    def of(cls, record: IncidentRecord, actions: list[IncidentAction] | None = None) -> IncidentOut:
        """From the stored record and its actions."""
        out = cls.model_validate(record, from_attributes=True)
        out.actions = [ActionOut.of(a) for a in actions or []]
        return out


class IncidentPage(BaseModel):
    """A page of incidents and the cursor of the next one."""

    items: list[IncidentOut]
    next_cursor: str | None


class ReviewOut(BaseModel):
    """Trends across incidents reported between two local days (000 P42)."""

    start: date
    end: date
    time_zone: str
    total: int
    by_kind: dict[str, int]
    by_severity: dict[str, int]
    by_locality: dict[str, int]
    by_month: dict[str, int]
    by_weekday: dict[str, int]
    by_hour: dict[str, int]
    median_minutes_to_first_response: float | None
    unanswered: int
    support_offered_share: float | None
    open: int
    improvements: list[str]


@router.post("/incidents", summary="Record an incident", status_code=status.HTTP_201_CREATED)
async def record_incident(body: IncidentIn, uow: UoW, actor: Staff) -> IncidentOut:
    """Record an incident reported by phone; it raises an alert to on-call like one from a visit."""
    if not actor.may_see(body.locality):
        raise Forbidden(f"{body.locality} is not one of your localities.")
    if body.occurred_at.tzinfo is None:
        raise Invalid(
            "Give occurred_at with a UTC offset.",
            errors=[{"field": "body.occurred_at", "reason": "a time without an offset is ambiguous"}],
        )
    async with uow:
        now = uow.clock.now()
        if body.occurred_at > now + timedelta(minutes=5):
            raise Invalid(
                "An incident cannot have happened in the future.",
                errors=[{"field": "body.occurred_at", "reason": "after the time of the report"}],
            )
        record = await incidents.record_incident(
            uow,
            kind=body.kind,
            severity=Severity(body.severity),
            locality=body.locality,
            description=body.description,
            occurred_at=body.occurred_at,
            now=now,
            reported_by=actor.id,
            worker_id=body.worker_id,
            individual_id=body.individual_id,
            visit_id=body.visit_id,
            injured=body.injured,
            emergency_services_called=body.emergency_services_called,
        )
        await uow.commit()
    return IncidentOut.of(record)


@router.get("/incidents", summary="List incidents, newest first")
async def list_incidents(
    uow: UoW,
    actor: Staff,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
) -> IncidentPage:
    """Incidents of the caller's localities."""
    allowed = actor.localities_filter()
    async with uow:
        found = await uow.incidents.page(
            sorted(allowed) if allowed is not None else None, _decode(cursor), limit + 1
        )
        page = found[:limit]
        await uow.incidents.read_by([i.id for i in page], actor.id, actor.role, uow.clock.now())
        await uow.commit()
    more = len(found) > limit
    return IncidentPage(
        items=[IncidentOut.of(i) for i in page],
        next_cursor=_encode(page[-1].reported_at, page[-1].id) if more and page else None,
    )


@router.get("/incidents/review", summary="Trends by type, locality and time (000 P42)")
async def incident_review(
    request: Request,
    uow: UoW,
    actor: Staff,
    start: Annotated[date, Query(description="First local day", ge=date(2000, 1, 1), le=date(2100, 1, 1))],
    end: Annotated[
        date, Query(description="Last local day (included)", ge=date(2000, 1, 1), le=date(2100, 1, 1))
    ],
    locality: Annotated[str | None, Query(max_length=100)] = None,
) -> ReviewOut:
    """Incidents reported from ``start`` to ``end`` (local days, inclusive) summarised for review."""
    if end < start:
        raise Invalid("end is before start.", errors=[{"field": "query.end", "reason": "before start"}])
    if locality is not None and not actor.may_see(locality):
        raise Forbidden(f"{locality} is not one of your localities.")
    allowed = actor.localities_filter()
    localities = [locality] if locality else (sorted(allowed) if allowed is not None else None)
    zone = ZoneInfo(request.app.state.runtime.settings.provider_time_zone)
    since = datetime.combine(start, time(), zone).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC)
    async with uow:
        found = await incidents.trends(uow, since, until, localities, zone)
    return ReviewOut(start=start, end=end, time_zone=str(zone), **vars(found))


@router.get("/incidents/{incident_id}", summary="Read an incident with its actions")
async def get_incident(incident_id: UUID, uow: UoW, actor: Staff) -> IncidentOut:
    """The incident, every response action and the support offered."""
    async with uow:
        record = await _visible(uow, incident_id, actor)
        actions = await uow.incidents.actions(incident_id)
        await uow.incidents.read_by([incident_id], actor.id, actor.role, uow.clock.now())
        await uow.commit()
    return IncidentOut.of(record, actions)


class ReadOut(BaseModel):
    """One read of an incident record."""

    reader_id: str
    role: str
    at: datetime


@router.get("/incidents/{incident_id}/reads", summary="Who read an incident record")
async def incident_reads(incident_id: UUID, uow: UoW, actor: Staff) -> list[ReadOut]:
    """Every read of the record, for a registered manager (the audit of access to health details)."""
    if actor.role != "registered_manager":
        raise Forbidden("Only a registered manager reviews who read an incident record.")
    async with uow:
        await _visible(uow, incident_id, actor)
        reads = await uow.incidents.reads_of(incident_id)
    return [ReadOut(reader_id=r, role=role, at=at) for r, role, at in reads]


@router.post("/incidents/{incident_id}/actions", summary="Record a response action")
async def add_action(incident_id: UUID, body: ActionIn, uow: UoW, actor: Staff) -> IncidentOut:
    """What was done in response (000 P39, P40)."""
    async with uow:
        await _visible(uow, incident_id, actor)
        with _rules():
            await incidents.add_response(uow, incident_id, body.text, actor.id, uow.clock.now())
        await uow.commit()
        return IncidentOut.of(
            await _visible(uow, incident_id, actor), await uow.incidents.actions(incident_id)
        )


@router.post("/incidents/{incident_id}/support", summary="Record support offered to the worker")
async def offer_support(incident_id: UUID, body: SupportIn, uow: UoW, actor: Staff) -> IncidentOut:
    """Support for the worker after the incident, or their refusal of it (000 P41)."""
    async with uow:
        await _visible(uow, incident_id, actor)
        with _rules():
            await incidents.offer_support(
                uow, incident_id, body.support, body.text, actor.id, uow.clock.now()
            )
        await uow.commit()
        return IncidentOut.of(
            await _visible(uow, incident_id, actor), await uow.incidents.actions(incident_id)
        )


@router.post("/incidents/{incident_id}/close", summary="Close an incident with its outcome")
async def close_incident(incident_id: UUID, body: CloseIn, uow: UoW, actor: Staff) -> IncidentOut:
    """Close it once the worker has been offered support; its alert is resolved with it."""
    async with uow:
        await _visible(uow, incident_id, actor)
        with _rules():
            await incidents.close(
                uow, incident_id, body.outcome, body.improvements, actor.id, uow.clock.now()
            )
        await uow.commit()
        return IncidentOut.of(
            await _visible(uow, incident_id, actor), await uow.incidents.actions(incident_id)
        )


async def _visible(uow: AlertsUnitOfWork, incident_id: UUID, actor: Caller) -> IncidentRecord:
    record = await uow.incidents.get(incident_id)
    if record is None or not actor.may_see(record.locality):
        raise NotFound(f"There is no incident {incident_id} you can see.")
    return record


@contextmanager
def _rules() -> Iterator[None]:
    """Turn the domain's refusals into 422 problems naming the field (nothing is committed yet)."""
    try:
        yield
    except IncidentRuleBroken as broken:
        raise Invalid(
            f"Cannot do that: {broken.reason}.",
            errors=[{"field": f"body.{broken.field}", "reason": broken.reason}],
        ) from broken
