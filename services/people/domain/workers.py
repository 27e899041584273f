"""Care workers and what the provider holds about them (000 P2-P6; 004 job specification).

A worker's record carries what the rota needs to plan with them (skills, gender, languages, home base,
transport, contracted hours) and what a registered manager needs to know they may be sent out
(registrations such as HCPC, the DBS certificate and its re-check date, mandatory training): see
:mod:`services.people.domain.compliance`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from uuid import UUID

from services.people.domain.geo import Coordinates


class WorkerRole(StrEnum):
    """What a member of staff does; drives what the rota may give them and what they may see."""

    CARE_WORKER = "care_worker"
    SENIOR_CARE_WORKER = "senior_care_worker"
    NURSE = "nurse"
    OCCUPATIONAL_THERAPIST = "occupational_therapist"
    COORDINATOR = "coordinator"
    REGISTERED_MANAGER = "registered_manager"


#: Roles that coordinate the service: they may read restricted notes and sign plans off (003 P14).
COORDINATING_ROLES = frozenset({WorkerRole.COORDINATOR, WorkerRole.REGISTERED_MANAGER})


class ContractType(StrEnum):
    """The worker's contract (000 P3: a written contract for every worker)."""

    PERMANENT = "permanent"
    FIXED_TERM = "fixed_term"
    ZERO_HOURS = "zero_hours"
    BANK = "bank"
    AGENCY = "agency"


class ProgressStatus(StrEnum):
    """Where a worker stands in their probation or induction (000 P6; 004 probation at months 1/3/5/6)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"
    COMPLETED = "completed"


class TransportMode(StrEnum):
    """How the worker travels between homes; the rota's travel times depend on it."""

    CAR = "car"
    PUBLIC_TRANSPORT = "public_transport"
    BICYCLE = "bicycle"
    WALKING = "walking"


class EmploymentStatus(StrEnum):
    """Whether the worker is still with the provider."""

    ACTIVE = "active"
    ENDED = "ended"


@dataclass(frozen=True)
class Competency:
    """A skill or piece of training with its evidence; ``mandatory`` training gates work when expired.

    ``expires_on`` is the first day it no longer counts (see the compliance module for why).
    """

    name: str
    evidence: str | None = None
    achieved_on: date | None = None
    expires_on: date | None = None
    mandatory: bool = False


@dataclass(frozen=True)
class Registration:
    """A professional registration (004: HCPC for occupational therapists, NMC for nurses)."""

    body: str
    number: str
    expires_on: date | None = None


@dataclass(frozen=True)
class DbsCheck:
    """The worker's Disclosure and Barring Service certificate and when it must be checked again."""

    certificate_number: str
    issued_on: date
    recheck_due: date | None = None
    level: str = "enhanced"


@dataclass
class Worker:
    """A member of the provider's workforce."""

    id: UUID
    given_name: str
    family_name: str
    role: WorkerRole
    locality: str
    skills: list[str] = field(default_factory=list)
    contracted_hours_per_week: float | None = None
    start_date: date | None = None
    job_title: str | None = None
    contract_type: ContractType | None = None
    probation_status: ProgressStatus | None = None
    induction_status: ProgressStatus | None = None
    competencies: list[Competency] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    dbs: DbsCheck | None = None
    languages: list[str] = field(default_factory=list)
    gender: str | None = None
    home_base: Coordinates | None = None
    transport_mode: TransportMode | None = None
    line_manager_id: UUID | None = None
    team_id: UUID | None = None
    status: EmploymentStatus = EmploymentStatus.ACTIVE
    ended_on: date | None = None
    version: int = 1

    @property
    def full_name(self) -> str:
        """Given and family name, as a coordinator reads it."""
        return f"{self.given_name} {self.family_name}"

    def skills_on(self, day: date) -> list[str]:
        """The skills the rota may plan with on ``day``: declared skills plus competencies not expired."""
        current = [c.name for c in self.competencies if c.expires_on is None or day < c.expires_on]
        return normalise_skills([*self.skills, *current])


class WorkerRuleBroken(ValueError):
    """A change that would leave the worker's record inconsistent, with the field at fault."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


def check_worker(worker: Worker) -> None:
    """Raise :class:`WorkerRuleBroken` for a record that cannot stand."""
    if worker.line_manager_id == worker.id:
        raise WorkerRuleBroken("line_manager_id", "a worker cannot be their own line manager")
    if worker.status is EmploymentStatus.ENDED and worker.ended_on is None:
        raise WorkerRuleBroken("ended_on", "an ended worker needs the date they left")
    if worker.ended_on and worker.start_date and worker.ended_on < worker.start_date:
        raise WorkerRuleBroken("ended_on", "cannot be before the start date")
    if worker.dbs and worker.dbs.recheck_due and worker.dbs.recheck_due < worker.dbs.issued_on:
        raise WorkerRuleBroken("dbs.recheck_due", "cannot be before the certificate was issued")
    for index, competency in enumerate(worker.competencies):
        if (
            competency.achieved_on
            and competency.expires_on
            and competency.expires_on <= competency.achieved_on
        ):
            raise WorkerRuleBroken(f"competencies.{index}.expires_on", "must be after the date achieved")


def normalise_skills(skills: list[str]) -> list[str]:
    """Skills as the rota matches them: trimmed, lower case, each once, in the order given."""
    seen: dict[str, None] = {}
    for skill in skills:
        cleaned = skill.strip().lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)
