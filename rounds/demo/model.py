"""The demo provider as plain data: what the generator makes and the loader and simulator read.

Every record has a ``ref``, a stable name made by the generator (``w-00012``, ``i-00345``), because the
services give their own ids when a record is created: the loader maps refs to those ids, and the
simulator finds a worker's visits by ref. Times of day are the provider's local wall-clock times
(Europe/London); dates are local days. Nothing here does I/O.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, time

#: The service runs every day of the week from 07:00 to 22:00 local time.
SERVICE_DAYS: frozenset[int] = frozenset(range(7))
SERVICE_START = time(7, 0)
SERVICE_END = time(22, 0)

#: Roles whose members go out on visits (the others run the office).
VISITING_ROLES: frozenset[str] = frozenset({"care_worker", "senior_care_worker", "nurse"})


@dataclass(frozen=True, slots=True)
class Point:
    """A place in WGS84 degrees."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Team:
    """A team within a locality, led by a manager (a worker's ref)."""

    ref: str
    name: str
    locality: str
    manager_ref: str | None


@dataclass(frozen=True, slots=True)
class Locality:
    """A branch of the provider, with the town its office is in."""

    ref: str
    name: str
    county: str
    office: Point
    rural: bool


@dataclass(frozen=True, slots=True)
class Shift:
    """A weekly working block: ``weekday`` 0 (Monday) to 6 (Sunday), local start and end."""

    weekday: int
    start: time
    end: time

    @property
    def minutes(self) -> int:
        """How long the shift lasts."""
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


@dataclass(frozen=True, slots=True)
class Training:
    """A competency with its dates; ``expires_on`` is the first day it no longer counts."""

    name: str
    achieved_on: date
    expires_on: date | None
    mandatory: bool


@dataclass(frozen=True, slots=True)
class Dbs:
    """An enhanced DBS certificate and when it is due to be checked again."""

    certificate_number: str
    issued_on: date
    recheck_due: date


@dataclass(frozen=True, slots=True)
class ProfessionalRegistration:
    """A registration with a professional body (NMC for nurses, HCPC for therapists)."""

    body: str
    number: str
    expires_on: date


@dataclass(frozen=True, slots=True)
class Worker:
    """A member of staff: who they are, what they can do, when and from where they work."""

    ref: str
    given_name: str
    family_name: str
    gender: str
    role: str
    job_title: str
    locality: str
    team_ref: str | None
    line_manager_ref: str | None
    skills: tuple[str, ...]
    training: tuple[Training, ...]
    contract_type: str
    contracted_hours_per_week: float | None
    start_date: date
    probation_status: str
    induction_status: str
    dbs: Dbs
    registrations: tuple[ProfessionalRegistration, ...]
    languages: tuple[str, ...]
    home: Point
    home_settlement: str
    transport: str
    shifts: tuple[Shift, ...]
    phone: str

    @property
    def visits(self) -> bool:
        """Whether the worker goes out on visits."""
        return self.role in VISITING_ROLES

    def may_work_on(self, day: date) -> bool:
        """Whether mandatory training, DBS re-check and registrations are all current on ``day``.

        The same rule as people's compliance: an expiry or re-check date is itself too late.
        """
        return (
            self.start_date <= day
            and day < self.dbs.recheck_due
            and all(t.expires_on is None or day < t.expires_on for t in self.training if t.mandatory)
            and all(day < r.expires_on for r in self.registrations)
        )

    @property
    def weekly_shift_minutes(self) -> int:
        """Minutes the worker is rostered to be available in a week."""
        return sum(shift.minutes for shift in self.shifts)


@dataclass(frozen=True, slots=True)
class Address:
    """A home: address lines, postcode and its coordinates."""

    lines: tuple[str, ...]
    postcode: str
    location: Point
    settlement: str


@dataclass(frozen=True, slots=True)
class PreferredTime:
    """A time of day the individual would like a visit in."""

    label: str
    earliest: time
    latest: time


@dataclass(frozen=True, slots=True)
class Preferences:
    """Preferred times (soft), carer gender and refused workers (hard rules for the rota)."""

    visit_times: tuple[PreferredTime, ...] = ()
    carer_gender: str | None = None
    refused_worker_refs: tuple[str, ...] = ()
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class KeyPerson:
    """Someone important to the individual, and how and when they want to be told (000 P44, P45)."""

    ref: str
    given_name: str
    family_name: str
    relationship: str
    phone: str | None
    email: str | None
    lasting_power_of_attorney: str
    is_representative: bool
    consent_to_be_informed: bool
    informed_of: tuple[str, ...]
    preferred_channel: str | None
    language: str
    quiet_hours_start: time | None
    quiet_hours_end: time | None


