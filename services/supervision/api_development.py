"""Routes for a worker's development, compliance per team and supervisor, and the skills-gap report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status

from rounds.infra.service import unit_of_work_from
from services.supervision import handlers, handlers_development, handlers_workforce
from services.supervision.api import Caller
from services.supervision.domain.compliance import DEFAULT_DUE_SOON_DAYS
from services.supervision.domain.development import progression
from services.supervision.domain.workforce import DEFAULT_EXPIRING_WITHIN_DAYS, DEFAULT_MIN_HOLDERS
from services.supervision.schemas_development import (
    AppraisalIn,
    AppraisalOut,
    DevelopmentOut,
    DevelopmentPlanIn,
    EvidenceIn,
    EvidenceOut,
    FeedbackIn,
    FeedbackOut,
    GroupComplianceOut,
    GroupRowOut,
    GroupsOut,
    GroupSummaryOut,
    LocalitySkillsOut,
    ObservationIn,
    ObservationOut,
    PlanOut,
    PlanReviewIn,
    ProgressionOut,
    SkillsGapOut,
    YearOut,
)
from services.supervision.unit_of_work import SupervisionUnitOfWork

router = APIRouter()

UoW = Annotated[SupervisionUnitOfWork, Depends(unit_of_work_from)]
DueSoonDays = Annotated[int, Query(ge=0, le=365)]

# --- development ----------------------------------------------------------------------------------


@router.post(
    "/workers/{worker_id}/development-plans",
    status_code=status.HTTP_201_CREATED,
    tags=["development"],
    summary="Agree a personal development plan",
)
async def agree_plan(worker_id: UUID, body: DevelopmentPlanIn, uow: UoW, caller: Caller) -> PlanOut:
    """The supervisor agrees the plan with the worker (000 P28); it satisfies the PDP rule."""
    plan = await handlers_development.agree_plan(
        uow, worker_id, by=caller, agreed_on=body.agreed_on, goals=body.domain_goals()
    )
    return PlanOut.of(plan)


@router.post(
    "/workers/{worker_id}/development-plans/{plan_id}/reviews",
    tags=["development"],
    summary="Review a personal development plan",
)
async def review_plan(
    worker_id: UUID, plan_id: UUID, body: PlanReviewIn, uow: UoW, caller: Caller
) -> PlanOut:
    """A review with the goals' new statuses; ``stage`` 3, 6 or 9: the ASYE year's (004 appendix D)."""
    command = handlers_development.ReviewPlan(
        reviewed_on=body.reviewed_on,
        notes=body.notes,
        stage=body.stage,
        goal_statuses=tuple(body.goal_statuses) if body.goal_statuses is not None else None,
    )
    return PlanOut.of(await handlers_development.review_plan(uow, worker_id, plan_id, command, by=caller))


@router.post(
    "/workers/{worker_id}/appraisals",
    status_code=status.HTTP_201_CREATED,
    tags=["development"],
    summary="Record an appraisal",
)
async def record_appraisal(worker_id: UUID, body: AppraisalIn, uow: UoW, caller: Caller) -> AppraisalOut:
    """An appraisal held, with the date of its next review (004 1.7, appendix 2 item 4)."""
    command = handlers_development.HoldAppraisal(
        held_on=body.held_on,
        summary=body.summary,
        objectives=tuple(body.objectives),
        training_needs=tuple(body.training_needs),
        next_review_on=body.next_review_on,
    )
    return AppraisalOut.of(await handlers_development.record_appraisal(uow, worker_id, command, by=caller))


@router.post(
    "/workers/{worker_id}/observations",
    status_code=status.HTTP_201_CREATED,
    tags=["development"],
    summary="Record an observation of practice or a spot check",
)
async def record_observation(
    worker_id: UUID, body: ObservationIn, uow: UoW, caller: Caller
) -> ObservationOut:
    """At a visit the rota allocated the worker to, which has taken place (000 P9; 004 1.35)."""
    command = handlers_development.Observe(
        kind=body.kind,
        visit_id=body.visit_id,
        areas=body.domain_areas(),
        summary=body.summary,
        actions=tuple(body.actions),
    )
    return ObservationOut.of(
        await handlers_development.record_observation(uow, worker_id, command, by=caller)
    )


@router.post(
    "/workers/{worker_id}/feedback",
    status_code=status.HTTP_201_CREATED,
    tags=["development"],
    summary="Record feedback about a worker's practice",
)
async def record_feedback(worker_id: UUID, body: FeedbackIn, uow: UoW, caller: Caller) -> FeedbackOut:
    """From an individual, a key person, a colleague or another professional (000 P8, P22)."""
    command = handlers_development.GiveFeedback(**body.model_dump())
    return FeedbackOut.of(await handlers_development.record_feedback(uow, worker_id, command, by=caller))


@router.post(
    "/workers/{worker_id}/progression",
    status_code=status.HTTP_201_CREATED,
    tags=["development"],
    summary="Add progression evidence",
)
async def add_evidence(worker_id: UUID, body: EvidenceIn, uow: UoW, caller: Caller) -> EvidenceOut:
    """A year's statement, training or the manager's support (004 progression arrangements)."""
    command = handlers_development.AddEvidence(**body.model_dump())
    return EvidenceOut.of(
        await handlers_development.add_progression_evidence(uow, worker_id, command, by=caller)
    )


@router.get("/workers/{worker_id}/development", tags=["development"], summary="A worker's development")
async def development(worker_id: UUID, uow: UoW, caller: Caller) -> DevelopmentOut:
    """Plans, appraisals, observations, feedback and progression (confidential, audited: 004 1.37-1.39)."""
    async with uow:
        await handlers.authorise_read(
            uow, caller=caller, worker_id=worker_id, resource="development", resource_id=None, zone=uow.zone
        )
        evidence = await uow.development.evidence(worker_id)
        return DevelopmentOut(
            worker_id=worker_id,
            plans=[PlanOut.of(p) for p in await uow.development.plans(worker_id)],
            appraisals=[AppraisalOut.of(a) for a in await uow.development.appraisals(worker_id)],
            observations=[ObservationOut.of(o) for o in await uow.development.observations(worker_id)],
            feedback=[FeedbackOut.of(f) for f in await uow.development.feedback(worker_id)],
            progression=ProgressionOut(
                worker_id=worker_id,
                years=[YearOut.of(y) for y in progression(tuple(evidence))],
                evidence=[EvidenceOut.of(e) for e in evidence],
            ),
        )


# --- compliance per team and supervisor -----------------------------------------------------------


@router.get("/teams/{team}/compliance", tags=["compliance"], summary="A team's compliance")
async def team_compliance(
    team: str,
    uow: UoW,
    on: date | None = None,
    due_soon_days: DueSoonDays = DEFAULT_DUE_SOON_DAYS,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> GroupComplianceOut:
    """Supervision and training compliance of the team's workers (no record content: obligations only)."""
    view = await handlers_workforce.group_compliance(
        uow, team=team, on=on, due_soon_days=due_soon_days, limit=limit
    )
    return GroupComplianceOut.of(view)


