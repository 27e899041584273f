"""Commands and events the visits service carries out: load, let the domain decide, record, commit.

Records from worker apps are accepted exactly once by the app's own ``record_id``: the first arrival
is stored with the answer it got, and any later arrival of the same id (a retry after a lost
response, a resync) gets that same answer without a second effect or a second event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from rounds.contracts.base import Event
from rounds.contracts.people import IndividualAnonymised, IndividualRegistered, IndividualUpdated
from rounds.contracts.rota import VisitCancelled
from rounds.contracts.visits import (
    ConcernRaised,
    IncidentReported,
    Position,
    Verification,
    VisitCheckedIn,
    VisitCheckedOut,
    VisitConditionResolved,
    VisitLate,
    VisitMissed,
    VisitOverrun,
    VisitRecordAmended,
    VisitShort,
    VisitTaskRecorded,
    WorkerOverdue,
    WorkerSos,
)
from services.visits.adapters.repository import StoredAmendment, StoredRecord
from services.visits.domain import monitor
from services.visits.domain.errors import RuleBroken, StateConflict
from services.visits.domain.geo import Point
from services.visits.domain.monitor import Due, Thresholds
from services.visits.domain.visits import (
    Evidence,
    ExpectedVisit,
    RaisedCondition,
    Verdict,
    VisitState,
    check_can_record,
    check_device_time,
    check_in,
    check_out,
    check_task,
    verify,
)
from services.visits.unit_of_work import VisitsUnitOfWork


class UnknownVisit(Exception):
    """No visit with this id is expected (the rota never announced it)."""


# --- expected visits from the rota ------------------------------------------------------------------


async def expect_visit(uow: VisitsUnitOfWork, visit: ExpectedVisit, defaults: Thresholds) -> None:
    """Keep the rota's newest picture of a visit; an older event arriving late changes nothing."""
    known = await uow.visits.state(visit.visit_id, lock=True)
    if known is not None and known.visit.rota_updated_at > visit.rota_updated_at:
        return
    if known is not None and known.visit.address == REMOVED:
        visit = _without_home(visit)  # anonymised: a rota event from before must not bring it back
    await uow.visits.save(visit)
    state = replace(known, visit=visit) if known is not None else VisitState(visit=visit)
    if visit.cancelled:
        for event in await _resolve(
            uow, state, [c.condition for c in state.open_conditions()], "cancelled", None
        ):
            uow.publish(event)
    elif known is not None and known.visit.planned_start != visit.planned_start and not state.attendances:
        state = await _moved(uow, state)
    await _reschedule(uow, state, defaults)


async def _moved(uow: VisitsUnitOfWork, state: VisitState) -> VisitState:
    """The rota moved a visit nobody has reached yet (a repair of the day, 000 P43).

    ``late`` and ``missed`` raised for the old time are resolved as ``rescheduled`` and forgotten, so
    that the monitor watches the new time afresh: a visit moved from 08:00 to 14:00 is late at 14:15.
    """
    ended = [c.condition for c in state.open_conditions() if c.condition in ("late", "missed")]
    for event in await _resolve(uow, state, ended, "rescheduled", None):
        uow.publish(event)
    await uow.visits.forget_conditions(state.visit.visit_id, ended)
    return replace(state, raised={k: v for k, v in state.raised.items() if k not in ended})


async def remember_home(uow: VisitsUnitOfWork, event: IndividualRegistered | IndividualUpdated) -> None:
    """Keep where the individual lives and their phone, to verify presence (newest version wins)."""
    await uow.homes.save_if_newer(
        event.individual_id,
        event.version,
        Point(event.location.lat, event.location.lon),
        event.phone,
        event.locality,
    )


#: What replaces a removed address: the same placeholder people writes (docs/people.md, retention).
REMOVED = "(anonymised)"
#: Decimal places a home's coordinates keep once anonymised, as in people: a district, not a house.
LOCATION_DECIMALS = 1


