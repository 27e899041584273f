"""Events the people service publishes.

Worker events go to ``rounds.people.workers`` keyed by ``worker_id``. Everything about one individual
(the individual, their key people, their plan and their home's risk assessment) goes to
``rounds.people.individuals`` keyed by ``individual_id``, so a consumer sees an individual's events in
the order they happened (e.g. a key person added before the plan that names them as representative).

Worker and individual events carry the whole current record that other services need ("state
carried"), with a ``version`` that grows by one on every change: a consumer keeps the newest version
it has seen and ignores an older one, so replays and redeliveries are harmless. Restricted data
(access notes, key-safe codes) never leaves the people service in an event.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from rounds.contracts.base import Event

WORKERS_TOPIC = "rounds.people.workers"
INDIVIDUALS_TOPIC = "rounds.people.individuals"


class GeoPoint(BaseModel):
    """A point in WGS84 degrees."""

    model_config = ConfigDict(frozen=True)

    lat: float
    lon: float


class CompetencyHeld(BaseModel):
    """A skill or training a worker holds, and the first day it no longer counts (None: no expiry)."""

    model_config = ConfigDict(frozen=True)

    name: str
    expires_on: date | None = None
    mandatory: bool = False


class WorkerRegistered(Event):
    """A care worker joined the provider and can now be planned for (000 P2).

    The fields after ``start_date`` were added later and are optional, so v1 consumers keep working.
    """

    type: ClassVar[str] = "rounds.worker.registered.v1"
    topic: ClassVar[str] = WORKERS_TOPIC
    key_field: ClassVar[str] = "worker_id"

    worker_id: UUID
    given_name: str
    family_name: str
    role: str
    locality: str
    skills: list[str] = Field(default_factory=list)
    contracted_hours_per_week: float | None = None
    start_date: date | None = None
    job_title: str | None = None
    contract_type: str | None = None
    competencies: list[CompetencyHeld] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    gender: str | None = None
    home_base: GeoPoint | None = None
    transport_mode: str | None = None
    line_manager_id: UUID | None = None
    team_id: UUID | None = None
    version: int = 1
    may_work: bool | None = Field(
        default=None,
        description="The compliance verdict on the day of registration (see compliance.changed).",
    )
    compliance_reasons: list[str] = Field(default_factory=list)


class WorkerUpdated(Event):
    """A worker's record changed: the whole record as it now stands (the newest ``version`` wins).

    ``status`` is ``active`` or ``ended``; an ended worker (``ended_on``, the first day they no longer
    work) must not be planned from that day on. ``skills`` lists declared skills and competencies that
    had not expired when the event was written; ``competencies`` lets a consumer check a later day.
    """

    type: ClassVar[str] = "rounds.worker.updated.v1"
    topic: ClassVar[str] = WORKERS_TOPIC
    key_field: ClassVar[str] = "worker_id"

    worker_id: UUID
    version: int
    given_name: str
    family_name: str
    role: str
    locality: str
    status: str
    ended_on: date | None = None
    skills: list[str] = Field(default_factory=list)
    competencies: list[CompetencyHeld] = Field(default_factory=list)
    contracted_hours_per_week: float | None = None
    start_date: date | None = None
    job_title: str | None = None
    contract_type: str | None = None
    languages: list[str] = Field(default_factory=list)
    gender: str | None = None
    home_base: GeoPoint | None = None
    transport_mode: str | None = None
    line_manager_id: UUID | None = None
    team_id: UUID | None = None


class WorkerComplianceChanged(Event):
    """Whether a worker may work changed (registration, DBS, mandatory training; 000 P1, 004).

    ``day`` is the provider's local day the verdict is for; ``reasons`` are stable codes such as
    ``registration_expired``, ``dbs_recheck_overdue`` or ``mandatory_training_expired:<name>``, empty
    when ``may_work`` is true. Rota stops allocating a worker who may not work; supervision follows up.
    """

    type: ClassVar[str] = "rounds.worker.compliance.changed.v1"
    topic: ClassVar[str] = WORKERS_TOPIC
    key_field: ClassVar[str] = "worker_id"

    worker_id: UUID
    locality: str
    day: date
    may_work: bool
    reasons: list[str] = Field(default_factory=list)
    checked_at: datetime


class PreferredTime(BaseModel):
    """A time of day the individual would like a visit in (local wall-clock ``HH:MM``)."""

    model_config = ConfigDict(frozen=True)

    label: str
    earliest: str
    latest: str


class _IndividualRecord(Event):
    """What other services need of an individual (no NHS number, no date of birth, no access notes).

    ``status`` is ``active``, ``in_hospital`` (visits pause, 000 P43) or ``ended``. ``carer_gender``
    and ``refused_worker_ids`` are hard rules for the rota; ``preferred_times`` are soft. ``language``,
    ``communication_needs`` and ``accessible_formats`` tell alerts how to write to them (000 K7).
    """

    topic: ClassVar[str] = INDIVIDUALS_TOPIC
    key_field: ClassVar[str] = "individual_id"

    individual_id: UUID
    version: int
    given_name: str
    family_name: str
    preferred_name: str | None = None
    locality: str
    status: str
    address: str
    location: GeoPoint
    phone: str | None = None
    language: str = "en"
    interpreter_needed: bool = False
    communication_needs: list[str] = Field(default_factory=list)
    accessible_formats: list[str] = Field(default_factory=list)
    preferred_times: list[PreferredTime] = Field(default_factory=list)
    carer_gender: str | None = None
    refused_worker_ids: list[UUID] = Field(default_factory=list)
    time_zone: str = "Europe/London"


class IndividualRegistered(_IndividualRecord):
    """A new individual receives care from the provider (000 P2)."""

    type: ClassVar[str] = "rounds.individual.registered.v1"


class IndividualUpdated(_IndividualRecord):
    """An individual's record changed: the record as it now stands (the newest ``version`` wins)."""

    type: ClassVar[str] = "rounds.individual.updated.v1"


