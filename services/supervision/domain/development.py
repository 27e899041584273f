"""A worker's development: PDPs, appraisals, observations and spot checks, feedback, progression (pure).

Sources: every worker has a personal development plan that names their learning and development
needs (000 P28), reviewed in supervision (004 1.7) and, in the ASYE year, at 3, 6 and 9 months (004
appendix D); an annual appraisal with the date of its next review (004 1.7, appendix 2 item 4);
observations of workers used to assess knowledge, understanding and practice (000 P9), e.g. the
supervisor visiting a service user with the member of staff (004 1.35); information gathered from
individuals, key people and others about a worker's practice (000 P8, P22; 004 1.35 "unsolicited
feedback"); and the progression pathway's evidence: a 1000-word statement per year signed by the
team manager, the year's training, and the support to progress (004 progression arrangements).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from services.supervision.domain.calendar import add_months
from services.supervision.domain.compliance import PDP_REVIEW_MONTHS
from services.supervision.domain.errors import RuleBroken

APPRAISAL_REVIEW_WITHIN_MONTHS = 12  # 004 appendix 2 item 4: "next annual or six monthly review"


def _not_after(day: date, today: date, field: str, what: str) -> None:
    if day > today:
        raise RuleBroken(field, f"{what} cannot be recorded before it happens (it is dated after today)")


# --- personal development plans (000 P28) ----------------------------------------------------------


class GoalStatus(StrEnum):
    """Where a development goal stands."""

    OPEN = "open"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


@dataclass(frozen=True)
class DevelopmentGoal:
    """A learning or development need and what will meet it."""

    need: str
    action: str
    skill: str | None = None  # the skill or competency it builds (what the skills-gap report counts)
    target_on: date | None = None
    status: GoalStatus = GoalStatus.OPEN


@dataclass(frozen=True)
class PlanReview:
    """A review of the plan: in supervision, or at an ASYE stage (month 3, 6 or 9)."""

    reviewed_on: date
    reviewed_by: UUID
    notes: str
    stage: int | None = None


@dataclass(frozen=True)
class DevelopmentPlan:
    """A worker's personal development plan as agreed with their supervisor."""

    id: UUID
    worker_id: UUID
    agreed_on: date
    agreed_by: UUID
    goals: tuple[DevelopmentGoal, ...]
    created_at: datetime
    reviews: tuple[PlanReview, ...] = ()

    @staticmethod
    def agree(
        *,
        id: UUID,
        worker_id: UUID,
        agreed_on: date,
        agreed_by: UUID,
        goals: tuple[DevelopmentGoal, ...],
        today: date,
        created_at: datetime,
    ) -> DevelopmentPlan:
        """A new plan: at least one need, agreed by someone other than the worker, not in the future."""
        if not goals:
            raise RuleBroken(
                "goals", "a development plan names at least one learning or development need (000 P28)"
            )
        if agreed_by == worker_id:
            raise RuleBroken("agreed_by", "the plan is agreed with the supervisor, not by the worker alone")
        _not_after(agreed_on, today, "agreed_on", "a plan")
        for index, goal in enumerate(goals):
            if goal.target_on is not None and goal.target_on < agreed_on:
                raise RuleBroken(f"goals.{index}.target_on", "a target date comes after the plan is agreed")
        return DevelopmentPlan(id, worker_id, agreed_on, agreed_by, goals, created_at)

    def reviewed(
        self, review: PlanReview, statuses: tuple[GoalStatus, ...] | None, today: date
    ) -> DevelopmentPlan:
        """The plan after a review, with each goal's new status when given (one per goal, in order)."""
        if review.reviewed_on < self.agreed_on:
            raise RuleBroken("reviewed_on", "a plan is reviewed after it was agreed")
        _not_after(review.reviewed_on, today, "reviewed_on", "a review")
        if review.stage is not None and review.stage not in PDP_REVIEW_MONTHS:
            months = ", ".join(str(m) for m in PDP_REVIEW_MONTHS)
            raise RuleBroken(
                "stage", f"the PDP is reviewed at months {months} of the ASYE year (004 appendix D)"
            )
        if review.stage is not None and any(r.stage == review.stage for r in self.reviews):
            raise RuleBroken("stage", f"the month {review.stage} review is already recorded")
        goals = self.goals
        if statuses is not None:
            if len(statuses) != len(self.goals):
                raise RuleBroken("goal_statuses", f"give one status per goal ({len(self.goals)})")
            goals = tuple(replace(g, status=s) for g, s in zip(self.goals, statuses, strict=True))
        return replace(self, goals=goals, reviews=(*self.reviews, review))


