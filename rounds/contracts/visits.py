"""Events the visits service publishes, all on ``rounds.visits.telemetry`` keyed by ``visit_id``.

What happened at the doorstep (checked in, checked out, a task's outcome, a concern, an incident, an
SOS) and what the visit monitor noticed (late, missed, short, overrun, a lone worker overdue) and
when such a condition was resolved. Every event carries the visit's facts a consumer needs to act
without calling back: the individual, the locality, the local day, the planned times and the
allocated workers, plus the EVV elements (type of service, individual, date, location, worker, start
and end time) where the event records a visit's delivery.

Times: every instant is UTC. ``occurred_at`` is the worker's device time (apps work offline, so it
may be hours before ``received_at``, the time the visits service accepted the record). The monitor's
``deadline`` is the instant the threshold passed and ``raised_at`` the instant it noticed.

Guarantees: the monitor announces each (visit, condition) at most once, even with several replicas;
a check-in after ``missed`` (or ``late``) resolves it with :class:`VisitConditionResolved`, and a
check-out resolves ``overdue``. A record sent twice by an app (same ``record_id``) is announced once.

Compatibility: consumers must ignore fields they do not know; a new optional field keeps the
version, anything else is a new ``.v2`` class beside this one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from rounds.contracts.base import Event

TELEMETRY_TOPIC = "rounds.visits.telemetry"

#: How a check-in or check-out was verified: the phone's position, an NFC tag registered to the
#: home, or a call from the home's telephone line.
VerificationMethod = Literal["gps", "nfc", "telephony"]

#: What the monitor raises. ``overdue`` is the lone-worker welfare check (checked in, never out).
MonitorCondition = Literal["late", "missed", "short", "overrun", "overdue"]

#: 000 P19: a task from the plan is done, or refused by the individual, or not needed this time.
TaskOutcome = Literal["done", "refused", "not_needed"]


class Position(BaseModel):
    """A device position in WGS84 degrees, with the device's accuracy radius in metres."""

    model_config = ConfigDict(frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0)


class Verification(BaseModel):
    """How the worker's presence at the home was shown, and whether it convinced (EVV location).

    ``distance_m`` is from the home's recorded coordinates (None: no position, or the home has none);
    ``flagged`` is true when the record was accepted but looks wrong (``flag_reasons`` say why, e.g.
    ``far_from_home``, ``unknown_nfc_tag``, ``unrecognised_phone``, ``home_location_unknown``).
    """

    model_config = ConfigDict(frozen=True)

    method: VerificationMethod
    position: Position | None = None
    nfc_tag_id: str | None = None
    telephony_number: str | None = None
    distance_m: float | None = None
    flagged: bool = False
    flag_reasons: list[str] = Field(default_factory=list)


class _VisitFacts(Event):
    """What every visits event says about the visit (not an event itself: it has no ``type``)."""

    topic: ClassVar[str] = TELEMETRY_TOPIC
    key_field: ClassVar[str] = "visit_id"

    visit_id: UUID
    individual_id: UUID
    locality: str
    local_date: date = Field(description="the provider's local day the visit belongs to (EVV date)")
    time_zone: str = "Europe/London"
    service_type: str = Field(description="EVV type of service (the visit type, e.g. personal_care)")
    planned_start: datetime
    planned_end: datetime
    workers: list[UUID] = Field(default_factory=list, description="the workers allocated to the visit")


class _WorkerRecord(_VisitFacts):
    """A record one worker made at the visit: who, their client-generated id and both clocks."""

    worker_id: UUID
    record_id: UUID = Field(description="the app's own id for the record; the same id is accepted once")
    occurred_at: datetime = Field(description="device time (UTC) at which the worker made the record")
    received_at: datetime = Field(description="when the visits service accepted it (UTC)")


class VisitCheckedIn(_WorkerRecord):
    """A worker arrived (EVV start time and location). ``resolved`` lists conditions it ended."""

    type: ClassVar[str] = "rounds.visit.checked_in.v1"

    verification: Verification
    late_by_minutes: float = Field(description="minutes after planned start (negative: early)")
    resolved: list[MonitorCondition] = Field(default_factory=list)


class VisitCheckedOut(_WorkerRecord):
    """A worker left (EVV end time and location), with the time stayed against the time planned."""

    type: ClassVar[str] = "rounds.visit.checked_out.v1"

    verification: Verification
    checked_in_at: datetime
    stayed_minutes: float
    planned_minutes: float
    tasks_outstanding: list[str] = Field(
        default_factory=list, description="tasks of the plan with no outcome recorded"
    )


