"""Supervision and training compliance of a group of workers: a team or a supervisor's (pure).

What the dashboard's compliance tile shows (product: "supervision compliance"): how many are fully
compliant, what is overdue by rule, and separately the two halves a registered manager is asked
about: supervision (agreements, one-to-ones, reflective supervision, reviews, PDP, appraisal) and
training (mandatory training and DBS re-checks, 004 1.27).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from services.supervision.domain.compliance import ComplianceReport, RuleId

TRAINING_RULES = frozenset({RuleId.MANDATORY_TRAINING, RuleId.DBS_RECHECK})


@dataclass(frozen=True)
class GroupCompliance:
    """The compliance of one group on one day."""

    workers: int
    compliant: int
    supervision_compliant: int
    training_compliant: int
    overdue_by_rule: dict[str, int]
    due_soon: int
    findings: int

    @property
    def compliant_percent(self) -> float | None:
        """Share of workers with nothing overdue (None for an empty group)."""
        return round(100 * self.compliant / self.workers, 1) if self.workers else None


def summarise(reports: list[ComplianceReport]) -> GroupCompliance:
    """Count the group's reports."""
    overdue: Counter[str] = Counter()
    for report in reports:
        overdue.update(str(o.rule) for o in report.overdue)
    return GroupCompliance(
        workers=len(reports),
        compliant=sum(1 for r in reports if r.compliant),
        supervision_compliant=sum(
            1 for r in reports if not any(o.rule not in TRAINING_RULES for o in r.overdue)
        ),
        training_compliant=sum(1 for r in reports if not any(o.rule in TRAINING_RULES for o in r.overdue)),
        overdue_by_rule=dict(sorted(overdue.items())),
        due_soon=sum(len(r.due_soon) for r in reports),
        findings=sum(len(r.findings) for r in reports),
    )