class IndividualStatusChanged(Event):
    """An individual went into hospital, came home, or their service ended (000 P43, P44).

    Rota cancels or restores visits from ``effective_at``; alerts tells the people who consented.
    """

    type: ClassVar[str] = "rounds.individual.status.changed.v1"
    topic: ClassVar[str] = INDIVIDUALS_TOPIC
    key_field: ClassVar[str] = "individual_id"

    individual_id: UUID
    version: int
    locality: str
    previous_status: str
    status: str
    effective_at: datetime
    reason: str | None = None


class _KeyPersonRecord(Event):
    """A key person as alerts needs them to inform them (000 P44): contact, consent, channel, quiet hours.

    ``informed_of`` lists what they consented to hear about (``visit_changes``, ``missed_visits``,
    ``incidents``, ``plan_changes``, ``hospital_admissions``); nothing may be sent when
    ``consent_to_be_informed`` is false or ``active`` is false. Quiet hours are local wall-clock times
    in ``time_zone`` and may wrap midnight (22:00-07:00).
    """

    topic: ClassVar[str] = INDIVIDUALS_TOPIC
    key_field: ClassVar[str] = "individual_id"

    individual_id: UUID
    key_person_id: UUID
    version: int
    given_name: str
    family_name: str
    relationship: str
    phone: str | None = None
    email: str | None = None
    lasting_power_of_attorney: str = "none"
    is_representative: bool = False
    consent_to_be_informed: bool = False
    informed_of: list[str] = Field(default_factory=list)
    preferred_channel: str | None = None
    language: str = "en"
    quiet_hours_start: str | None = None
    quiet_hours_end: str | None = None
    time_zone: str = "Europe/London"
    active: bool = True


class KeyPersonAdded(_KeyPersonRecord):
    """Someone important to the individual was recorded."""

    type: ClassVar[str] = "rounds.keyperson.added.v1"


class KeyPersonUpdated(_KeyPersonRecord):
    """A key person's record changed (or they were removed: ``active`` false)."""

    type: ClassVar[str] = "rounds.keyperson.updated.v1"