class VisitTaskRecorded(_WorkerRecord):
    """A task from the plan was done, refused or not needed, with the reason (000 P19)."""

    type: ClassVar[str] = "rounds.visit.task_recorded.v1"

    task: str
    outcome: TaskOutcome
    reason: str | None = None


class ConcernRaised(_WorkerRecord):
    """A worker raised a concern or a difficulty about the individual or the work (000 P21)."""

    type: ClassVar[str] = "rounds.concern.raised.v1"

    kind: Literal["concern", "difficulty"]
    category: str = Field(description="e.g. health, safeguarding, environment, access, task, other")
    severity: Literal["low", "medium", "high"]
    description: str


class IncidentReported(_WorkerRecord):
    """An emergency, accident or incident was reported from the visit (000 P38-P40)."""

    type: ClassVar[str] = "rounds.incident.reported.v1"

    kind: Literal["incident", "accident", "emergency", "near_miss"]
    severity: Literal["low", "medium", "high", "critical"]
    description: str
    injured: bool = False
    emergency_services_called: bool = False
    actions_taken: str | None = None


class WorkerSos(_WorkerRecord):
    """A worker asked for help now (lone working, 000 P14-P16): on-call must respond at once."""

    type: ClassVar[str] = "rounds.worker.sos.v1"

    position: Position | None = None
    message: str | None = None


class _ConditionRaised(_VisitFacts):
    """What the monitor says when a threshold passes (not an event itself: it has no ``type``).

    ``workers_concerned`` are the workers the condition is about (for ``late``/``missed`` the
    allocated workers who have not checked in; for ``overdue`` those checked in and not out).
    """

    condition: MonitorCondition
    deadline: datetime = Field(description="when the threshold passed (UTC)")
    raised_at: datetime = Field(description="when the monitor raised it (UTC)")
    threshold_minutes: float
    workers_concerned: list[UUID] = Field(default_factory=list)
    detail: str


class VisitLate(_ConditionRaised):
    """No check-in by planned start plus the late threshold."""

    type: ClassVar[str] = "rounds.visit.late.v1"
    condition: Literal["late"] = "late"


class VisitMissed(_ConditionRaised):
    """No check-in by the missed threshold or the end of the visit's window, whichever is first."""

    type: ClassVar[str] = "rounds.visit.missed.v1"
    condition: Literal["missed"] = "missed"


class VisitShort(_ConditionRaised):
    """Checked out having stayed less than the set share of the planned time."""

    type: ClassVar[str] = "rounds.visit.short.v1"
    condition: Literal["short"] = "short"

    stayed_minutes: float
    planned_minutes: float


class VisitOverrun(_ConditionRaised):
    """Stayed beyond the planned time by more than the overrun threshold."""

    type: ClassVar[str] = "rounds.visit.overrun.v1"
    condition: Literal["overrun"] = "overrun"

    stayed_minutes: float
    planned_minutes: float


class WorkerOverdue(_ConditionRaised):
    """A lone worker checked in and has not checked out by planned end plus grace: a welfare check."""

    type: ClassVar[str] = "rounds.worker.overdue.v1"
    condition: Literal["overdue"] = "overdue"


class VisitConditionResolved(_VisitFacts):
    """A raised condition ended: ``late``/``missed`` by a check-in, ``overdue`` by a check-out,
    any of them by the visit's cancellation, ``late``/``missed`` when the rota moved the visit to a
    new time (they are then watched afresh against it). ``detail`` says so in words for on-call.
    """

    type: ClassVar[str] = "rounds.visit.condition_resolved.v1"

    condition: MonitorCondition
    raised_at: datetime
    resolved_at: datetime
    resolution: Literal["checked_in", "checked_out", "cancelled", "rescheduled"]
    worker_id: UUID | None = None
    detail: str


class VisitRecordAmended(_VisitFacts):
    """A visit record was corrected: records are append-only, so this is who, when and why."""

    type: ClassVar[str] = "rounds.visit.record_amended.v1"

    record_id: UUID = Field(description="the record amended")
    amendment_id: UUID
    amended_by: str
    amended_at: datetime
    reason: str
    changes: dict[str, str] = Field(default_factory=dict, description="field name to its new value")
