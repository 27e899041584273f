"""The provider's organisation: its time zone, its localities (branches) and their teams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

#: The provider's zone when the topology does not say otherwise: plan and show in it, store UTC.
DEFAULT_TIME_ZONE = "Europe/London"


@dataclass(frozen=True)
class Locality:
    """A branch of the provider; rota plans, on-call cover and coordinators are per locality."""

    id: UUID
    name: str


@dataclass(frozen=True)
class Team:
    """A team within a locality, led by a manager (a worker); workers report to their line manager."""

    id: UUID
    name: str
    locality_id: UUID
    manager_id: UUID | None = None
    active: bool = True
    version: int = 1


def local_day(instant: datetime, time_zone: str) -> date:
    """The provider's calendar day at ``instant`` (an aware UTC instant)."""
    return instant.astimezone(ZoneInfo(time_zone)).date()
