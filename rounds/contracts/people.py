"""Events the people service publishes.

Worker events go to ``rounds.people.workers`` keyed by ``worker_id``. Everything about one individual
(the individual, their key people, their plan and their home's risk assessment) goes to
``rounds.people.individuals`` keyed by ``individual_id``, so a consumer sees an individual's events in
the order they happened (e.g. a key person added before the plan that names them as representative).

The on-call roster (000 P37) goes to ``rounds.people.oncall`` keyed by ``locality``: each shift as it now
stands, and the gaps in each locality's cover, so alerts keeps its own read model of who to call.

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


class PlanVisit(BaseModel):
    """A kind of visit in an agreed plan and its tasks (003 P6; 000 P19-P20).

    ``id`` is stable across plan versions, so the rota keeps a visit's allocation when its line did not
    change. ``weekdays`` are 0 (Monday) to 6 (Sunday); ``preferred_start`` is local wall-clock ``HH:MM``
    in ``time_zone``; the visit may start ``flexibility_minutes`` either side of it.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    weekdays: list[int]
    preferred_start: str
    duration_minutes: int
    flexibility_minutes: int = 30
    tasks: list[str] = Field(default_factory=list)
    workers_required: int = 1
    required_skills: list[str] = Field(default_factory=list)


class PlanRisk(BaseModel):
    """A risk and its agreed management (003 P3, P8), for the worker's visit details."""

    model_config = ConfigDict(frozen=True)

    description: str
    management: str
    likelihood: str = "medium"


class CarePlanAgreed(Event):
    """A version of an individual's service delivery plan was agreed and is now in force (003 P14, P30).

    Sent for the first agreed version and for every agreed revision; ``supersedes_version`` names the
    version it replaces (None for the first). The rota rebuilds the individual's package from
    ``visits`` from ``start_date`` on (future visits only); the visits service takes each visit kind's
    ``tasks`` (000 P19). ``version`` grows with every agreed version: keep the newest, ignore older.
    """

    type: ClassVar[str] = "rounds.careplan.agreed.v1"
    topic: ClassVar[str] = INDIVIDUALS_TOPIC
    key_field: ClassVar[str] = "individual_id"

    individual_id: UUID
    plan_id: UUID
    version: int
    supersedes_version: int | None = None
    locality: str
    start_date: date
    end_date: date | None = None
    review_date: date | None = None
    visits: list[PlanVisit] = Field(default_factory=list)
    risks: list[PlanRisk] = Field(default_factory=list)
    outcomes: list[str] = Field(default_factory=list)
    agreed_at: datetime
    time_zone: str = "Europe/London"


class CarePlanRevisionStarted(Event):
    """A coordinator began revising an individual's plan (003 P19): a new draft exists.

    Nothing changes for the rota until the revision is agreed (:class:`CarePlanAgreed`); alerts may tell
    key people who asked to hear of ``plan_changes`` that a review is under way.
    """

    type: ClassVar[str] = "rounds.careplan.revision.started.v1"
    topic: ClassVar[str] = INDIVIDUALS_TOPIC
    key_field: ClassVar[str] = "individual_id"

    individual_id: UUID
    plan_id: UUID
    version: int
    in_force_version: int | None = None
    started_at: datetime


ONCALL_TOPIC = "rounds.people.oncall"


class _OnCallShiftRecord(Event):
    """One stretch of on-call cover (000 P37) as it now stands; the newest ``version`` of a shift wins.

    Keyed by ``locality`` so a consumer sees one locality's roster changes in order. ``locality`` ``*``
    is provider-wide cover that backs every locality up. ``level`` 1 answers first, 2 is who an alert
    escalates to when level 1 does not acknowledge, and so on. ``starts_at``/``ends_at`` are UTC
    instants, end exclusive; the roster was written in ``time_zone`` local time, so a shift that spans
    a clock change is an hour shorter or longer than its wall-clock times suggest. ``status`` is
    ``scheduled`` or ``cancelled`` (a cancelled shift covers nothing). A worker on the roster who is
    absent (``rounds.worker.absence.*`` on ``rounds.people.workers``) does not answer: people leaves
    them out of its chain and reports the gap their absence opens (:class:`OnCallGapsReported`).
    """

    topic: ClassVar[str] = ONCALL_TOPIC
    key_field: ClassVar[str] = "locality"

    shift_id: UUID
    version: int
    locality: str
    level: int = Field(ge=1)
    worker_id: UUID
    worker_name: str
    role: str
    contact_phone: str
    contact_email: str | None = None
    starts_at: datetime
    ends_at: datetime
    status: str = "scheduled"
    time_zone: str = "Europe/London"


class OnCallShiftScheduled(_OnCallShiftRecord):
    """Someone was put on call for a locality, at a level, from one instant to another."""

    type: ClassVar[str] = "rounds.oncall.shift.scheduled.v1"


class OnCallShiftChanged(_OnCallShiftRecord):
    """A shift changed hands, moved, or was cancelled (``status``): the shift as it now stands."""

    type: ClassVar[str] = "rounds.oncall.shift.changed.v1"


class OnCallGap(BaseModel):
    """A stretch of required cover with nobody on call at ``level`` (UTC instants, end exclusive)."""

    model_config = ConfigDict(frozen=True)

    level: int
    starts_at: datetime
    ends_at: datetime


