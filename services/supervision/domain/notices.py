"""Compliance notices: which of a worker's obligations to announce, and under which key (pure, no I/O).

Two thresholds, one notice each: an obligation is announced once when it comes within the due-soon
horizon (a reminder for the worker and their supervisor) and once when its day has passed (an
escalation). The key of a notice is the worker, the rule, the item within the rule, the due date and
the threshold: a deadline that moves (a session was held, so the next one is due later) is a new
deadline and is announced afresh, the same deadline never twice.

An obligation first seen already overdue (the sweeper was stopped over its due-soon window) is
announced as overdue only: a reminder for something already late would be noise beside the escalation.

An overdue obligation that is then met (the session held, the course renewed, the stage recorded)
is announced once more, as resolved, so that alerts can close the escalation it opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from services.supervision.domain.compliance import (
    RULES,
    ComplianceReport,
    Obligation,
    ObligationStatus,
    RuleId,
    Severity,
)


class NoticeState(StrEnum):
    """The threshold a notice announces."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    RESOLVED = "resolved"  # an overdue obligation since met


_STATE_OF: dict[ObligationStatus, NoticeState] = {
    ObligationStatus.DUE_SOON: NoticeState.DUE_SOON,
    ObligationStatus.OVERDUE: NoticeState.OVERDUE,
}


@dataclass(frozen=True)
class NoticeKey:
    """What makes a notice the same notice: announced at most once."""

    worker_id: UUID
    rule: RuleId
    item: str
    due_on: date
    state: NoticeState


@dataclass(frozen=True)
class Notice:
    """One announcement of an obligation crossing a threshold."""

    key: NoticeKey
    severity: Severity
    title: str
    source: str
    description: str


def notices_for(report: ComplianceReport) -> list[Notice]:
    """The notices ``report`` calls for, in a stable order (due date, rule, item).

    The order matters beyond tidiness: replicas claim a worker's notices in the same order, so two of
    them never wait on each other's rows in opposite orders.
    """
    found = [_notice(report.worker_id, o) for o in report.obligations if o.status in _STATE_OF]
    return sorted(found, key=lambda n: (n.key.due_on, n.key.rule, n.key.item, n.key.state))


def _notice(worker_id: UUID, obligation: Obligation) -> Notice:
    return Notice(
        key=NoticeKey(
            worker_id=worker_id,
            rule=obligation.rule,
            item=obligation.item,
            due_on=obligation.due_on,
            state=_STATE_OF[obligation.status],
        ),
        severity=obligation.severity,
        title=RULES[obligation.rule].title,
        source=obligation.source,
        description=obligation.description,
    )


def resolutions(report: ComplianceReport, claimed: set[NoticeKey]) -> list[Notice]:
    """Overdue notices already announced whose obligation ``report`` no longer holds, not yet resolved."""
    open_keys = {(o.rule, o.item, o.due_on) for o in report.obligations}
    found = []
    for key in claimed:
        if key.state is not NoticeState.OVERDUE or (key.rule, key.item, key.due_on) in open_keys:
            continue
        resolved = NoticeKey(key.worker_id, key.rule, key.item, key.due_on, NoticeState.RESOLVED)
        if resolved in claimed:
            continue
        spec = RULES[key.rule]
        found.append(
            Notice(
                key=resolved,
                severity=Severity.INFO,
                title=spec.title,
                source=spec.source,
                description=f"No longer overdue: {spec.title}" + (f", {key.item}" if key.item else ""),
            )
        )
    return sorted(found, key=lambda n: (n.key.due_on, n.key.rule, n.key.item))
