"""What the rules read: a condition that started or ended, from whichever service saw it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class Severity(StrEnum):
    """How urgent an alert is; ``rank`` orders them."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for critical."""
        return _RANKS[self]


_RANKS = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


def higher(a: Severity, b: Severity) -> Severity:
    """The more urgent of two severities."""
    return a if a.rank >= b.rank else b


class Category(StrEnum):
    """What an alert is about (the contract's ``Category``)."""

    VISIT = "visit"
    LONE_WORKING = "lone_working"
    SOS = "sos"
    INCIDENT = "incident"
    SUPERVISION = "supervision"
    COVER = "cover"


class SignalKind(StrEnum):
    """Every condition a rule can turn into an alert."""

    VISIT_LATE = "visit_late"
    VISIT_MISSED = "visit_missed"
    VISIT_SHORT = "visit_short"
    VISIT_OVERRUN = "visit_overrun"
    LONE_WORKER_OVERDUE = "lone_worker_overdue"
    SOS = "sos"
    INCIDENT = "incident"
    SUPERVISION_OVERDUE = "supervision_overdue"
    ON_CALL_GAP = "on_call_gap"


VISIT_KINDS = frozenset(
    {SignalKind.VISIT_LATE, SignalKind.VISIT_MISSED, SignalKind.VISIT_SHORT, SignalKind.VISIT_OVERRUN}
)


@dataclass(frozen=True)
class Signal:
    """One condition raised (``cleared`` false) or ended (``cleared`` true).

    ``subject`` is what the condition is about and what duplicates are recognised by: the visit for
    visit conditions, the SOS or incident id, or ``worker/rule/item/due`` for supervision.
    ``local_date`` is the provider's day, which bounds a worker's run for storm grouping.
    """

    kind: SignalKind
    subject: str
    locality: str
    occurred_at: datetime
    source_event_type: str
    cleared: bool = False
    visit_id: UUID | None = None
    individual_id: UUID | None = None
    worker_id: UUID | None = None
    local_date: date | None = None
    # For supervision: the supervisor and their line manager, who own it instead of the on-call chain.
    owner_chain: tuple[str, ...] = ()
    # The reporter's own assessment (an incident's severity) where the event carries one.
    severity: Severity | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def run_key(self) -> str | None:
        """The group a worker's late or missed visits of one day share (a storm is one alert)."""
        if self.kind in VISIT_KINDS and self.worker_id is not None and self.local_date is not None:
            return f"run:{self.worker_id}:{self.local_date.isoformat()}"
        return None
