"""Events the alerts service consumes: each becomes a signal for the rules, a read model row, or a message.

- visits: the monitor's conditions (late, missed, short, overrun, lone worker overdue) and their
  resolution, SOS and incidents become signals;
- supervision: an overdue obligation becomes a signal owned by the supervisor;
- people: workers, individuals, key people (consent, channel, language, quiet hours) and the on-call
  roster are kept as read models; an individual's change of status is told to their key people;
- rota: visits are kept (to name an individual's visit time); a changed or cancelled visit is told to
  the individual and key people (000 P44) and a changed day to the worker (000 P45).

The inbox makes every handler run once per event id; read models also keep the newest version only.
"""

from __future__ import annotations

from uuid import UUID

from rounds.contracts.people import (
    IndividualAnonymised,
    IndividualRegistered,
    IndividualStatusChanged,
    IndividualUpdated,
    KeyPersonAdded,
    KeyPersonUpdated,
    OnCallGapsReported,
    OnCallShiftChanged,
    OnCallShiftScheduled,
    WorkerRegistered,
    WorkerUpdated,
)
from rounds.contracts.rota import (
    VisitAllocated,
    VisitCancelled,
    VisitChanged,
    VisitScheduled,
    WorkerScheduleChanged,
)
from rounds.contracts.supervision import SupervisionOverdue, SupervisionResolved
from rounds.contracts.visits import (
    IncidentReported,
    VisitConditionResolved,
    VisitLate,
    VisitMissed,
    VisitOverrun,
    VisitShort,
    WorkerOverdue,
    WorkerSos,
)
from rounds.infra.cloudevents import Envelope
from rounds.infra.consumer import Subscriptions
from services.alerts import handlers, incidents
from services.alerts.domain.signals import Severity, Signal, SignalKind
from services.alerts.unit_of_work import AlertsUnitOfWork

subscriptions: Subscriptions[AlertsUnitOfWork] = Subscriptions()

_CONDITION_KINDS = {
    "late": SignalKind.VISIT_LATE,
    "missed": SignalKind.VISIT_MISSED,
    "short": SignalKind.VISIT_SHORT,
    "overrun": SignalKind.VISIT_OVERRUN,
    "overdue": SignalKind.LONE_WORKER_OVERDUE,
}

ConditionRaised = VisitLate | VisitMissed | VisitShort | VisitOverrun | WorkerOverdue


def _condition_subject(condition: str, visit_id: UUID) -> str:
    # Lone-worker welfare is about the worker's safety, not the visit's care: its own alert.
    return f"lone:{visit_id}" if condition == "overdue" else str(visit_id)


def condition_signal(event: ConditionRaised, envelope: Envelope) -> Signal:
    """A monitor condition as a signal (the first worker concerned names the run it belongs to)."""
    workers = event.workers_concerned or event.workers
    return Signal(
        kind=_CONDITION_KINDS[event.condition],
        subject=_condition_subject(event.condition, event.visit_id),
        locality=event.locality,
        occurred_at=envelope.time,
        source_event_type=envelope.type,
        visit_id=event.visit_id,
        individual_id=event.individual_id,
        worker_id=workers[0] if workers else None,
        local_date=event.local_date,
        detail={"planned_start": event.planned_start, "detail": event.detail},
    )