# --- appraisals (004 1.7, appendix 2 item 4) --------------------------------------------------------


@dataclass(frozen=True)
class Appraisal:
    """An appraisal held, its objectives and when it is next reviewed."""

    id: UUID
    worker_id: UUID
    appraiser_id: UUID
    held_on: date
    summary: str
    objectives: tuple[str, ...]
    training_needs: tuple[str, ...]
    next_review_on: date
    created_at: datetime

    def __post_init__(self) -> None:
        if self.appraiser_id == self.worker_id:
            raise RuleBroken("appraiser_id", "a worker does not appraise themselves")
        if self.next_review_on <= self.held_on:
            raise RuleBroken("next_review_on", "the next review comes after this appraisal")
        if self.next_review_on > add_months(self.held_on, APPRAISAL_REVIEW_WITHIN_MONTHS):
            raise RuleBroken(
                "next_review_on", "appraisals are reviewed annually or six-monthly (004 appendix 2 item 4)"
            )


# --- observations of practice and spot checks (000 P9) ---------------------------------------------


class ObservationKind(StrEnum):
    """A planned observation of practice, or an unannounced spot check."""

    OBSERVATION = "observation"
    SPOT_CHECK = "spot_check"


class Rating(StrEnum):
    """How the observed practice compared with the standard."""

    MEETS = "meets"
    PARTLY_MEETS = "partly_meets"
    DOES_NOT_MEET = "does_not_meet"


@dataclass(frozen=True)
class ObservedArea:
    """One aspect of practice observed (e.g. "moving and handling", "dignity and respect")."""

    area: str
    rating: Rating
    comment: str = ""


@dataclass(frozen=True)
class VisitSeen:
    """A visit as supervision knows it from the rota's events: what an observation must match."""

    visit_id: UUID
    individual_id: UUID
    locality: str
    local_date: date
    planned_start: datetime
    planned_end: datetime
    workers: tuple[UUID, ...]
    cancelled: bool = False


@dataclass(frozen=True)
class Observation:
    """An observation of a worker's practice at a real visit."""

    id: UUID
    worker_id: UUID
    observer_id: UUID
    kind: ObservationKind
    visit_id: UUID
    individual_id: UUID
    observed_on: date
    areas: tuple[ObservedArea, ...]
    summary: str
    actions: tuple[str, ...]
    created_at: datetime

    @property
    def outcome(self) -> Rating:
        """The weakest rating observed: one area below standard is what the supervisor follows up."""
        ratings = {a.rating for a in self.areas}
        for rating in (Rating.DOES_NOT_MEET, Rating.PARTLY_MEETS):
            if rating in ratings:
                return rating
        return Rating.MEETS


def check_observation(
    visit: VisitSeen, *, worker_id: UUID, observer_id: UUID, areas: int, today: date
) -> None:
    """An observation is of a worker allocated to a visit that took place, by someone else (000 P9)."""
    if visit.cancelled:
        raise RuleBroken("visit_id", "the visit was cancelled, so there was no practice to observe")
    if worker_id not in visit.workers:
        raise RuleBroken("visit_id", "the worker was not allocated to this visit")
    if observer_id == worker_id:
        raise RuleBroken("observer_id", "a worker does not observe their own practice")
    if visit.local_date > today:
        raise RuleBroken("visit_id", "the visit has not happened yet: record the observation after it")
    if areas == 0:
        raise RuleBroken("areas", "say what was observed: at least one area of practice with its rating")


# --- feedback about a worker's practice (000 P8, P22) ----------------------------------------------


class FeedbackSource(StrEnum):
    """Who the feedback came from."""

    INDIVIDUAL = "individual"
    KEY_PERSON = "key_person"
    COLLEAGUE = "colleague"
    OTHER_PROFESSIONAL = "other_professional"