class OnCallGapsReported(Event):
    """The gaps in a locality's on-call cover over the coming horizon (000 P37), all of them.

    Sent whenever the set of gaps changes (a shift added, moved or cancelled, or a periodic review as
    the horizon moves on). It replaces any earlier report for the locality: an empty ``gaps`` means the
    horizon is covered. Alerts raises a gap to the registered manager. Provider-wide cover (``*``)
    counts towards every locality's cover.
    """

    type: ClassVar[str] = "rounds.oncall.gaps.reported.v1"
    topic: ClassVar[str] = ONCALL_TOPIC
    key_field: ClassVar[str] = "locality"

    locality: str
    checked_at: datetime
    horizon_start: datetime
    horizon_end: datetime
    levels_required: int = 1
    gaps: list[OnCallGap] = Field(default_factory=list)
    time_zone: str = "Europe/London"


class WorkingHours(BaseModel):
    """Hours a worker works on one weekday, local wall-clock ``HH:MM`` (``end`` after ``start``)."""

    model_config = ConfigDict(frozen=True)

    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start: str
    end: str


class WorkerAvailabilityChanged(Event):
    """A worker's working pattern changed (7-day services): the whole pattern as it now stands.

    The rota plans a worker only within these hours (local wall-clock in ``time_zone``, so 07:00-14:00
    stays 07:00-14:00 across a clock change). An empty ``hours`` means they are not to be planned.
    The newest ``version`` wins.
    """

    type: ClassVar[str] = "rounds.worker.availability.changed.v1"
    topic: ClassVar[str] = WORKERS_TOPIC
    key_field: ClassVar[str] = "worker_id"

    worker_id: UUID
    locality: str
    version: int
    hours: list[WorkingHours] = Field(default_factory=list)
    max_working_minutes_per_day: int | None = None
    time_zone: str = "Europe/London"


class _AbsenceRecord(Event):
    """A worker's absence as it now stands (000 P43): from ``starts_at`` to ``ends_at`` (UTC, end exclusive).

    ``kind`` is ``annual_leave``, ``sickness``, ``training``, ``compassionate`` or ``other``;
    ``short_notice`` is true when it was recorded on the day it starts or later (the rota repairs the
    affected visits at once). ``status`` ``cancelled`` means the worker is not absent after all. The
    newest ``version`` of an absence wins.
    """

    topic: ClassVar[str] = WORKERS_TOPIC
    key_field: ClassVar[str] = "worker_id"

    absence_id: UUID
    worker_id: UUID
    locality: str
    version: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    short_notice: bool = False
    status: str = "recorded"
    recorded_at: datetime


class WorkerAbsenceRecorded(_AbsenceRecord):
    """A worker will be (or is) away: leave booked in advance, or sickness reported on the day."""

    type: ClassVar[str] = "rounds.worker.absence.recorded.v1"


class WorkerAbsenceChanged(_AbsenceRecord):
    """An absence was moved, shortened (back early), extended, or cancelled (``status``)."""

    type: ClassVar[str] = "rounds.worker.absence.changed.v1"


class HazardNotice(BaseModel):
    """A hazard in the home and what workers do about it (000 P16), for the worker's visit details."""

    model_config = ConfigDict(frozen=True)

    kind: str
    description: str
    level: str
    controls: str


class _RiskAssessmentRecord(Event):
    """The risk assessment of an individual's home as it now stands (000 P14-P17); newest ``version`` wins.

    ``double_up_required`` is a hard rule for the rota: every visit needs two workers (P17).
    ``hazards`` go to the worker's visit details; ``overall`` is the highest hazard level.
    ``status`` ``ended`` means the assessment no longer applies.
    """

    topic: ClassVar[str] = INDIVIDUALS_TOPIC
    key_field: ClassVar[str] = "individual_id"

    individual_id: UUID
    version: int
    locality: str
    assessed_on: date
    review_date: date
    overall: str
    double_up_required: bool = False
    double_up_reason: str | None = None
    history_of_aggression: bool = False
    mobile_signal: bool = True
    hazards: list[HazardNotice] = Field(default_factory=list)
    status: str = "current"


class RiskAssessmentRecorded(_RiskAssessmentRecord):
    """The home was assessed for the first time."""

    type: ClassVar[str] = "rounds.individual.riskassessment.recorded.v1"


class RiskAssessmentUpdated(_RiskAssessmentRecord):
    """The home's assessment was reviewed or changed, or ended (``status``)."""

    type: ClassVar[str] = "rounds.individual.riskassessment.updated.v1"


class CarePlanEnded(Event):
    """An individual's plan ended: no visits from the day after ``end_date`` (the last day it applies).

    ``version`` is the version that was in force (None when no version was ever agreed). The rota
    cancels the package's visits after ``end_date``; alerts may tell key people who asked to hear of
    ``plan_changes``.
    """

    type: ClassVar[str] = "rounds.careplan.ended.v1"
    topic: ClassVar[str] = INDIVIDUALS_TOPIC
    key_field: ClassVar[str] = "individual_id"

    individual_id: UUID
    plan_id: UUID
    version: int | None = None
    end_date: date
    reason: str | None = None
    ended_at: datetime


class IndividualAnonymised(Event):
    """An individual's identifying details were removed when their retention period ran out (issue 12).

    Names, contacts, NHS number, date of birth, address and access notes are gone from people; ids,
    locality and history stay for statistics. Every service holding a copy of the individual or their key
    people (names, addresses, phones) removes it on this event; ``version`` is the individual's new version.
    """

    type: ClassVar[str] = "rounds.individual.anonymised.v1"
    topic: ClassVar[str] = INDIVIDUALS_TOPIC
    key_field: ClassVar[str] = "individual_id"

    individual_id: UUID
    version: int
    locality: str
    key_person_ids: list[UUID] = Field(default_factory=list)
    care_ended_on: date
    retained_until: date
    anonymised_at: datetime
