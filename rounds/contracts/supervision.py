"""Events the supervision service publishes: what falls due soon and what is overdue.

Both go to ``rounds.supervision.compliance`` keyed by ``worker_id``. Alerts turns them into reminders
(due soon) and escalations (overdue) without calling back: each carries the worker, their supervisor
and line manager, the rule and the policy it comes from, the due date (a local date in the provider's
zone) and a severity (``info`` | ``warning`` | ``high`` | ``critical``).

Each (worker, rule, item, due date) is announced at most once as due soon and at most once as
overdue, whatever the number of supervision replicas and restarts; a deadline that moves (a session
was held, so the next is due later) is a new deadline with its own notices. An obligation first seen
already overdue gets the overdue notice only. An overdue obligation later met is announced once as
resolved (``rounds.supervision.resolved.v1``), so alerts can close the escalation. Kafka delivers at
least once, so a consumer still dedupes on the CloudEvents id (the inbox).

``supervisor_id`` and ``line_manager_id`` may be null while no arrangement is recorded for the
worker: route those to the locality's managers.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from rounds.contracts.base import Event

COMPLIANCE_TOPIC = "rounds.supervision.compliance"


class _ComplianceNotice(Event):
    """What both notices carry."""

    topic: ClassVar[str] = COMPLIANCE_TOPIC
    key_field: ClassVar[str] = "worker_id"

    worker_id: UUID
    worker_name: str | None = None
    supervisor_id: UUID | None = Field(default=None, description="Who supervises the worker (reminded).")
    line_manager_id: UUID | None = Field(
        default=None, description="The worker's line manager (told of escalations, 004 1.16)."
    )
    locality: str
    team: str | None = None
    rule: str = Field(description="e.g. one_to_one_supervision, probation_review, dbs_recheck")
    title: str | None = Field(default=None, description="The rule as a supervisor says it.")
    item: str = Field(default="", description='The stage or course within the rule: "month 3", a course')
    due_on: date = Field(description="A local date in the provider's zone.")
    severity: str = Field(description="info | warning | high | critical")
    source: str = Field(description='The policy the rule comes from, e.g. "004 1.18".')
    description: str


class SupervisionDueSoon(_ComplianceNotice):
    """A supervision or development obligation falls due within the horizon (a reminder)."""

    type: ClassVar[str] = "rounds.supervision.due.v1"


class SupervisionOverdue(_ComplianceNotice):
    """A supervision or development obligation passed its due date undone (an escalation)."""

    type: ClassVar[str] = "rounds.supervision.overdue.v1"

    overdue_since: date = Field(description="The first local day it was overdue (the day after due_on).")


class SupervisionResolved(_ComplianceNotice):
    """An obligation announced as overdue has since been met (the escalation can close)."""

    type: ClassVar[str] = "rounds.supervision.resolved.v1"
