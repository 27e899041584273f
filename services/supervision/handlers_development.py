"""Commands on a worker's development: PDPs, appraisals, observations, feedback and progression.

Each is written by the worker's supervisor or the supervisor's line manager (the caller, named as
agreeing, appraising, observing or recording), and read like the rest of the supervision records:
by the worker, their supervisors and those supervisors' line managers, every read audited (004 1.39
counts appraisal and staff development records among them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from rounds.contracts.rota import VisitAllocated, VisitCancelled, VisitChanged, VisitScheduled
from services.supervision.domain.calendar import local_date
from services.supervision.domain.compliance import MilestoneKind
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
    PlanReview,
    ProgressionEvidence,
    VisitSeen,
    check_feedback,
    check_observation,
)
from services.supervision.domain.errors import RuleBroken
from services.supervision.errors import NotFound, domain_rules
from services.supervision.handlers import manager_of
from services.supervision.unit_of_work import SupervisionUnitOfWork

VisitEvent = VisitScheduled | VisitAllocated | VisitChanged | VisitCancelled

# --- visits from the rota --------------------------------------------------------------------------


async def keep_visit(uow: SupervisionUnitOfWork, event: VisitEvent) -> None:
    """Keep the visit as the rota now has it: an observation or feedback may name it (000 P9)."""
    await uow.visits.keep(
        VisitSeen(
            visit_id=event.visit_id,
            individual_id=event.individual_id,
            locality=event.locality,
            local_date=event.local_date,
            planned_start=event.planned_start,
            planned_end=event.planned_end,
            workers=tuple(event.workers),
            cancelled=isinstance(event, VisitCancelled),
        )
    )


async def _visit(uow: SupervisionUnitOfWork, visit_id: UUID) -> VisitSeen:
    visit = await uow.visits.get(visit_id)
    if visit is None:
        raise NotFound(
            f"Supervision knows no visit {visit_id}: visits arrive from the rota's events.",
            errors=[{"field": "body.visit_id", "reason": "unknown visit"}],
        )
    return visit


def _today(uow: SupervisionUnitOfWork) -> date:
    return local_date(uow.clock.now(), uow.zone)


# --- personal development plans -------------------------------------------------------------------


async def agree_plan(
    uow: SupervisionUnitOfWork,
    worker_id: UUID,
    *,
    by: UUID,
    agreed_on: date,
    goals: tuple[DevelopmentGoal, ...],
) -> DevelopmentPlan:
    """Agree a personal development plan with the worker (000 P28)."""
    async with uow:
        await manager_of(uow, worker_id, by)
        with domain_rules():
            plan = DevelopmentPlan.agree(
                id=uuid4(),
                worker_id=worker_id,
                agreed_on=agreed_on,
                agreed_by=by,
                goals=goals,
                today=_today(uow),
                created_at=uow.clock.now(),
            )
        await uow.development.add_plan(plan)
        await uow.commit()
    return plan


@dataclass(frozen=True)
class ReviewPlan:
    """A review of a plan, optionally the ASYE month 3, 6 or 9 review, with the goals' new statuses."""

    reviewed_on: date
    notes: str
    stage: int | None
    goal_statuses: tuple[GoalStatus, ...] | None


async def review_plan(
    uow: SupervisionUnitOfWork, worker_id: UUID, plan_id: UUID, command: ReviewPlan, *, by: UUID
) -> DevelopmentPlan:
    """Review the plan; a staged review also counts as the timeline's PDP review (004 appendix D)."""
    async with uow:
        await manager_of(uow, worker_id, by)
        plan = await uow.development.plan(plan_id, for_update=True)
        if plan is None or plan.worker_id != worker_id:
            raise NotFound(f"Worker {worker_id} has no development plan {plan_id}.")
        review = PlanReview(command.reviewed_on, by, command.notes, command.stage)
        with domain_rules():
            plan = plan.reviewed(review, command.goal_statuses, _today(uow))
        await uow.development.save_plan(plan)
        if command.stage is not None:
            # Recorded once per stage: a review recorded through /milestones already counts.
            await uow.evidence.add_milestone(
                id=uuid4(),
                worker_id=worker_id,
                kind=MilestoneKind.PDP_REVIEW,
                stage=command.stage,
                completed_on=command.reviewed_on,
                outcome="reviewed",
                notes=command.notes,
                recorded_by=by,
                recorded_at=uow.clock.now(),
            )
        await uow.commit()
    return plan


