"""Bodies of the development, team compliance and skills-gap routes (pydantic at the edge)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from services.supervision.domain.development import (
    Appraisal,
    DevelopmentGoal,
    DevelopmentPlan,
    EvidenceKind,
    Feedback,
    FeedbackKind,
    FeedbackSource,
    GoalStatus,
    Observation,
    ObservationKind,
    ObservedArea,
    ProgressionEvidence,
    ProgressionYear,
    Rating,
)
from services.supervision.domain.teams import GroupCompliance
from services.supervision.domain.workforce import Coverage, LocalitySkills
from services.supervision.handlers_workforce import GroupView
from services.supervision.schemas import Line, ObligationOut, Strict, Text

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

# --- plans ----------------------------------------------------------------------------------------


class GoalIn(Strict):
    """A learning or development need and how it will be met."""

    need: Short
    action: Short
    skill: Line | None = Field(
        default=None, description="The skill it builds, as the skills-gap report names it."
    )
    target_on: date | None = None


class DevelopmentPlanIn(Strict):
    """A personal development plan agreed with the worker (000 P28); the caller agrees it."""

    agreed_on: date
    goals: list[GoalIn] = Field(min_length=1, max_length=50)

    def domain_goals(self) -> tuple[DevelopmentGoal, ...]:
        """The goals for the domain."""
        return tuple(DevelopmentGoal(g.need, g.action, g.skill, g.target_on) for g in self.goals)


class PlanReviewIn(Strict):
    """A review of the plan; ``stage`` 3, 6 or 9 for the ASYE year's reviews (004 appendix D)."""

    reviewed_on: date
    notes: Text = ""
    stage: int | None = Field(default=None, ge=1, le=12)
    goal_statuses: list[GoalStatus] | None = Field(default=None, max_length=50)


class GoalOut(BaseModel):
    """A goal of a plan."""

    need: str
    action: str
    skill: str | None
    target_on: date | None
    status: GoalStatus


class PlanReviewOut(BaseModel):
    """A review of a plan."""

    reviewed_on: date
    reviewed_by: UUID
    notes: str
    stage: int | None


class PlanOut(BaseModel):
    """A personal development plan."""

    id: UUID
    worker_id: UUID
    agreed_on: date
    agreed_by: UUID
    goals: list[GoalOut]
    reviews: list[PlanReviewOut]
    created_at: datetime

    @classmethod
    def of(cls, p: DevelopmentPlan) -> PlanOut:
        """The body for ``p``."""
        return cls(
            id=p.id,
            worker_id=p.worker_id,
            agreed_on=p.agreed_on,
            agreed_by=p.agreed_by,
            goals=[GoalOut(**vars(g)) for g in p.goals],
            reviews=[PlanReviewOut(**vars(r)) for r in p.reviews],
            created_at=p.created_at,
        )


# --- appraisals -----------------------------------------------------------------------------------


class AppraisalIn(Strict):
    """An appraisal held; the caller is the appraiser (004 1.7, appendix 2 item 4)."""

    held_on: date
    summary: Text
    objectives: list[Short] = Field(default_factory=list, max_length=30)
    training_needs: list[Short] = Field(default_factory=list, max_length=30)
    next_review_on: date = Field(description="The next annual or six-monthly review (at most 12 months on).")


class AppraisalOut(BaseModel):
    """An appraisal."""

    id: UUID
    worker_id: UUID
    appraiser_id: UUID
    held_on: date
    summary: str
    objectives: list[str]
    training_needs: list[str]
    next_review_on: date
    created_at: datetime

    @classmethod
    def of(cls, a: Appraisal) -> AppraisalOut:
        """The body for ``a``."""
        return cls(**{**vars(a), "objectives": list(a.objectives), "training_needs": list(a.training_needs)})


# --- observations ---------------------------------------------------------------------------------


class AreaIn(Strict):
    """One aspect of practice observed and how it compared with the standard."""

    area: Line
    rating: Rating
    comment: Text = ""


class ObservationIn(Strict):
    """An observation of practice or a spot check at a visit the worker was allocated to (000 P9)."""

    kind: ObservationKind
    visit_id: UUID
    areas: list[AreaIn] = Field(min_length=1, max_length=30)
    summary: Text = ""
    actions: list[Short] = Field(default_factory=list, max_length=30)

    def domain_areas(self) -> tuple[ObservedArea, ...]:
        """The areas for the domain."""
        return tuple(ObservedArea(a.area, a.rating, a.comment) for a in self.areas)


class AreaOut(BaseModel):
    """An area observed."""

    area: str
    rating: Rating
    comment: str


class ObservationOut(BaseModel):
    """An observation or spot check."""

    id: UUID
    worker_id: UUID
    observer_id: UUID
    kind: ObservationKind
    visit_id: UUID
    individual_id: UUID
    observed_on: date
    areas: list[AreaOut]
    outcome: Rating
    summary: str
    actions: list[str]
    created_at: datetime

    @classmethod
    def of(cls, o: Observation) -> ObservationOut:
        """The body for ``o``."""
        return cls(
            **{
                **vars(o),
                "areas": [AreaOut(**vars(a)) for a in o.areas],
                "actions": list(o.actions),
                "outcome": o.outcome,
            }
        )


# --- feedback -------------------------------------------------------------------------------------


class FeedbackIn(Strict):
    """Feedback about the worker's practice as received (000 P8, P22)."""

    source: FeedbackSource
    kind: FeedbackKind
    received_on: date
    summary: Text
    individual_id: UUID | None = Field(default=None, description="Required from individuals and key people.")
    key_person_id: UUID | None = None
    from_name: Line | None = Field(default=None, description="Who gave it, when not an individual.")
    visit_id: UUID | None = Field(default=None, description="The visit it is about, if any.")
    channel: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = (
        None
    )


