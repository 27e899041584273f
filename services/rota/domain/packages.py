"""Care packages: the recurring visits an individual has agreed to (000 P18-P20, 003 flexibility).

A package is the rota's own model. Today coordinators create packages through the rota's API; when
people publishes an agreed plan event, a consumer of that event fills the very same model (the fields
``source_plan_id`` and ``source_plan_version`` say where a package came from, and the same
package id is kept across plan versions so regeneration replaces future visits only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from uuid import UUID

from services.rota.domain.geo import Location

#: Carer gender preferences the rota understands; ``None`` means no preference.
CARER_GENDERS = frozenset({"female", "male"})


class PackageRuleBroken(ValueError):
    """A package that cannot be planned, with the field at fault (shown as a problem+json field error)."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class RecurringVisit:
    """One line of a package: e.g. "Mon-Fri at 08:00 for 45 minutes, +/- 30 minutes, two workers".

    ``id`` is stable across package versions: generated visit ids derive from it and the date, so a
    regenerated visit keeps its id (and its allocation) when the line did not change.
    """

    id: str
    weekdays: frozenset[int]  # 0 = Monday ... 6 = Sunday, as date.weekday()
    preferred_start: time  # local wall-clock time in the provider's zone
    duration_minutes: int
    flexibility_minutes: int = 30  # the visit may start this much before or after the preferred time
    tasks: tuple[str, ...] = ()
    workers_required: int = 1  # 2 = a double-up: two workers start together
    required_skills: frozenset[str] = frozenset()

    def check(self, prefix: str) -> None:
        """Raise :class:`PackageRuleBroken` for a line the rota cannot plan."""
        if not self.id:
            raise PackageRuleBroken(f"{prefix}.id", "must not be empty")
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise PackageRuleBroken(
                f"{prefix}.weekdays", "must name at least one day, 0 (Monday) to 6 (Sunday)"
            )
        if not 5 <= self.duration_minutes <= 12 * 60:
            raise PackageRuleBroken(f"{prefix}.duration_minutes", "must be between 5 and 720 minutes")
        if not 0 <= self.flexibility_minutes <= 240:
            raise PackageRuleBroken(f"{prefix}.flexibility_minutes", "must be between 0 and 240 minutes")
        if self.workers_required not in (1, 2):
            raise PackageRuleBroken(f"{prefix}.workers_required", "a visit needs one or two workers")


@dataclass(frozen=True)
class CarePackage:
    """The recurring visits agreed for one individual, from ``start_date`` to ``end_date`` inclusive."""

    id: UUID
    individual_id: UUID
    locality: str
    location: Location
    visits: tuple[RecurringVisit, ...]
    start_date: date
    end_date: date | None = None
    carer_gender: str | None = None  # hard: only workers of this gender are sent
    refused_workers: frozenset[UUID] = frozenset()  # hard: never send these workers
    address: str = ""
    version: int = 1
    source_plan_id: UUID | None = None
    source_plan_version: int | None = None
    known_workers: frozenset[UUID] = field(default_factory=frozenset)  # continuity hint
    # 000 P43: no visits from ``paused_from`` (in hospital, service ended) until ``paused_until``
    # (home again; None: not back yet).
    paused_from: datetime | None = None
    paused_until: datetime | None = None

    def check(self) -> None:
        """Raise :class:`PackageRuleBroken` for the first rule the package breaks."""
        if not self.locality:
            raise PackageRuleBroken("locality", "must not be empty")
        if self.end_date is not None and self.end_date < self.start_date:
            raise PackageRuleBroken("end_date", "must not be before start_date")
        if self.carer_gender is not None and self.carer_gender not in CARER_GENDERS:
            raise PackageRuleBroken("carer_gender", f"must be one of {sorted(CARER_GENDERS)} or empty")
        if not self.visits:
            raise PackageRuleBroken("visits", "a package needs at least one recurring visit")
        seen: set[str] = set()
        for index, line in enumerate(self.visits):
            line.check(f"visits.{index}")
            if line.id in seen:
                raise PackageRuleBroken(f"visits.{index}.id", "must be unique within the package")
            seen.add(line.id)

    def paused_at(self, instant: datetime) -> bool:
        """Whether visits starting at ``instant`` are paused (the individual is away)."""
        return (
            self.paused_from is not None
            and instant >= self.paused_from
            and (self.paused_until is None or instant < self.paused_until)
        )

    def active_on(self, day: date) -> bool:
        """Whether the package covers ``day``."""
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)
