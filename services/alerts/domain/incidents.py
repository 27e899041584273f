"""Incidents: the record, the response, support for the worker, and the review of trends (000 P38-P42).

An incident a worker reports (from the visit app, or by phone to the on-call manager) becomes a record
with the actions taken in response (000 P39, P40). The worker who reported or was involved is offered
support afterwards (000 P41): an incident involving a worker cannot be closed until support has been
offered (or the worker's refusal recorded). Closed incidents carry an outcome and the improvements
they led to, and :func:`review` summarises them by type, locality and time so managers can see what
to change (000 P42).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from statistics import median
from uuid import UUID
from zoneinfo import ZoneInfo


class SupportKind(StrEnum):
    """What was offered to a worker after an incident (000 P41)."""

    DEBRIEF = "debrief"
    SUPERVISION = "supervision"
    COUNSELLING = "counselling"
    OCCUPATIONAL_HEALTH = "occupational_health"
    TIME_OFF = "time_off"
    TRAINING = "training"
    DECLINED = "declined"  # offered and the worker chose not to take it up


class IncidentRuleBroken(ValueError):
    """A change to an incident breaks a rule; ``field`` names what to fix."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class Incident:
    """What the review and the closing rule need of an incident."""

    id: UUID
    kind: str
    severity: str
    locality: str
    reported_at: datetime
    worker_id: UUID | None = None
    first_response_at: datetime | None = None
    support: list[SupportKind] = field(default_factory=list)
    closed_at: datetime | None = None
    outcome: str | None = None
    improvements: list[str] = field(default_factory=list)


def check_can_close(incident: Incident) -> None:
    """Refuse to close an incident whose worker has not been offered support (000 P41)."""
    if incident.closed_at is not None:
        raise IncidentRuleBroken("status", "the incident is closed already")
    if incident.worker_id is not None and not incident.support:
        raise IncidentRuleBroken(
            "support", "offer the worker support first (000 P41), or record that they declined it"
        )


@dataclass(frozen=True)
class Review:
    """Trends across incidents for a period (000 P42)."""

    total: int
    by_kind: dict[str, int]
    by_severity: dict[str, int]
    by_locality: dict[str, int]
    by_month: dict[str, int]  # "2026-03" in the provider's zone
    by_weekday: dict[str, int]  # "Mon".."Sun"
    by_hour: dict[str, int]  # "00".."23" local hour of the report
    median_minutes_to_first_response: float | None
    unanswered: int  # no response recorded at all
    support_offered_share: float | None  # of incidents involving a worker
    open: int
    improvements: list[str]


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def review(incidents: Sequence[Incident], zone: ZoneInfo) -> Review:
    """Counts by type, severity, locality and local time, response times, support and improvements."""
    local = [i.reported_at.astimezone(zone) for i in incidents]
    responses = [
        (i.first_response_at - i.reported_at).total_seconds() / 60
        for i in incidents
        if i.first_response_at is not None
    ]
    with_worker = [i for i in incidents if i.worker_id is not None]
    return Review(
        total=len(incidents),
        by_kind=_counted(i.kind for i in incidents),
        by_severity=_counted(i.severity for i in incidents),
        by_locality=_counted(i.locality for i in incidents),
        by_month=_counted(t.strftime("%Y-%m") for t in local),
        by_weekday={d: n for d in _WEEKDAYS if (n := sum(1 for t in local if _WEEKDAYS[t.weekday()] == d))},
        by_hour=_counted(f"{t.hour:02d}" for t in local),
        median_minutes_to_first_response=round(median(responses), 1) if responses else None,
        unanswered=sum(1 for i in incidents if i.first_response_at is None),
        support_offered_share=(
            round(sum(1 for i in with_worker if i.support) / len(with_worker), 3) if with_worker else None
        ),
        open=sum(1 for i in incidents if i.closed_at is None),
        improvements=[text for i in incidents for text in i.improvements],
    )


def _counted(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))