@dataclass(frozen=True, slots=True)
class PlanVisit:
    """A kind of visit in the plan and its tasks (003 P6; 000 P19-P20), on ``weekdays`` 0-6.

    ``workers_required`` is 2 for a double-up (two workers together, e.g. for a hoist transfer).
    """

    id: str
    name: str
    weekdays: frozenset[int]
    preferred_start: time
    duration_minutes: int
    flexibility_minutes: int
    tasks: tuple[str, ...]
    workers_required: int
    required_skills: frozenset[str]

    @property
    def earliest_start(self) -> int:
        """Minutes after midnight the visit may start at the earliest."""
        return self.preferred_start.hour * 60 + self.preferred_start.minute - self.flexibility_minutes

    @property
    def latest_end(self) -> int:
        """Minutes after midnight the visit ends at the latest."""
        start = self.preferred_start.hour * 60 + self.preferred_start.minute
        return start + self.flexibility_minutes + self.duration_minutes


@dataclass(frozen=True, slots=True)
class Need:
    """An assessed need (003 P1)."""

    description: str
    specialist: bool = False


@dataclass(frozen=True, slots=True)
class Risk:
    """A risk and its agreed management (003 P3, P8)."""

    description: str
    management: str
    likelihood: str = "medium"


@dataclass(frozen=True, slots=True)
class Plan:
    """The service delivery plan (003 HSC415): needs, outcomes, risks, visits, what family provides."""

    package: str
    start_date: date
    review_date: date
    needs: tuple[Need, ...]
    outcomes: tuple[str, ...]
    risks: tuple[Risk, ...]
    visits: tuple[PlanVisit, ...]
    network_support: tuple[tuple[str, str], ...]
    flexibility: str
    monitoring: str
    #: Who holds a copy (003 P15, P32): ``(holder, kind)`` with kind individual, key_person or provider.
    copies_held_by: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class AccessNotes:
    """How to get into the home (restricted)."""

    notes: str
    key_safe_code: str | None


@dataclass(frozen=True, slots=True)
class Individual:
    """A person the provider supports at home, with their plan and the people important to them."""

    ref: str
    given_name: str
    family_name: str
    preferred_name: str | None
    gender: str
    date_of_birth: date
    nhs_number: str
    phone: str | None
    locality: str
    address: Address
    language: str
    interpreter_needed: bool
    communication_needs: tuple[str, ...]
    accessible_formats: tuple[str, ...]
    preferences: Preferences
    key_people: tuple[KeyPerson, ...]
    plan: Plan
    access_notes: AccessNotes | None


@dataclass(frozen=True, slots=True)
class OnCallShift:
    """Who is on call for a locality out of hours (000 P37), from ``day`` at ``start`` to ``end`` next day."""

    locality: str
    worker_ref: str
    day: date
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Provider:
    """A whole synthetic provider, reproducible from its ``seed``, ``size`` and ``as_of`` day."""

    name: str
    size: str
    seed: int
    as_of: date
    time_zone: str
    localities: tuple[Locality, ...]
    teams: tuple[Team, ...]
    workers: tuple[Worker, ...]
    individuals: tuple[Individual, ...]
    on_call: tuple[OnCallShift, ...]
    service_days: frozenset[int] = field(default=SERVICE_DAYS)
    service_start: time = SERVICE_START
    service_end: time = SERVICE_END

    def visits_on(self, weekday: int) -> list[tuple[Individual, PlanVisit]]:
        """Every planned visit on ``weekday`` (0 Monday to 6 Sunday), by individual."""
        return [
            (individual, visit)
            for individual in self.individuals
            for visit in individual.plan.visits
            if weekday in visit.weekdays
        ]

    def summary(self) -> dict[str, int]:
        """Counts a person checks a generated provider by (and the loader reports against)."""
        roles = Counter(worker.role for worker in self.workers)
        lines = [visit for individual in self.individuals for visit in individual.plan.visits]
        weekly = sum(len(visit.weekdays) for visit in lines)
        double_ups = sum(len(visit.weekdays) for visit in lines if visit.workers_required > 1)
        return {
            "localities": len(self.localities),
            "teams": len(self.teams),
            "workers": len(self.workers),
            **{f"workers.{role}": count for role, count in sorted(roles.items())},
            "individuals": len(self.individuals),
            "key_people": sum(len(i.key_people) for i in self.individuals),
            "plans": len(self.individuals),
            "plan_visit_lines": len(lines),
            "visits_per_week": weekly,
            "double_up_visits_per_week": double_ups,
            "visits_on_monday": len(self.visits_on(0)),
            "on_call_shifts": len(self.on_call),
        }