class FeedbackOut(BaseModel):
    """Feedback about a worker."""

    id: UUID
    worker_id: UUID
    source: FeedbackSource
    kind: FeedbackKind
    received_on: date
    summary: str
    recorded_by: UUID
    created_at: datetime
    individual_id: UUID | None
    key_person_id: UUID | None
    from_name: str | None
    visit_id: UUID | None
    channel: str | None

    @classmethod
    def of(cls, f: Feedback) -> FeedbackOut:
        """The body for ``f``."""
        return cls(**vars(f))


# --- progression ----------------------------------------------------------------------------------


class EvidenceIn(Strict):
    """A piece of the progression portfolio; ``signed``: the caller signs it off as team manager."""

    year: int = Field(ge=1, le=2)
    kind: EvidenceKind
    title: Line
    completed_on: date
    signed: bool = False


class EvidenceOut(BaseModel):
    """A piece of the portfolio."""

    id: UUID
    year: int
    kind: EvidenceKind
    title: str
    completed_on: date
    recorded_by: UUID
    signed_off_by: UUID | None
    signed_off_on: date | None

    @classmethod
    def of(cls, e: ProgressionEvidence) -> EvidenceOut:
        """The body for ``e``."""
        return cls(**{k: v for k, v in vars(e).items() if k in cls.model_fields})


class YearOut(BaseModel):
    """Where one year of the pathway stands."""

    year: int
    statement_signed: bool
    training: int
    support_signed: bool
    complete: bool

    @classmethod
    def of(cls, y: ProgressionYear) -> YearOut:
        """The body for ``y``."""
        return cls(**vars(y), complete=y.complete)


class ProgressionOut(BaseModel):
    """The progression portfolio and both years' standing."""

    worker_id: UUID
    years: list[YearOut]
    evidence: list[EvidenceOut]


class DevelopmentOut(BaseModel):
    """Everything of the worker's development, newest first in each list."""

    worker_id: UUID
    plans: list[PlanOut]
    appraisals: list[AppraisalOut]
    observations: list[ObservationOut]
    feedback: list[FeedbackOut]
    progression: ProgressionOut


# --- team compliance ------------------------------------------------------------------------------


class GroupSummaryOut(BaseModel):
    """A group's compliance counts."""

    workers: int
    compliant: int
    compliant_percent: float | None
    supervision_compliant: int
    training_compliant: int
    overdue_by_rule: dict[str, int]
    due_soon: int
    findings: int

    @classmethod
    def of(cls, g: GroupCompliance) -> GroupSummaryOut:
        """The body for ``g``."""
        return cls(**vars(g), compliant_percent=g.compliant_percent)


class WorkerLineOut(BaseModel):
    """One worker in a group view."""

    worker_id: UUID
    name: str
    supervisor_id: UUID | None
    team: str | None
    compliant: bool
    overdue: list[ObligationOut]
    due_soon: int
    one_to_ones_last_12_months: int


class GroupComplianceOut(BaseModel):
    """A team's or a supervisor's compliance on a local day."""

    on: date
    summary: GroupSummaryOut
    workers: list[WorkerLineOut]

    @classmethod
    def of(cls, view: GroupView) -> GroupComplianceOut:
        """The body for ``view``."""
        return cls(
            on=view.on,
            summary=GroupSummaryOut.of(view.summary),
            workers=[
                WorkerLineOut(
                    worker_id=line.profile.worker_id,
                    name=line.profile.full_name,
                    supervisor_id=line.profile.supervisor_id,
                    team=line.profile.team,
                    compliant=line.report.compliant,
                    overdue=[ObligationOut(**vars(o)) for o in line.report.overdue],
                    due_soon=len(line.report.due_soon),
                    one_to_ones_last_12_months=line.report.one_to_ones_last_12_months,
                )
                for line in view.workers
            ],
        )


class GroupRowOut(BaseModel):
    """One team's or supervisor's summary."""

    group: str | None = Field(description="The team name or the supervisor's id; null: none recorded.")
    summary: GroupSummaryOut


class GroupsOut(BaseModel):
    """Every team's or supervisor's summary on a local day."""

    on: date
    group_by: str
    groups: list[GroupRowOut]


# --- skills gap -----------------------------------------------------------------------------------


class SkillLineOut(BaseModel):
    """One skill in one locality."""

    skill: str
    plans: int
    weekly_worker_visits: int
    holders: int
    lapsing: int
    weekly_visits_per_holder: float | None
    coverage: Coverage


class LocalitySkillsOut(BaseModel):
    """A locality's skills against its plans' needs, and the gaps."""

    locality: str
    workers: int = Field(description="Active workers of the locality.")
    available_workers: int = Field(description="Those people's compliance check lets work (000 P1).")
    active_plans: int
    skills: list[SkillLineOut]
    gaps: list[str]

    @classmethod
    def of(cls, loc: LocalitySkills) -> LocalitySkillsOut:
        """The body for ``loc``."""
        return cls(
            locality=loc.locality,
            workers=loc.workers,
            available_workers=loc.available_workers,
            active_plans=loc.active_plans,
            skills=[
                SkillLineOut(**vars(s), weekly_visits_per_holder=s.weekly_visits_per_holder)
                for s in loc.skills
            ],
            gaps=[s.skill for s in loc.gaps],
        )


class SkillsGapOut(BaseModel):
    """The skills-gap report (000 P29-P30)."""

    on: date
    min_holders: int
    expiring_within_days: int
    localities: list[LocalitySkillsOut]
