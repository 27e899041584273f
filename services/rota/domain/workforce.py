"""The rota's view of the workforce: who can be allocated, with which skills (001 P5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


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

    def has_skills(self, required: set[str]) -> bool:
        """Whether the worker holds every skill in ``required`` (001 P5: allocate by competence)."""
        return required <= set(self.skills)
