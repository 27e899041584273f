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
