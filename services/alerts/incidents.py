"""Commands on incidents: record, respond, support the worker, close, review (000 P38-P42).

Like the other handlers they run inside the caller's unit of work and never commit.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from services.alerts import handlers
from services.alerts.adapters.repository import IncidentRecord, incident_of
from services.alerts.domain.incidents import IncidentRuleBroken, Review, SupportKind, check_can_close, review
from services.alerts.domain.signals import Severity, Signal, SignalKind
from services.alerts.unit_of_work import AlertsUnitOfWork


async def record_incident(
    uow: AlertsUnitOfWork,
    *,
    kind: str,
    severity: Severity,
    locality: str,
    description: str,
    occurred_at: datetime,
    now: datetime,
    reported_by: str | None,
    worker_id: UUID | None = None,
    individual_id: UUID | None = None,
    visit_id: UUID | None = None,
    local_date: date | None = None,
    injured: bool = False,
    emergency_services_called: bool = False,
    source_record_id: UUID | None = None,
    source_event_type: str = "api",
    source_time: datetime | None = None,
) -> IncidentRecord:
    """Record an incident and raise its alert to on-call (000 P39, P40); a repeated report is one record."""
    if source_record_id is not None and (known := await uow.incidents.by_source(source_record_id)):
        return known
    incident_id = uuid4()
    await uow.incidents.add(
        {
            "id": incident_id,
            "source_record_id": source_record_id,
            "alert_id": None,
            "kind": kind,
            "severity": severity.value,
            "locality": locality,
            "worker_id": worker_id,
            "individual_id": individual_id,
            "visit_id": visit_id,
            "description": description,
            "injured": injured,
            "emergency_services_called": emergency_services_called,
            "occurred_at": occurred_at,
            "reported_at": now,
            "reported_by": reported_by,
            "first_response_at": None,
            "closed_at": None,
            "closed_by": None,
            "outcome": None,
            "improvements": [],
        }
    )
    signal = Signal(
        kind=SignalKind.INCIDENT,
        subject=f"incident:{incident_id}",
        locality=locality,
        occurred_at=source_time or now,
        source_event_type=source_event_type,
        visit_id=visit_id,
        individual_id=individual_id,
        worker_id=worker_id,
        local_date=local_date,
        severity=severity,
        detail={"kind": kind, "injured": injured},
    )
    alert_id = await handlers.handle_signal(uow, signal, uow.policy, now)
    await uow.incidents.change(incident_id, alert_id=alert_id)
    found = await uow.incidents.get(incident_id)
    assert found is not None
    return found


async def add_response(
    uow: AlertsUnitOfWork, incident_id: UUID, text: str, by: str, now: datetime
) -> IncidentRecord | None:
    """Record an action taken in response (000 P39, P40); the first one counts as the response time."""
    record = await uow.incidents.get(incident_id)
    if record is None:
        return None
    _open(record)
    await uow.incidents.add_action(
        {"incident_id": incident_id, "at": now, "by": by, "kind": "response", "support": None, "text": text}
    )
    if record.first_response_at is None:
        await uow.incidents.change(incident_id, first_response_at=now)
    return await uow.incidents.get(incident_id)


async def offer_support(
    uow: AlertsUnitOfWork, incident_id: UUID, support: SupportKind, text: str, by: str, now: datetime
) -> IncidentRecord | None:
    """Record the support offered to the worker afterwards, or their refusal (000 P41)."""
    record = await uow.incidents.get(incident_id)
    if record is None:
        return None
    _open(record)
    if record.worker_id is None:
        raise IncidentRuleBroken("support", "no worker was involved in this incident")
    await uow.incidents.add_action(
        {
            "incident_id": incident_id,
            "at": now,
            "by": by,
            "kind": "support",
            "support": support.value,
            "text": text,
        }
    )
    return record


async def close(
    uow: AlertsUnitOfWork, incident_id: UUID, outcome: str, improvements: list[str], by: str, now: datetime
) -> IncidentRecord | None:
    """Close the incident with its outcome and what should change; its alert closes with it (000 P40, P42)."""
    record = await uow.incidents.get(incident_id)
    if record is None:
        return None
    support = [SupportKind(a.support) for a in await uow.incidents.actions(incident_id) if a.support]
    check_can_close(incident_of(record, support))
    await uow.incidents.change(
        incident_id, closed_at=now, closed_by=by, outcome=outcome, improvements=list(improvements)
    )
    if record.alert_id is not None:
        alert = await uow.alerts.get(record.alert_id)
        if alert is not None and alert.status != "resolved":
            await handlers.resolve(uow, record.alert_id, f"incident closed: {outcome}", by, now)
    return await uow.incidents.get(incident_id)


async def trends(
    uow: AlertsUnitOfWork, start: datetime, end: datetime, localities: list[str] | None, zone: ZoneInfo
) -> Review:
    """The review of incidents reported in [start, end) (000 P42)."""
    return review(await uow.incidents.for_review(start, end, localities), zone)


def _open(record: IncidentRecord) -> None:
    if record.closed_at is not None:
        raise IncidentRuleBroken("status", "the incident is closed")
