"""Events the people service publishes."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from rounds.contracts.base import Event


class WorkerRegistered(Event):
    """A care worker joined the provider and can now be planned for (000 P2)."""

    type: ClassVar[str] = "rounds.worker.registered.v1"
    topic: ClassVar[str] = "rounds.people.workers"
    key_field: ClassVar[str] = "worker_id"

    worker_id: UUID
    given_name: str
    family_name: str
    role: str
    locality: str
    skills: list[str] = Field(default_factory=list)
    contracted_hours_per_week: float | None = None
    start_date: date | None = None
