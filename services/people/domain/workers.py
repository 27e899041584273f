"""Care workers and the rules for registering one (000 P2: workers have what they need to work alone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from uuid import UUID


class WorkerRole(StrEnum):
    """What a member of staff does; drives what the rota may give them and what they may see."""

    CARE_WORKER = "care_worker"
    SENIOR_CARE_WORKER = "senior_care_worker"
    NURSE = "nurse"
    OCCUPATIONAL_THERAPIST = "occupational_therapist"
    COORDINATOR = "coordinator"
    REGISTERED_MANAGER = "registered_manager"


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

    @property
    def full_name(self) -> str:
        """Given and family name, as a coordinator reads it."""
        return f"{self.given_name} {self.family_name}"


def normalise_skills(skills: list[str]) -> list[str]:
    """Skills as the rota matches them: trimmed, lower case, each once, in the order given."""
    seen: dict[str, None] = {}
    for skill in skills:
        cleaned = skill.strip().lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)