# --- appraisals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldAppraisal:
    """An appraisal as the appraiser records it."""

    held_on: date
    summary: str
    objectives: tuple[str, ...]
    training_needs: tuple[str, ...]
    next_review_on: date


async def record_appraisal(
    uow: SupervisionUnitOfWork, worker_id: UUID, command: HoldAppraisal, *, by: UUID
) -> Appraisal:
    """Record an appraisal held (004 1.7); it resets the annual appraisal's clock."""
    async with uow:
        await manager_of(uow, worker_id, by)
        with domain_rules():
            if command.held_on > _today(uow):
                raise RuleBroken("held_on", "an appraisal is recorded once it has been held")
            appraisal = Appraisal(
                id=uuid4(),
                worker_id=worker_id,
                appraiser_id=by,
                held_on=command.held_on,
                summary=command.summary,
                objectives=command.objectives,
                training_needs=command.training_needs,
                next_review_on=command.next_review_on,
                created_at=uow.clock.now(),
            )
        await uow.development.add_appraisal(appraisal)
        await uow.commit()
    return appraisal


# --- observations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observe:
    """An observation of practice or a spot check at a visit."""

    kind: ObservationKind
    visit_id: UUID
    areas: tuple[ObservedArea, ...]
    summary: str
    actions: tuple[str, ...]


async def record_observation(
    uow: SupervisionUnitOfWork, worker_id: UUID, command: Observe, *, by: UUID
) -> Observation:
    """Record what the caller observed of the worker's practice at a visit they were allocated to."""
    async with uow:
        await manager_of(uow, worker_id, by)
        visit = await _visit(uow, command.visit_id)
        with domain_rules():
            check_observation(
                visit, worker_id=worker_id, observer_id=by, areas=len(command.areas), today=_today(uow)
            )
        observation = Observation(
            id=uuid4(),
            worker_id=worker_id,
            observer_id=by,
            kind=command.kind,
            visit_id=visit.visit_id,
            individual_id=visit.individual_id,
            observed_on=visit.local_date,
            areas=command.areas,
            summary=command.summary,
            actions=command.actions,
            created_at=uow.clock.now(),
        )
        await uow.development.add_observation(observation)
        await uow.commit()
    return observation


# --- feedback -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GiveFeedback:
    """Feedback about a worker's practice as it was received."""

    source: FeedbackSource
    kind: FeedbackKind
    received_on: date
    summary: str
    individual_id: UUID | None
    key_person_id: UUID | None
    from_name: str | None
    visit_id: UUID | None
    channel: str | None


async def record_feedback(
    uow: SupervisionUnitOfWork, worker_id: UUID, command: GiveFeedback, *, by: UUID
) -> Feedback:
    """Keep feedback about the worker from an individual, a key person or another person (000 P8, P22)."""
    async with uow:
        await manager_of(uow, worker_id, by)
        visit = await _visit(uow, command.visit_id) if command.visit_id is not None else None
        feedback = Feedback(
            id=uuid4(),
            worker_id=worker_id,
            source=command.source,
            kind=command.kind,
            received_on=command.received_on,
            summary=command.summary,
            recorded_by=by,
            created_at=uow.clock.now(),
            individual_id=command.individual_id or (visit.individual_id if visit else None),
            key_person_id=command.key_person_id,
            from_name=command.from_name,
            visit_id=command.visit_id,
            channel=command.channel,
        )
        with domain_rules():
            check_feedback(feedback, visit, _today(uow))
        await uow.development.add_feedback(feedback)
        await uow.commit()
    return feedback


# --- progression ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddEvidence:
    """A piece of the progression portfolio; ``signed`` when the caller signs it off as team manager."""

    year: int
    kind: EvidenceKind
    title: str
    completed_on: date
    signed: bool


async def add_progression_evidence(
    uow: SupervisionUnitOfWork, worker_id: UUID, command: AddEvidence, *, by: UUID
) -> ProgressionEvidence:
    """Add to the worker's progression portfolio (004 progression arrangements)."""
    async with uow:
        await manager_of(uow, worker_id, by)
        today = _today(uow)
        with domain_rules():
            if command.completed_on > today:
                raise RuleBroken("completed_on", "evidence is added once it exists")
            evidence = ProgressionEvidence(
                id=uuid4(),
                worker_id=worker_id,
                year=command.year,
                kind=command.kind,
                title=command.title,
                completed_on=command.completed_on,
                recorded_by=by,
                created_at=uow.clock.now(),
                signed_off_by=by if command.signed else None,
                signed_off_on=today if command.signed else None,
            )
        await uow.development.add_evidence(evidence)
        await uow.commit()
    return evidence