async def _on_condition(event: ConditionRaised, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    await handlers.handle_signal(uow, condition_signal(event, envelope), uow.policy, uow.clock.now())


subscriptions.on(VisitLate)(_on_condition)
subscriptions.on(VisitMissed)(_on_condition)
subscriptions.on(VisitShort)(_on_condition)
subscriptions.on(VisitOverrun)(_on_condition)
subscriptions.on(WorkerOverdue)(_on_condition)


@subscriptions.on(VisitConditionResolved)
async def condition_resolved(
    event: VisitConditionResolved, envelope: Envelope, uow: AlertsUnitOfWork
) -> None:
    """A check-in ended a late or missed condition, a check-out a lone worker's: take it off its alert."""
    signal = Signal(
        kind=_CONDITION_KINDS[event.condition],
        subject=_condition_subject(event.condition, event.visit_id),
        locality=event.locality,
        occurred_at=envelope.time,
        source_event_type=envelope.type,
        cleared=True,
        visit_id=event.visit_id,
        individual_id=event.individual_id,
        worker_id=event.worker_id,
        local_date=event.local_date,
        detail={"resolution": event.resolution},
    )
    await handlers.handle_signal(uow, signal, uow.policy, uow.clock.now())


@subscriptions.on(WorkerSos)
async def worker_sos(event: WorkerSos, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    """A worker asked for help: a critical alert to on-call at once (000 P39)."""
    signal = Signal(
        kind=SignalKind.SOS,
        subject=f"sos:{event.record_id}",
        locality=event.locality,
        occurred_at=envelope.time,
        source_event_type=envelope.type,
        visit_id=event.visit_id,
        individual_id=event.individual_id,
        worker_id=event.worker_id,
        local_date=event.local_date,
        detail={"message": event.message},
    )
    await handlers.handle_signal(uow, signal, uow.policy, uow.clock.now())


@subscriptions.on(IncidentReported)
async def incident_reported(event: IncidentReported, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    """An incident a worker reported: a record, and an alert with the reporter's severity (000 P38-P40)."""
    await incidents.record_incident(
        uow,
        kind=event.kind,
        severity=Severity(event.severity),
        locality=event.locality,
        description=event.description,
        occurred_at=event.occurred_at,
        now=uow.clock.now(),
        reported_by=str(event.worker_id),
        worker_id=event.worker_id,
        individual_id=event.individual_id,
        visit_id=event.visit_id,
        local_date=event.local_date,
        injured=event.injured,
        emergency_services_called=event.emergency_services_called,
        source_record_id=event.record_id,
        source_event_type=envelope.type,
        source_time=envelope.time,
    )


def _supervision_signal(
    event: SupervisionOverdue | SupervisionResolved, envelope: Envelope, cleared: bool
) -> Signal:
    chain = tuple(str(p) for p in (event.supervisor_id, event.line_manager_id) if p is not None)
    return Signal(
        kind=SignalKind.SUPERVISION_OVERDUE,
        subject=f"supervision:{event.worker_id}:{event.rule}:{event.item}:{event.due_on}",
        locality=event.locality,
        occurred_at=envelope.time,
        source_event_type=envelope.type,
        cleared=cleared,
        worker_id=event.worker_id,
        # No arrangement recorded yet: the locality's on-call managers own it instead.
        owner_chain=tuple(dict.fromkeys(chain)),
        detail={"rule": event.rule, "item": event.item, "source": event.source, "resolution": "met"},
    )


@subscriptions.on(SupervisionOverdue)
async def supervision_overdue(event: SupervisionOverdue, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    """An overdue supervision goes to the supervisor, then their line manager (004)."""
    await handlers.handle_signal(
        uow, _supervision_signal(event, envelope, False), uow.policy, uow.clock.now()
    )


@subscriptions.on(SupervisionResolved)
async def supervision_resolved(event: SupervisionResolved, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    """The overdue obligation was met: its alert closes if nobody has taken it on yet."""
    await handlers.handle_signal(uow, _supervision_signal(event, envelope, True), uow.policy, uow.clock.now())


# --- people -----------------------------------------------------------------------------------------


async def _worker(event: WorkerRegistered | WorkerUpdated, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    active = getattr(event, "status", "active") != "ended"
    await uow.known.put_worker(
        {
            "worker_id": event.worker_id,
            "version": event.version,
            "name": f"{event.given_name} {event.family_name}",
            "locality": event.locality,
            "language": event.languages[0] if event.languages else "en",
            "line_manager_id": event.line_manager_id,
            "active": active,
        }
    )


subscriptions.on(WorkerRegistered)(_worker)
subscriptions.on(WorkerUpdated)(_worker)


async def _individual(
    event: IndividualRegistered | IndividualUpdated, envelope: Envelope, uow: AlertsUnitOfWork
) -> None:
    await uow.known.put_individual(
        {
            "individual_id": event.individual_id,
            "version": event.version,
            "name": event.preferred_name or f"{event.given_name} {event.family_name}",
            "locality": event.locality,
            "status": event.status,
            "phone": event.phone,
            "language": event.language,
            "time_zone": event.time_zone,
        }
    )


subscriptions.on(IndividualRegistered)(_individual)
subscriptions.on(IndividualUpdated)(_individual)


async def _key_person(
    event: KeyPersonAdded | KeyPersonUpdated, envelope: Envelope, uow: AlertsUnitOfWork
) -> None:
    if not await handlers.key_person_is_news(uow, event.individual_id):
        return
    await uow.known.put_key_person(
        {
            "key_person_id": event.key_person_id,
            "individual_id": event.individual_id,
            "version": event.version,
            "name": f"{event.given_name} {event.family_name}",
            "phone": event.phone,
            "email": event.email,
            "consent": event.consent_to_be_informed,
            "informed_of": list(event.informed_of),
            "preferred_channel": event.preferred_channel,
            "language": event.language,
            "quiet_hours_start": event.quiet_hours_start,
            "quiet_hours_end": event.quiet_hours_end,
            "time_zone": event.time_zone,
            "active": event.active,
        }
    )


subscriptions.on(KeyPersonAdded)(_key_person)
subscriptions.on(KeyPersonUpdated)(_key_person)


@subscriptions.on(IndividualAnonymised)
async def individual_anonymised(
    event: IndividualAnonymised, envelope: Envelope, uow: AlertsUnitOfWork
) -> None:
    """Retention ran out: names, phones and e-mails of the individual and their key people go."""
    await handlers.anonymise_individual(uow, event)


@subscriptions.on(IndividualStatusChanged)
async def individual_status_changed(
    event: IndividualStatusChanged, envelope: Envelope, uow: AlertsUnitOfWork
) -> None:
    """Into hospital, home again, or care ended: tell the key people who asked to hear (000 P44)."""
    if not await handlers.status_change_is_news(uow, event.individual_id, event.version, event.status):
        return
    topic = (
        "hospital_admissions" if "in_hospital" in (event.status, event.previous_status) else "plan_changes"
    )
    words = {"in_hospital": "paused while in hospital", "active": "resumed", "ended": "ended"}
    await handlers.inform_about_individual(
        uow,
        event.individual_id,
        "care_status_changed",
        topic,
        {"status": words.get(event.status, event.status), "reason": event.reason or ""},
        f"individual:{event.individual_id}:status:{event.version}",
        envelope.time,
        uow.policy,
        uow.clock.now(),
        include_individual=False,
    )


async def _shift(
    event: OnCallShiftScheduled | OnCallShiftChanged, envelope: Envelope, uow: AlertsUnitOfWork
) -> None:
    await uow.known.put_shift(
        {
            "shift_id": event.shift_id,
            "version": event.version,
            "person_id": str(event.worker_id),
            "name": event.worker_name,
            "locality": event.locality,
            "level": event.level,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "phone": event.contact_phone,
            "email": event.contact_email,
            "preferred_channel": None,
            "active": event.status == "scheduled",
        }
    )


subscriptions.on(OnCallShiftScheduled)(_shift)
subscriptions.on(OnCallShiftChanged)(_shift)


@subscriptions.on(OnCallGapsReported)
async def on_call_gaps(event: OnCallGapsReported, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    """A locality's cover has gaps (000 P37): one alert per locality until a report says it is covered."""
    signal = Signal(
        kind=SignalKind.ON_CALL_GAP,
        subject=f"cover:{event.locality}",
        locality=event.locality,
        occurred_at=envelope.time,
        source_event_type=envelope.type,
        cleared=not event.gaps,
        detail={
            "resolution": "covered",
            "gaps": [{"level": g.level, "from": g.starts_at, "to": g.ends_at} for g in event.gaps],
        },
    )
    await handlers.handle_signal(uow, signal, uow.policy, uow.clock.now())


# --- rota -------------------------------------------------------------------------------------------

RotaVisit = VisitScheduled | VisitAllocated | VisitChanged | VisitCancelled


async def _keep_visit(event: RotaVisit, uow: AlertsUnitOfWork, cancelled: bool = False) -> None:
    await uow.known.put_visit(
        {
            "visit_id": event.visit_id,
            "individual_id": event.individual_id,
            "locality": event.locality,
            "local_date": event.local_date,
            "time_zone": event.time_zone,
            "planned_start": event.planned_start,
            "workers": [str(w) for w in event.workers],
            "cancelled": cancelled,
        }
    )


async def _visit(event: VisitScheduled | VisitAllocated, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    await _keep_visit(event, uow)


subscriptions.on(VisitScheduled)(_visit)
subscriptions.on(VisitAllocated)(_visit)


@subscriptions.on(VisitChanged)
async def visit_changed(event: VisitChanged, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    """A visit moved: tell the individual and key people who asked about visit changes (000 P44)."""
    await _keep_visit(event, uow)
    if event.reason == "planning":
        return  # a draft rota being planned is not yet a change to anyone's arrangements
    await handlers.inform_about_individual(
        uow,
        event.individual_id,
        "visit_changed",
        "visit_changes",
        {},
        f"visit:{envelope.id}",
        envelope.time,
        uow.policy,
        uow.clock.now(),
        planned=event.planned_start,
        previous=event.previous_planned_start,
    )


@subscriptions.on(VisitCancelled)
async def visit_cancelled(event: VisitCancelled, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    """A visit will not happen: tell the individual and key people (000 P44)."""
    await _keep_visit(event, uow, cancelled=True)
    if event.reason == "planning":
        return
    await handlers.inform_about_individual(
        uow,
        event.individual_id,
        "visit_cancelled",
        "visit_changes",
        {},
        f"visit:{envelope.id}",
        envelope.time,
        uow.policy,
        uow.clock.now(),
        planned=event.planned_start,
    )


@subscriptions.on(WorkerScheduleChanged)
async def schedule_changed(event: WorkerScheduleChanged, envelope: Envelope, uow: AlertsUnitOfWork) -> None:
    """A worker's day changed: tell them through their app, once per schedule version (000 P45)."""
    counts = {
        "added": len(event.visits_added),
        "removed": len(event.visits_removed),
        "moved": len(event.visits_moved),
    }
    if not await handlers.schedule_is_news(uow, event.worker_id, event.local_date, event.schedule_version):
        return  # the worker already heard of a newer version of this day
    cause = handlers.schedule_cause(event.worker_id, event.local_date, event.schedule_version)
    await handlers.inform_worker_of_schedule(
        uow, event.worker_id, event.local_date, counts, cause, envelope.time, uow.policy, uow.clock.now()
    )
