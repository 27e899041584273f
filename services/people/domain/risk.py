"""The risk assessment of an individual's home (000 P14-P17): lone working, aggression, the home itself.

Workers visit alone, so the provider assesses each home before they go and keeps it under review
(P14-P15), tells workers of the risks and what to do (P16), and sends two workers where one alone
would not be safe (P17). The assessment flows to the rota (``double_up_required``) and to the
worker's visit details (the hazards and their controls).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID


class RiskLevel(StrEnum):
    """How likely and serious a hazard is, after its controls."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class HazardKind(StrEnum):
    """What kind of danger a visit to the home holds."""

    LONE_WORKING = "lone_working"  # e.g. isolated, no signal, late-night visits
    AGGRESSION = "aggression"  # a history of aggression from the individual or someone in the home
    ENVIRONMENT = "environment"  # stairs, clutter, pets, smoking, access
    MOVING_AND_HANDLING = "moving_and_handling"
    INFECTION = "infection"
    OTHER = "other"


@dataclass(frozen=True)
class Hazard:
    """One hazard, how serious it is, and what workers do about it (000 P16)."""

    kind: HazardKind
    description: str
    level: RiskLevel
    controls: str


class AssessmentStatus(StrEnum):
    """Whether the assessment is the one in force."""

    CURRENT = "current"
    ENDED = "ended"  # the individual's service ended, or the home is no longer visited


@dataclass(frozen=True)
class RiskAssessment:
    """The home's assessment as it now stands; ``version`` grows with every change (the ETag)."""

    individual_id: UUID
    assessed_on: date
    review_date: date
    assessed_by: UUID
    hazards: tuple[Hazard, ...] = ()
    double_up_required: bool = False
    double_up_reason: str | None = None
    mobile_signal: bool = True
    status: AssessmentStatus = AssessmentStatus.CURRENT
    version: int = 1

    @property
    def overall(self) -> RiskLevel:
        """The highest level of any hazard (low when none is recorded)."""
        order = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]
        return max((h.level for h in self.hazards), key=order.index, default=RiskLevel.LOW)

    @property
    def history_of_aggression(self) -> bool:
        """Whether any hazard records aggression (workers are told before they go, 000 P16)."""
        return any(h.kind is HazardKind.AGGRESSION for h in self.hazards)


class RiskRuleBroken(ValueError):
    """An assessment that cannot stand, with the field at fault."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


#: The longest an assessment may go unreviewed.
MAX_REVIEW_MONTHS = 12


def check_assessment(assessment: RiskAssessment, today: date) -> None:
    """Raise :class:`RiskRuleBroken` for an assessment that cannot stand."""
    if assessment.assessed_on > today:
        raise RiskRuleBroken("assessed_on", "cannot be in the future")
    if assessment.review_date <= assessment.assessed_on:
        raise RiskRuleBroken("review_date", "must be after assessed_on")
    latest = _add_months(assessment.assessed_on, MAX_REVIEW_MONTHS)
    if assessment.review_date > latest:
        raise RiskRuleBroken("review_date", f"review at least every {MAX_REVIEW_MONTHS} months (by {latest})")
    if assessment.double_up_required and not assessment.double_up_reason:
        raise RiskRuleBroken("double_up_reason", "say why two workers are needed")
    # 000 P17: a high risk of aggression is not met by one worker alone.
    if assessment.double_up_required:
        return
    for index, hazard in enumerate(assessment.hazards):
        if hazard.kind is HazardKind.AGGRESSION and hazard.level is RiskLevel.HIGH:
            raise RiskRuleBroken(f"hazards.{index}.level", "a high risk of aggression needs two workers")


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    # The same day of the month, or the month's last day when it has fewer days.
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")