def _without_home(visit: ExpectedVisit) -> ExpectedVisit:
    """The visit with the placeholder address and the home's coordinates to one decimal."""
    home = visit.home
    if home is not None:
        home = Point(round(home.lat, LOCATION_DECIMALS), round(home.lon, LOCATION_DECIMALS))
    return replace(visit, address=REMOVED, home=home)


async def anonymise_individual(uow: VisitsUnitOfWork, event: IndividualAnonymised) -> None:
    """Retention ran out (docs/people.md, 000 K66): the home loses its phone and exact place.

    The home takes the event's version (an older record arriving later is ignored); every expected
    visit of the individual, past ones included, keeps its id, times, records and conditions but its
    address becomes the placeholder and its coordinates keep one decimal. A redelivery finds the
    version and changes nothing. Nothing is announced.
    """
    if not await uow.homes.anonymise(event.individual_id, event.version, event.locality, LOCATION_DECIMALS):
        return
    await uow.visits.anonymise(event.individual_id, REMOVED, LOCATION_DECIMALS)


def is_cancellation(event: Event) -> bool:
    """Whether a rota visit event cancels the visit."""
    return isinstance(event, VisitCancelled)


# --- records from the doorstep ----------------------------------------------------------------------


@dataclass(frozen=True)
class Doorstep:
    """What every record from a worker app carries."""

    record_id: UUID
    visit_id: UUID
    worker_id: UUID
    occurred_at: datetime


@dataclass(frozen=True)
class Recorded:
    """The answer to a record: the body, and whether it was a replay of one accepted before."""

    body: dict[str, Any]
    replay: bool


@dataclass(frozen=True)
class Settled:
    """What the caller's settings decide for records: the location check and default thresholds."""

    max_distance_m: float
    defaults: Thresholds


@dataclass
class _Outcome:
    """What handling a record produced before it is stored."""

    result: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    verification: dict[str, Any] | None = None
    flagged: bool = False


class RecordIdReused(Exception):
    """The app sent a different record under an id it already used."""


async def replayed(
    uow: VisitsUnitOfWork, door: Doorstep, kind: str, content: dict[str, Any]
) -> Recorded | None:
    """The stored answer when this record was accepted before; RecordIdReused when the id means another."""
    stored = await uow.records.get(door.record_id)
    if stored is None:
        return None
    same = (
        stored.visit_id == door.visit_id
        and stored.kind == kind
        and stored.worker_id == door.worker_id
        and stored.occurred_at == door.occurred_at
        and stored.content == content
    )
    if not same:
        raise RecordIdReused(
            f"record_id {door.record_id} was already used for a different {stored.kind} record; "
            "every record needs its own id"
        )
    return Recorded(stored.result, replay=True)


async def record(
    uow: VisitsUnitOfWork,
    door: Doorstep,
    kind: str,
    content: dict[str, Any],
    evidence: Evidence | None,
    settled: Settled,
) -> Recorded:
    """Accept one record from a worker app, exactly once, and commit it with its events."""
    now = uow.clock.now()
    check_device_time(door.occurred_at, now)
    state = await uow.visits.state(door.visit_id, lock=True)
    if state is None:
        raise UnknownVisit(f"No visit {door.visit_id} is expected: the rota has not announced it.")
    # Looked up under the visit's lock: a retry of this record may have committed while we waited.
    earlier = await replayed(uow, door, kind, content)
    if earlier is not None:
        return earlier
    check_can_record(state, door.worker_id)
    if kind in ("check_in", "check_out"):
        assert evidence is not None
        thresholds = (await uow.thresholds.book(settled.defaults)).for_type(state.visit.service_type)
        present = _check_in if kind == "check_in" else _check_out
        outcome = await present(uow, state, door, evidence, settled, thresholds, now)
    else:
        # Records during the visit change no deadline: no thresholds to read.
        outcome = _during_visit(state, door, kind, content, now)
    await uow.records.add(
        StoredRecord(
            record_id=door.record_id,
            visit_id=door.visit_id,
            worker_id=door.worker_id,
            kind=kind,
            occurred_at=door.occurred_at,
            received_at=now,
            content=content,
            verification=outcome.verification,
            flagged=outcome.flagged,
            result=outcome.result,
        )
    )
    for event in outcome.events:
        uow.publish(event)
    await uow.commit()
    return Recorded(outcome.result, replay=False)


