"""Supervision's own view of a worker: who they are, who supervises them, and where they stand.

Workers arrive from people's ``rounds.worker.registered.v1`` (name, role, locality, start date).
What people does not publish yet (the line manager, the supervisor, the team, NQSW/ASYE status,
probation) is recorded through supervision's own API for now and will come from people's events
once people publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from services.supervision.domain.calendar import add_months
from services.supervision.domain.compliance import (
    MAX_PROBATION_MONTHS,
    NEW_STARTER_PERIOD_MONTHS,
    PROBATION_MONTHS,
    Supervisee,
)
from services.supervision.domain.errors import RuleBroken


def is_new_starter(start_date: date | None, known_on: date) -> bool:
    """Whether a worker whose start supervision learns of on ``known_on`` is still a new starter.

    004 1.20: new staff in their induction period are supervised more often; the timeline's probation
    lasts six months, so a start within the six months before (or any time after) counts.
    """
    if start_date is None:
        return False
    return start_date > add_months(known_on, -NEW_STARTER_PERIOD_MONTHS)


@dataclass(frozen=True)
class SuperviseeProfile:
    """A worker as supervision keeps them."""

    worker_id: UUID
    given_name: str
    family_name: str
    role: str
    locality: str
    known_since: datetime  # UTC, when supervision first learnt of the worker
    known_on: date  # the provider's local day of ``known_since``
    start_date: date | None = None
    new_starter: bool = False
    nqsw: bool = False
    on_probation: bool = False
    probation_months: int = PROBATION_MONTHS
    supervisor_id: UUID | None = None
    line_manager_id: UUID | None = None
    team: str | None = None
    active: bool = True  # False once the worker has left (people's status "ended")

    @property
    def full_name(self) -> str:
        """Given and family name."""
        return f"{self.given_name} {self.family_name}"

    def for_rules(self) -> Supervisee:
        """What the compliance engine needs."""
        return Supervisee(
            worker_id=self.worker_id,
            tracked_since=self.known_on,
            start_date=self.start_date,
            new_starter=self.new_starter,
            nqsw=self.nqsw,
            on_probation=self.on_probation,
            probation_months=self.probation_months,
            supervisor_id=self.supervisor_id,
        )

    def arranged(
        self,
        *,
        supervisor_id: UUID | None,
        line_manager_id: UUID | None,
        team: str | None,
        nqsw: bool,
        on_probation: bool,
        probation_months: int,
    ) -> SuperviseeProfile:
        """The profile with the arrangements people does not publish yet."""
        if supervisor_id == self.worker_id:
            raise RuleBroken("supervisor_id", "a worker cannot supervise themselves (004 1.9)")
        if line_manager_id == self.worker_id:
            raise RuleBroken("line_manager_id", "a worker cannot be their own line manager")
        if not PROBATION_MONTHS <= probation_months <= MAX_PROBATION_MONTHS:
            raise RuleBroken(
                "probation_months",
                f"probation lasts {PROBATION_MONTHS} months and may be extended to "
                f"{MAX_PROBATION_MONTHS} at most "
                "(004 timeline, month 5)",
            )
        if (nqsw or on_probation) and self.start_date is None:
            field = "nqsw" if nqsw else "on_probation"
            raise RuleBroken(field, "the timeline counts from the start date, which people has not given")
        return replace(
            self,
            supervisor_id=supervisor_id,
            line_manager_id=line_manager_id,
            team=team,
            nqsw=nqsw,
            on_probation=on_probation,
            probation_months=probation_months,
        )