class FeedbackKind(StrEnum):
    """What kind of feedback it is."""

    COMPLIMENT = "compliment"
    COMMENT = "comment"
    CONCERN = "concern"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class Feedback:
    """Information about a worker's practice from an individual, a key person or another person."""

    id: UUID
    worker_id: UUID
    source: FeedbackSource
    kind: FeedbackKind
    received_on: date
    summary: str
    recorded_by: UUID
    created_at: datetime
    individual_id: UUID | None = None
    key_person_id: UUID | None = None
    from_name: str | None = None
    visit_id: UUID | None = None
    channel: str | None = None


def check_feedback(feedback: Feedback, visit: VisitSeen | None, today: date) -> None:
    """Feedback names whom it is about and, from individuals and key people, which individual."""
    if (
        feedback.source in (FeedbackSource.INDIVIDUAL, FeedbackSource.KEY_PERSON)
        and feedback.individual_id is None
    ):
        raise RuleBroken("individual_id", "feedback from an individual or a key person names the individual")
    if (
        feedback.source is FeedbackSource.KEY_PERSON
        and feedback.key_person_id is None
        and not feedback.from_name
    ):
        raise RuleBroken("key_person_id", "name the key person (their id, or from_name)")
    if (
        feedback.source in (FeedbackSource.COLLEAGUE, FeedbackSource.OTHER_PROFESSIONAL)
        and not feedback.from_name
    ):
        raise RuleBroken("from_name", "say who gave the feedback")
    _not_after(feedback.received_on, today, "received_on", "feedback")
    if visit is not None:
        if feedback.worker_id not in visit.workers:
            raise RuleBroken("visit_id", "the worker was not allocated to this visit")
        if feedback.individual_id is not None and feedback.individual_id != visit.individual_id:
            raise RuleBroken("visit_id", "the visit was to another individual")


# --- the progression pathway (004 progression arrangements) ----------------------------------------


class EvidenceKind(StrEnum):
    """What the progression portfolio holds for each year."""

    STATEMENT = "statement"  # the 1000-word reflective statement, signed by the team manager
    TRAINING = "training"  # statutory, mandatory and role training of the year
    SUPPORT = "support"  # the manager's confirmation that they support progression to the next stage


@dataclass(frozen=True)
class ProgressionEvidence:
    """One piece of the worker's progression portfolio."""

    id: UUID
    worker_id: UUID
    year: int
    kind: EvidenceKind
    title: str
    completed_on: date
    recorded_by: UUID
    created_at: datetime
    signed_off_by: UUID | None = None
    signed_off_on: date | None = None

    def __post_init__(self) -> None:
        if self.year not in (1, 2):
            raise RuleBroken("year", "the progression pathway has two years (004 progression arrangements)")
        if self.signed_off_by is not None and self.signed_off_by == self.worker_id:
            raise RuleBroken("signed_off_by", "the team manager signs off, not the worker")
        if (self.signed_off_by is None) != (self.signed_off_on is None):
            raise RuleBroken("signed_off_on", "a sign-off has both who and when")
        if self.kind in (EvidenceKind.STATEMENT, EvidenceKind.SUPPORT) and self.signed_off_by is None:
            raise RuleBroken("signed_off_by", f"a {self.kind} counts once the team manager has signed it")


@dataclass(frozen=True)
class ProgressionYear:
    """Where one year of the pathway stands."""

    year: int
    statement_signed: bool
    training: int
    support_signed: bool

    @property
    def complete(self) -> bool:
        """A signed statement, some training and the manager's support."""
        return self.statement_signed and self.training > 0 and self.support_signed


def progression(evidence: tuple[ProgressionEvidence, ...]) -> tuple[ProgressionYear, ...]:
    """Both years of the pathway from the evidence held."""
    return tuple(
        ProgressionYear(
            year=year,
            statement_signed=any(e.year == year and e.kind is EvidenceKind.STATEMENT for e in evidence),
            training=sum(1 for e in evidence if e.year == year and e.kind is EvidenceKind.TRAINING),
            support_signed=any(e.year == year and e.kind is EvidenceKind.SUPPORT for e in evidence),
        )
        for year in (1, 2)
    )