def _facts(visit: ExpectedVisit) -> dict[str, Any]:
    """The visit fields every visits event carries."""
    return {
        "visit_id": visit.visit_id,
        "individual_id": visit.individual_id,
        "locality": visit.locality,
        "local_date": visit.local_date,
        "time_zone": visit.time_zone,
        "service_type": visit.service_type,
        "planned_start": visit.planned_start,
        "planned_end": visit.planned_end,
        "workers": list(visit.workers),
    }


def _worker_facts(visit: ExpectedVisit, door: Doorstep, now: datetime) -> dict[str, Any]:
    return {
        **_facts(visit),
        "worker_id": door.worker_id,
        "record_id": door.record_id,
        "occurred_at": door.occurred_at,
        "received_at": now,
    }


def _verification(evidence: Evidence, verdict: Verdict) -> Verification:
    position = None
    if evidence.position is not None:
        position = Position(
            lat=evidence.position.lat, lon=evidence.position.lon, accuracy_m=evidence.accuracy_m
        )
    return Verification(
        method=evidence.method,
        position=position,
        nfc_tag_id=evidence.nfc_tag_id,
        telephony_number=evidence.telephony_number,
        distance_m=verdict.distance_m,
        flagged=verdict.flagged,
        flag_reasons=list(verdict.flag_reasons),
    )


def evv(state: VisitState, worker_id: UUID, location: dict[str, Any] | None) -> dict[str, Any]:
    """The six EVV elements as a record states them: service type, individual, date, location,
    worker, and start and end time (so far)."""
    attendance = state.attendances.get(worker_id)
    return {
        "service_type": state.visit.service_type,
        "individual_id": str(state.visit.individual_id),
        "date": state.visit.local_date.isoformat(),
        "location": location,
        "worker_id": str(worker_id),
        "start": attendance.checked_in_at.isoformat() if attendance else None,
        "end": attendance.checked_out_at.isoformat() if attendance and attendance.checked_out_at else None,
    }


