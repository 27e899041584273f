"""Events the rota service publishes.

Visit events go to ``rounds.rota.visits`` keyed by ``visit_id`` (the order that matters is one
visit's history). Each carries the visit as it now stands, so that the visits service can expect a
visit (who, where, when, for how long, what to do) and alerts can tell the individual and key
people (000 P44) without calling the rota back. All instants are UTC; ``local_date`` and
``time_zone`` say which day of the provider's calendar the visit belongs to.

Worker schedule events go to ``rounds.rota.schedules`` keyed by ``worker_id``: a worker's day
changed, so alerts tells the worker (000 P45) and their app refreshes the schedule (000 P18, P20).

The four visit events, and when each is sent:

* ``rounds.visit.scheduled.v1``: a visit came into being (a package or agreed plan was created or
  changed, or the horizon moved on). ``workers`` is empty: nobody is allocated yet.
* ``rounds.visit.allocated.v1``: who does the visit, or when it starts, was set or changed by a
  planning run, a coordinator's move, or a repair (``reason``). ``workers`` empty: unallocated now.
  ``planned_start`` is the allocated start, which may differ from the preferred time in its window.
* ``rounds.visit.changed.v1``: the visit was moved or changed by its package or plan (time, duration,
  tasks); its allocation is kept only when nothing it depends on changed (``workers`` says).
* ``rounds.visit.cancelled.v1``: the visit will not happen (the package or plan dropped it, or the
  individual is in hospital or left the service: ``reason``); ``workers`` were allocated and are free.

Every event carries the whole visit as it now stands, so a consumer keeps the latest per ``visit_id``
and needs nothing else. A worker whose day changed also gets one ``rounds.worker.schedule_changed.v1``
per day and change, with a version that only grows.

Compatibility: consumers must ignore fields they do not know; a new optional field keeps the
version, anything else is a new ``.v2`` class beside this one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from rounds.contracts.base import Event

#: Why an allocation or a visit changed: a planning run, a coordinator's move, a repair of the day
#: (sickness, a visit added, moved or cancelled), a change to the care package (or the agreed plan
#: it comes from), or the individual going into hospital, coming home or leaving the service.
ChangeReason = Literal["planning", "manual", "repair", "package_changed", "individual_status"]


class VisitPlace(BaseModel):
    """Where the visit happens, in WGS84 degrees (for the doorstep check of the visits service)."""

    lat: float
    lon: float


class _VisitSnapshot(Event):
    """The fields every visit event carries (not an event itself: it has no ``type``)."""

    topic: ClassVar[str] = "rounds.rota.visits"
    key_field: ClassVar[str] = "visit_id"

    visit_id: UUID
    individual_id: UUID
    package_id: UUID
    locality: str
    local_date: date
    time_zone: str = "Europe/London"
    planned_start: datetime = Field(description="UTC instant the visit is planned to start")
    planned_end: datetime = Field(description="UTC instant the visit is planned to end")
    window_start: datetime = Field(description="earliest acceptable start (UTC)")
    window_end: datetime = Field(description="latest acceptable start (UTC)")
    tasks: list[str] = Field(default_factory=list)
    workers_required: int = Field(ge=1, le=2)
    workers: list[UUID] = Field(default_factory=list, description="allocated workers; empty when unallocated")
    address: str = ""
    location: VisitPlace | None = Field(default=None, description="the individual's home (added in v1)")
    visit_kind: str | None = Field(
        default=None, description="the package line the visit comes from, e.g. 'morning' (added in v1)"
    )


class VisitScheduled(_VisitSnapshot):
    """A visit now exists in the rota (generated from a care package); it may not be allocated yet."""

    type: ClassVar[str] = "rounds.visit.scheduled.v1"


class VisitAllocated(_VisitSnapshot):
    """The workers of a visit were set or changed (``workers`` empty: it became unallocated)."""

    type: ClassVar[str] = "rounds.visit.allocated.v1"

    previous_workers: list[UUID] = Field(default_factory=list)
    reason: ChangeReason = "planning"
    override_reason: str | None = Field(
        default=None, description="a coordinator's reason for accepted soft rules"
    )


class VisitChanged(_VisitSnapshot):
    """The time, duration or tasks of a visit changed (000 P44: tell the individual)."""

    type: ClassVar[str] = "rounds.visit.changed.v1"

    previous_planned_start: datetime
    reason: ChangeReason = "package_changed"


class VisitCancelled(_VisitSnapshot):
    """The visit will not happen; ``workers`` were allocated to it and are now free."""

    type: ClassVar[str] = "rounds.visit.cancelled.v1"

    reason: ChangeReason = "package_changed"


class WorkerScheduleChanged(Event):
    """A worker's schedule for one local day changed (000 P45: tell the worker promptly)."""

    type: ClassVar[str] = "rounds.worker.schedule_changed.v1"
    topic: ClassVar[str] = "rounds.rota.schedules"
    key_field: ClassVar[str] = "worker_id"

    worker_id: UUID
    local_date: date
    time_zone: str = "Europe/London"
    schedule_version: int = Field(ge=1, description="increases with every published change of this day")
    visits_added: list[UUID] = Field(default_factory=list)
    visits_removed: list[UUID] = Field(default_factory=list)
    visits_moved: list[UUID] = Field(default_factory=list)
    reason: ChangeReason = "planning"