@router.get(
    "/supervisors/{supervisor_id}/compliance",
    tags=["compliance"],
    summary="A supervisor's workers' compliance",
)
async def supervisor_compliance(
    supervisor_id: UUID,
    uow: UoW,
    on: date | None = None,
    due_soon_days: DueSoonDays = DEFAULT_DUE_SOON_DAYS,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> GroupComplianceOut:
    """Supervision and training compliance of the workers the supervisor supervises."""
    view = await handlers_workforce.group_compliance(
        uow, supervisor_id=supervisor_id, on=on, due_soon_days=due_soon_days, limit=limit
    )
    return GroupComplianceOut.of(view)


@router.get("/compliance", tags=["compliance"], summary="Compliance per team or per supervisor")
async def compliance_groups(
    uow: UoW,
    group_by: Literal["team", "supervisor"] = "team",
    on: date | None = None,
    due_soon_days: DueSoonDays = DEFAULT_DUE_SOON_DAYS,
) -> GroupsOut:
    """One summary per team (or supervisor) for the dashboard's compliance tile."""
    day, groups = await handlers_workforce.compliance_by_group(
        uow, by=group_by, on=on, due_soon_days=due_soon_days
    )
    return GroupsOut(
        on=day,
        group_by=group_by,
        groups=[GroupRowOut(group=key, summary=GroupSummaryOut.of(summary)) for key, summary in groups],
    )


# --- the skills-gap report ------------------------------------------------------------------------


@router.get(
    "/skills-gap", tags=["workforce"], summary="Skills required by active plans against available workers"
)
async def skills_gap(
    uow: UoW,
    locality: Annotated[str | None, Query(max_length=200)] = None,
    on: date | None = None,
    min_holders: Annotated[int, Query(ge=1, le=50)] = DEFAULT_MIN_HOLDERS,
    expiring_within_days: Annotated[int, Query(ge=0, le=730)] = DEFAULT_EXPIRING_WITHIN_DAYS,
) -> SkillsGapOut:
    """Per locality and skill: plans and weekly worker-visits needing it, available holders, lapsing
    competencies and coverage; ``gaps`` lists the uncovered and thin skills (000 P29-P30)."""
    day, report = await handlers_workforce.skills_report(
        uow, locality=locality, on=on, min_holders=min_holders, expiring_within_days=expiring_within_days
    )
    return SkillsGapOut(
        on=day,
        min_holders=min_holders,
        expiring_within_days=expiring_within_days,
        localities=[LocalitySkillsOut.of(loc) for loc in report],
    )
