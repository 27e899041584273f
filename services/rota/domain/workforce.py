"""The rota's view of the workforce: who can be allocated, with which skills (001 P5)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from uuid import UUID

from services.rota.domain.geo import Location


@dataclass
class RotaWorker:
    """A worker as the rota plans with them, learnt from the people service's events."""

    id: UUID
    given_name: str
    family_name: str
    role: str
    locality: str
    skills: list[str] = field(default_factory=list)
    contracted_hours_per_week: float | None = None
    known_since: datetime | None = None
    version: int = 0  # of people's record this copy was made from: an older event changes nothing

    def has_skills(self, required: set[str]) -> bool:
        """Whether the worker holds every skill in ``required`` (001 P5: allocate by competence)."""
        return required <= set(self.skills)


@dataclass(frozen=True)
class PlanningProfile:
    """What the rota needs to plan a worker beyond their registration.

    ``availability`` is a weekly pattern in local wall-clock times (0 = Monday), so a shift from 07:00
    to 14:00 stays 07:00 to 14:00 on both sides of a clock change; ``absences`` are UTC instants.
    A worker without availability is not planned at all (the rota never guesses someone's hours).
    """

    gender: str | None = None
    home: Location | None = None
    transport: str = "car"
    availability: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    absences: tuple[tuple[datetime, datetime], ...] = ()
    max_working_minutes: int = 600
    may_work: bool = True  # people's compliance verdict (registration, DBS, mandatory training)
    ended_on: date | None = None  # the first day the worker no longer works for the provider

    def plannable_on(self, day: date) -> bool:
        """Whether the worker may be given visits on local ``day`` at all."""
        return self.may_work and (self.ended_on is None or day < self.ended_on)

    def with_hours(self, given: PlanningProfile, fields: set[str]) -> PlanningProfile:
        """This profile with the ``fields`` a coordinator gave (hours, home, gender, transport).

        What they did not give, and what others told the rota (absences, compliance, the end of
        employment, the home base people knows), is kept.
        """
        editable = {"gender", "home", "transport", "availability", "max_working_minutes"}
        return replace(self, **{name: getattr(given, name) for name in fields & editable})

    def with_absence(self, start: datetime, end: datetime) -> PlanningProfile:
        """The profile with one more absence."""
        return replace(self, absences=(*self.absences, (start, end)))
