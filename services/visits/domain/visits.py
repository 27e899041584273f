"""Expected visits (from the rota), who attended them, and the rules of checking in and out.

A visit is expected because the rota says so; the visits service never invents one. Attendance is
per worker (a double-up visit has two), measured in the worker's device time, because apps work
offline and a record may reach us hours after it was made (000 P13: records of key events).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from services.visits.domain.errors import NotAllowed, RuleBroken, StateConflict
from services.visits.domain.geo import Point, distance_m

#: The visit type when the rota does not name one (rota's v1 visit events carry no type yet).
DEFAULT_SERVICE_TYPE = "personal_care"

#: A device clock this far ahead of ours is wrong, not early: refuse the record rather than store it.
MAX_DEVICE_CLOCK_AHEAD = timedelta(minutes=5)


class VisitStatus(StrEnum):
    """Where a visit stands for the people watching the day."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ExpectedVisit:
    """A visit as the rota last described it (all instants UTC)."""

    visit_id: UUID
    individual_id: UUID
    package_id: UUID
    locality: str
    local_date: date
    time_zone: str
    service_type: str
    planned_start: datetime
    planned_end: datetime
    window_start: datetime
    window_end: datetime
    tasks: tuple[str, ...]
    workers_required: int
    workers: tuple[UUID, ...]
    address: str
    cancelled: bool
    rota_updated_at: datetime
    home: Point | None = None

    @property
    def planned_duration(self) -> timedelta:
        """How long the visit is planned to last."""
        return self.planned_end - self.planned_start

    def is_allocated_to(self, worker_id: UUID) -> bool:
        """Whether ``worker_id`` is one of the visit's workers."""
        return worker_id in self.workers


@dataclass(frozen=True)
class Attendance:
    """One worker's presence at one visit: check-in, and check-out once they leave (device times)."""

    worker_id: UUID
    checked_in_at: datetime
    check_in_record: UUID
    checked_out_at: datetime | None = None
    check_out_record: UUID | None = None

    @property
    def open(self) -> bool:
        """Checked in and not yet out."""
        return self.checked_out_at is None

    def stayed(self) -> timedelta | None:
        """Time between check-in and check-out, once both are known."""
        return None if self.checked_out_at is None else self.checked_out_at - self.checked_in_at


@dataclass(frozen=True)
class RaisedCondition:
    """A condition the monitor raised on a visit, and when it was resolved (if it was)."""

    condition: str
    deadline: datetime
    raised_at: datetime
    resolved_at: datetime | None = None
    resolution: str | None = None


@dataclass(frozen=True)
class VisitState:
    """What the rules need to know about one visit: the plan, attendance and raised conditions."""

    visit: ExpectedVisit
    attendances: dict[UUID, Attendance] = field(default_factory=dict)
    raised: dict[str, RaisedCondition] = field(default_factory=dict)

    @property
    def status(self) -> VisitStatus:
        """Cancelled, scheduled (nobody yet), in progress (someone inside) or completed."""
        if self.visit.cancelled:
            return VisitStatus.CANCELLED
        if not self.attendances:
            return VisitStatus.SCHEDULED
        if any(a.open for a in self.attendances.values()):
            return VisitStatus.IN_PROGRESS
        return VisitStatus.COMPLETED

    @property
    def first_check_in(self) -> datetime | None:
        """The earliest check-in of any worker (the visit's EVV start time)."""
        times = [a.checked_in_at for a in self.attendances.values()]
        return min(times) if times else None

    @property
    def last_check_out(self) -> datetime | None:
        """The visit's EVV end time: the last check-out, once every worker has left."""
        if not self.attendances or any(a.open for a in self.attendances.values()):
            return None
        return max(a.checked_out_at for a in self.attendances.values() if a.checked_out_at)

    def open_conditions(self) -> list[RaisedCondition]:
        """Conditions raised and not resolved."""
        return [c for c in self.raised.values() if c.resolved_at is None]


def check_device_time(occurred_at: datetime, received_at: datetime) -> None:
    """A device time must be timezone-aware and not in our future (offline records come late, not early)."""
    if occurred_at.tzinfo is None:
        raise RuleBroken("occurred_at", "must carry a UTC offset (e.g. 2026-11-23T08:05:00Z)")
    if occurred_at - received_at > MAX_DEVICE_CLOCK_AHEAD:
        raise RuleBroken(
            "occurred_at",
            f"is {(occurred_at - received_at)} ahead of the server's clock; check the device's time",
        )