def _result(
    state: VisitState, door: Doorstep, kind: str, now: datetime, location: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    return {
        "record_id": str(door.record_id),
        "visit_id": str(door.visit_id),
        "worker_id": str(door.worker_id),
        "kind": kind,
        "occurred_at": door.occurred_at.isoformat(),
        "received_at": now.isoformat(),
        "visit_status": state.status.value,
        "evv": evv(state, door.worker_id, location),
        **extra,
    }


async def _check_in(
    uow: VisitsUnitOfWork,
    state: VisitState,
    door: Doorstep,
    evidence: Evidence,
    settled: Settled,
    thresholds: Thresholds,
    now: datetime,
) -> _Outcome:
    attendance = check_in(state, door.worker_id, door.record_id, door.occurred_at)
    verdict = verify(
        evidence,
        await uow.homes.facts(
            state.visit.individual_id, state.visit.home, with_tags=evidence.method == "nfc"
        ),
        settled.max_distance_m,
    )
    verification = _verification(evidence, verdict)
    await uow.visits.add_attendance(state.visit.visit_id, attendance)
    after = replace(state, attendances={**state.attendances, door.worker_id: attendance})
    resolving = monitor.resolved_by_check_in(after)
    late_by = round((door.occurred_at - state.visit.planned_start).total_seconds() / 60, 2)
    events: list[Event] = [
        VisitCheckedIn(
            **_worker_facts(state.visit, door, now),
            verification=verification,
            late_by_minutes=late_by,
            resolved=resolving,
        )
    ]
    events += await _resolve(uow, after, resolving, "checked_in", door)
    after = _without_open(after, resolving, now)
    await _reschedule(uow, after, settled.defaults, thresholds)
    location = verification.model_dump(mode="json")
    result = _result(
        after, door, "check_in", now, location, late_by_minutes=late_by, resolved=resolving,
        flagged=verdict.flagged, flag_reasons=list(verdict.flag_reasons),
    )  # fmt: skip
    return _Outcome(result, events, location, verdict.flagged)


async def _check_out(
    uow: VisitsUnitOfWork,
    state: VisitState,
    door: Doorstep,
    evidence: Evidence,
    settled: Settled,
    thresholds: Thresholds,
    now: datetime,
) -> _Outcome:
    leaving = check_out(state, door.worker_id, door.record_id, door.occurred_at)
    verdict = verify(
        evidence,
        await uow.homes.facts(
            state.visit.individual_id, state.visit.home, with_tags=evidence.method == "nfc"
        ),
        settled.max_distance_m,
    )
    verification = _verification(evidence, verdict)
    await uow.visits.close_attendance(state.visit.visit_id, leaving)
    after = replace(state, attendances={**state.attendances, door.worker_id: leaving})
    stayed = leaving.stayed()
    assert stayed is not None
    planned_minutes = round(state.visit.planned_duration.total_seconds() / 60, 2)
    done = await uow.records.tasks_recorded(state.visit.visit_id)
    outstanding = [task for task in state.visit.tasks if task not in done]
    events: list[Event] = [
        VisitCheckedOut(
            **_worker_facts(state.visit, door, now),
            verification=verification,
            checked_in_at=leaving.checked_in_at,
            stayed_minutes=round(stayed.total_seconds() / 60, 2),
            planned_minutes=planned_minutes,
            tasks_outstanding=outstanding,
        )
    ]
    raised: list[str] = []
    for due in monitor.at_check_out(after, leaving, thresholds):
        event = await _raise(uow, after, due, now, raised_by="check-out")
        if event is not None:
            events.append(event)
            raised.append(due.condition)
            after = _with_raised(after, due, now)
    resolving = monitor.resolved_by_check_out(after)
    events += await _resolve(uow, after, resolving, "checked_out", door)
    after = _without_open(after, resolving, now)
    await _reschedule(uow, after, settled.defaults, thresholds)
    location = verification.model_dump(mode="json")
    result = _result(
        after, door, "check_out", now, location,
        stayed_minutes=round(stayed.total_seconds() / 60, 2), planned_minutes=planned_minutes,
        tasks_outstanding=outstanding, raised=raised, resolved=resolving,
        flagged=verdict.flagged, flag_reasons=list(verdict.flag_reasons),
    )  # fmt: skip
    return _Outcome(result, events, location, verdict.flagged)


def _during_visit(
    state: VisitState, door: Doorstep, kind: str, content: dict[str, Any], now: datetime
) -> _Outcome:
    """Task outcomes, notes, concerns, incidents and SOS: recorded whatever the visit's status.

    An offline app may send them before its check-in reaches us, so they are not tied to attendance.
    """
    facts = _worker_facts(state.visit, door, now)
    events: list[Event] = []
    if kind == "task":
        check_task(state, content["task"])
        events.append(VisitTaskRecorded(**facts, **content))
    elif kind == "concern":
        events.append(ConcernRaised(**facts, **content))
    elif kind == "incident":
        events.append(IncidentReported(**facts, **content))
    elif kind == "sos":
        events.append(WorkerSos(**facts, **content))
    elif kind != "note":
        raise RuleBroken("kind", f"{kind!r} is not a kind of visit record")
    position = content.get("position")
    return _Outcome(_result(state, door, kind, now, position, content=content), events)


# --- the monitor ------------------------------------------------------------------------------------

_RAISED: dict[str, type[VisitLate | VisitMissed | VisitShort | VisitOverrun | WorkerOverdue]] = {
    "late": VisitLate,
    "missed": VisitMissed,
    "short": VisitShort,
    "overrun": VisitOverrun,
    "overdue": WorkerOverdue,
}


async def _raise(
    uow: VisitsUnitOfWork, state: VisitState, due: Due, now: datetime, raised_by: str
) -> Event | None:
    """Raise ``due`` once: the event when this transaction raised it, None when it was already raised."""
    claimed = await uow.visits.raise_conditions(
        [(state.visit.visit_id, due.condition, due.deadline, due.detail)], now, raised_by
    )
    return _raised_event(state, due, now) if claimed else None


def _raised_event(state: VisitState, due: Due, now: datetime) -> Event:
    """The event announcing ``due`` on the visit."""
    extra: dict[str, Any] = {}
    if due.condition in ("short", "overrun"):
        extra = {"stayed_minutes": due.stayed_minutes or 0.0, "planned_minutes": due.planned_minutes or 0.0}
    return _RAISED[due.condition](
        **_facts(state.visit),
        deadline=due.deadline,
        raised_at=now,
        threshold_minutes=due.threshold_minutes,
        workers_concerned=list(due.workers_concerned),
        detail=due.detail,
        **extra,
    )


def _with_raised(state: VisitState, due: Due, now: datetime) -> VisitState:
    raised = RaisedCondition(due.condition, due.deadline, now)
    return replace(state, raised={**state.raised, due.condition: raised})


def _without_open(state: VisitState, conditions: list[str], now: datetime) -> VisitState:
    raised = dict(state.raised)
    for name in conditions:
        raised[name] = replace(raised[name], resolved_at=now)
    return replace(state, raised=raised)


async def _resolve(
    uow: VisitsUnitOfWork, state: VisitState, conditions: list[str], resolution: str, door: Doorstep | None
) -> list[Event]:
    """Resolve raised conditions and say so in words (a late check-in after ``missed`` says it came)."""
    now = uow.clock.now()
    events: list[Event] = []
    for name in conditions:
        raised = state.raised[name]
        await uow.visits.resolve_condition(state.visit.visit_id, name, now, resolution)
        detail = _resolution_detail(state, name, resolution, door, now)
        event = VisitConditionResolved(
            **_facts(state.visit),
            condition=name,
            raised_at=raised.raised_at,
            resolved_at=now,
            resolution=resolution,
            worker_id=door.worker_id if door else None,
            detail=detail,
        )
        events.append(event)
    return events


def _resolution_detail(
    state: VisitState, condition: str, resolution: str, door: Doorstep | None, now: datetime
) -> str:
    if resolution == "cancelled":
        return f"The visit was cancelled by the rota; its {condition} condition no longer applies."
    if resolution == "rescheduled":
        start = state.visit.planned_start.astimezone(ZoneInfo(state.visit.time_zone)).strftime("%H:%M")
        return f"The rota moved the visit to {start}; {condition} is now watched against the new time."
    assert door is not None
    device = door.occurred_at.isoformat(timespec="minutes")
    delay = now - door.occurred_at
    offline = (
        f" (made offline at {device}, received {int(delay.total_seconds() // 60)} min later)"
        if delay.total_seconds() >= 120
        else ""
    )
    if resolution == "checked_in":
        late = round((door.occurred_at - state.visit.planned_start).total_seconds() / 60)
        return (
            f"A worker checked in {late} min after the planned start{offline}: "
            f"the visit was not {condition}, it is happening."
        )
    return f"The worker checked out{offline}: the welfare check is over."


async def _reschedule(
    uow: VisitsUnitOfWork, state: VisitState, defaults: Thresholds, thresholds: Thresholds | None = None
) -> None:
    """Tell the monitor when to look at the visit next."""
    if thresholds is None:
        thresholds = (await uow.thresholds.book(defaults)).for_type(state.visit.service_type)
    await uow.visits.schedule_check(state.visit.visit_id, monitor.next_deadline(state, thresholds))


@dataclass(frozen=True)
class MonitorPass:
    """What one pass did: visits looked at, and the seconds from each raised condition's deadline."""

    visits: int
    delays: tuple[float, ...] = ()

    @property
    def raised(self) -> int:
        """How many conditions this pass raised."""
        return len(self.delays)


async def run_monitor(
    uow: VisitsUnitOfWork, defaults: Thresholds, replica: str, batch_size: int
) -> MonitorPass:
    """One pass of the monitor: raise every condition whose threshold has passed.

    Visits are claimed in the transaction (``SKIP LOCKED`` on Postgres) and each condition is
    inserted under the primary key (visit, condition), so two replicas never raise it twice.
    """
    now = uow.clock.now()
    states = await uow.visits.claim_due(now, batch_size)
    if not states:
        return MonitorPass(0)
    book = await uow.thresholds.book(defaults)
    due_now: list[tuple[VisitState, Due]] = []
    next_checks: list[tuple[UUID, datetime | None]] = []
    for state in states:
        thresholds = book.for_type(state.visit.service_type)
        for due in monitor.due_at(state, thresholds, now):
            due_now.append((state, due))
            state = _with_raised(state, due, now)
        next_checks.append((state.visit.visit_id, monitor.next_deadline(state, thresholds)))
    # One statement claims every condition of the batch; only the ones this pass inserted are announced.
    claimed = await uow.visits.raise_conditions(
        [(state.visit.visit_id, due.condition, due.deadline, due.detail) for state, due in due_now],
        now,
        replica,
    )
    delays: list[float] = []
    for state, due in due_now:
        if (state.visit.visit_id, due.condition) in claimed:
            uow.publish(_raised_event(state, due, now))
            delays.append((now - due.deadline).total_seconds())
    await uow.visits.schedule_checks(next_checks)
    await uow.commit()
    return MonitorPass(len(states), tuple(delays))


# --- thresholds and amendments ----------------------------------------------------------------------


async def set_thresholds(
    uow: VisitsUnitOfWork, visit_type: str, thresholds: Thresholds, by: str, defaults: Thresholds
) -> None:
    """Store a visit type's (or the provider's) thresholds and move the deadlines of visits ahead."""
    now = uow.clock.now()
    await uow.thresholds.put(visit_type, thresholds, now, by)
    book = await uow.thresholds.book(defaults)
    for visit_id in await uow.thresholds.visits_of_type_to_recheck(visit_type, now):
        state = await uow.visits.state(visit_id, lock=True)
        if state is not None:
            await uow.visits.schedule_check(
                visit_id, monitor.next_deadline(state, book.for_type(state.visit.service_type))
            )
    await uow.commit()


async def amend_record(
    uow: VisitsUnitOfWork, visit_id: UUID, record_id: UUID, by: str, reason: str, changes: dict[str, str]
) -> StoredAmendment:
    """Correct a record by appending who, when and why; the original stays as it was."""
    stored = await uow.records.get(record_id)
    if stored is None or stored.visit_id != visit_id:
        raise UnknownVisit(f"Visit {visit_id} has no record {record_id}.")
    state = await uow.visits.state(visit_id)
    assert state is not None
    amendment = StoredAmendment(
        amendment_id=uuid4(),
        record_id=record_id,
        visit_id=visit_id,
        amended_by=by,
        amended_at=uow.clock.now(),
        reason=reason,
        changes=changes,
    )
    await uow.records.amend(amendment)
    uow.publish(
        VisitRecordAmended(
            **_facts(state.visit),
            record_id=record_id,
            amendment_id=amendment.amendment_id,
            amended_by=by,
            amended_at=amendment.amended_at,
            reason=reason,
            changes=changes,
        )
    )
    await uow.commit()
    return amendment


__all__ = ["RecordIdReused", "StateConflict", "UnknownVisit"]