def check_can_record(state: VisitState, worker_id: UUID) -> None:
    """Anything recorded at a visit needs the visit to be the worker's own (000 P18, P20)."""
    if not state.visit.is_allocated_to(worker_id):
        raise NotAllowed("This visit is not allocated to you, so you cannot record anything on it.")


def check_in(state: VisitState, worker_id: UUID, record_id: UUID, occurred_at: datetime) -> Attendance:
    """The worker's attendance once they check in; refused for a cancelled visit or a second check-in."""
    check_can_record(state, worker_id)
    if state.visit.cancelled:
        raise StateConflict("This visit was cancelled by the rota; a check-in cannot be recorded on it.")
    existing = state.attendances.get(worker_id)
    if existing is not None:
        raise StateConflict(
            f"You already checked in to this visit at {existing.checked_in_at.isoformat()} "
            f"(record {existing.check_in_record}); amend that record to correct it."
        )
    return Attendance(worker_id=worker_id, checked_in_at=occurred_at, check_in_record=record_id)


def check_out(state: VisitState, worker_id: UUID, record_id: UUID, occurred_at: datetime) -> Attendance:
    """The worker's attendance once they check out; needs their check-in, earlier than the check-out."""
    check_can_record(state, worker_id)
    existing = state.attendances.get(worker_id)
    if existing is None:
        raise StateConflict(
            "There is no check-in from you for this visit yet: send the check-in first "
            "(an offline app sends its records in the order they were made)."
        )
    if existing.checked_out_at is not None:
        raise StateConflict(
            f"You already checked out of this visit at {existing.checked_out_at.isoformat()} "
            f"(record {existing.check_out_record}); amend that record to correct it."
        )
    if occurred_at < existing.checked_in_at:
        raise RuleBroken(
            "occurred_at",
            f"the check-out time is before your check-in at {existing.checked_in_at.isoformat()}",
        )
    return replace(existing, checked_out_at=occurred_at, check_out_record=record_id)


def check_task(state: VisitState, task: str) -> None:
    """A task outcome must name a task of this visit's plan (000 P19: follow the plan)."""
    if task not in state.visit.tasks:
        known = ", ".join(state.visit.tasks) or "none"
        raise RuleBroken("task", f"is not a task of this visit's plan (its tasks: {known})")


@dataclass(frozen=True)
class HomeFacts:
    """What the visits service knows about the individual's home to verify presence."""

    location: Point | None
    phone: str | None
    nfc_tags: frozenset[str]


@dataclass(frozen=True)
class Evidence:
    """What the app sent to show presence: a position, an NFC tag, a telephony caller, or several."""

    method: str
    position: Point | None = None
    accuracy_m: float | None = None
    nfc_tag_id: str | None = None
    telephony_number: str | None = None


@dataclass(frozen=True)
class Verdict:
    """How convincing the evidence was; a flagged record is still accepted (and says why)."""

    distance_m: float | None
    flag_reasons: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        """Whether anything about the evidence needs a coordinator's look."""
        return bool(self.flag_reasons)


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())[-10:]


def verify(evidence: Evidence, home: HomeFacts, max_distance_m: float) -> Verdict:
    """Judge the evidence against the home. Far, unknown or unmatched evidence is flagged, not refused.

    A record is never refused for its location: a worker in a patchy-signal village must still be able
    to record the visit, and a coordinator reviews the flag (EVV location element).
    """
    reasons: list[str] = []
    distance = None
    if evidence.position is not None:
        if home.location is None:
            reasons.append("home_location_unknown")
        else:
            distance = round(distance_m(evidence.position, home.location), 1)
            if distance > max_distance_m:
                reasons.append("far_from_home")
            if evidence.accuracy_m is not None and evidence.accuracy_m > max_distance_m:
                reasons.append("position_inaccurate")
    if evidence.method == "nfc" and evidence.nfc_tag_id not in home.nfc_tags:
        reasons.append("unknown_nfc_tag")
    if evidence.method == "telephony":
        caller = _digits(evidence.telephony_number or "")
        if not home.phone or not caller or caller != _digits(home.phone):
            reasons.append("unrecognised_phone")
    return Verdict(distance_m=distance, flag_reasons=tuple(reasons))
