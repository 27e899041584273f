"""Storing a worker's development records. No rules here: the domain decides, this keeps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.adapters import tables as t
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
    Rating,
)


def _names(table: sa.Table) -> list[str]:
    return [column.name for column in table.columns]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class DevelopmentRepository:
    """PDPs, appraisals, observations, feedback and progression evidence, per worker."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- plans

    async def add_plan(self, plan: DevelopmentPlan) -> None:
        """Store a new plan."""
        await self._session.execute(sa.insert(t.development_plans).values(**_plan_values(plan)))

    async def save_plan(self, plan: DevelopmentPlan) -> None:
        """Store a plan's reviews and goals."""
        values = _plan_values(plan)
        await self._session.execute(
            sa.update(t.development_plans)
            .where(t.development_plans.c.id == plan.id)
            .values(goals=values["goals"], reviews=values["reviews"])
        )

    async def plan(self, plan_id: UUID, *, for_update: bool = False) -> DevelopmentPlan | None:
        """One plan; ``for_update`` locks it until the unit of work ends (Postgres)."""
        query = sa.select(t.development_plans).where(t.development_plans.c.id == plan_id)
        row = (await self._session.execute(query.with_for_update() if for_update else query)).first()
        return _plan(row._mapping) if row else None

    async def plans(self, worker_id: UUID) -> list[DevelopmentPlan]:
        """The worker's plans, newest first."""
        c = t.development_plans.c
        rows = await self._session.execute(
            sa.select(t.development_plans).where(c.worker_id == worker_id).order_by(c.agreed_on.desc(), c.id)
        )
        return [_plan(row._mapping) for row in rows]

    async def first_plan_days(self, worker_ids: Sequence[UUID]) -> dict[UUID, date]:
        """When each of these workers' first plan was agreed (what the PDP rule counts)."""
        c = t.development_plans.c
        rows = await self._session.execute(
            sa.select(c.worker_id, sa.func.min(c.agreed_on).label("first"))
            .where(c.worker_id.in_(worker_ids))
            .group_by(c.worker_id)
        )
        return {row.worker_id: row.first for row in rows}

    async def appraisal_days(self, worker_ids: Sequence[UUID]) -> dict[UUID, list[date]]:
        """The days each of these workers' appraisals were held."""
        c = t.appraisals.c
        found: dict[UUID, list[date]] = {}
        for row in await self._session.execute(
            sa.select(c.worker_id, c.held_on).where(c.worker_id.in_(worker_ids))
        ):
            found.setdefault(row.worker_id, []).append(row.held_on)
        return found

    # --- appraisals

    async def add_appraisal(self, appraisal: Appraisal) -> None:
        """Store an appraisal."""
        values = {k: getattr(appraisal, k) for k in _names(t.appraisals)}
        values["objectives"], values["training_needs"] = (
            list(appraisal.objectives),
            list(appraisal.training_needs),
        )
        await self._session.execute(sa.insert(t.appraisals).values(**values))

    async def appraisals(self, worker_id: UUID) -> list[Appraisal]:
        """The worker's appraisals, newest first."""
        c = t.appraisals.c
        rows = await self._session.execute(
            sa.select(t.appraisals).where(c.worker_id == worker_id).order_by(c.held_on.desc(), c.id)
        )
        return [
            Appraisal(
                **{
                    **row._mapping,
                    "objectives": tuple(row.objectives),
                    "training_needs": tuple(row.training_needs),
                }
            )
            for row in rows
        ]

    # --- observations

    async def add_observation(self, observation: Observation) -> None:
        """Store an observation."""
        values = {k: getattr(observation, k) for k in _names(t.observations)}
        values["kind"] = str(observation.kind)
        values["areas"] = [
            {"area": a.area, "rating": str(a.rating), "comment": a.comment} for a in observation.areas
        ]
        values["actions"] = list(observation.actions)
        await self._session.execute(sa.insert(t.observations).values(**values))

    async def observations(self, worker_id: UUID) -> list[Observation]:
        """The worker's observations and spot checks, newest first."""
        c = t.observations.c
        rows = await self._session.execute(
            sa.select(t.observations).where(c.worker_id == worker_id).order_by(c.observed_on.desc(), c.id)
        )
        return [
            Observation(
                **{
                    **row._mapping,
                    "kind": ObservationKind(row.kind),
                    "areas": tuple(
                        ObservedArea(a["area"], Rating(a["rating"]), a["comment"]) for a in row.areas
                    ),
                    "actions": tuple(row.actions),
                }
            )
            for row in rows
        ]

    # --- feedback

    async def add_feedback(self, feedback: Feedback) -> None:
        """Store feedback."""
        values = {k: getattr(feedback, k) for k in _names(t.feedback)}
        values["source"], values["kind"] = str(feedback.source), str(feedback.kind)
        await self._session.execute(sa.insert(t.feedback).values(**values))

    async def feedback(self, worker_id: UUID) -> list[Feedback]:
        """Feedback about the worker, newest first."""
        c = t.feedback.c
        rows = await self._session.execute(
            sa.select(t.feedback).where(c.worker_id == worker_id).order_by(c.received_on.desc(), c.id)
        )
        return [
            Feedback(**{**row._mapping, "source": FeedbackSource(row.source), "kind": FeedbackKind(row.kind)})
            for row in rows
        ]

    # --- progression

    async def forget_names_from(self, individual_id: UUID, key_person_ids: Sequence[UUID]) -> int:
        """Feedback from the individual or their key people no longer names who gave it (the
        individual was anonymised); the feedback itself, its source and ids stay. Returns rows changed."""
        c = t.feedback.c
        result = await self._session.execute(
            sa.update(t.feedback)
            .where(
                sa.or_(c.individual_id == individual_id, c.key_person_id.in_(key_person_ids)),
                c.from_name.is_not(None),
            )
            .values(from_name=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def add_evidence(self, evidence: ProgressionEvidence) -> None:
        """Store a piece of the progression portfolio."""
        values = {k: getattr(evidence, k) for k in _names(t.progression_evidence)}
        values["kind"] = str(evidence.kind)
        await self._session.execute(sa.insert(t.progression_evidence).values(**values))

    async def evidence(self, worker_id: UUID) -> list[ProgressionEvidence]:
        """The worker's progression portfolio, by year and date."""
        c = t.progression_evidence.c
        rows = await self._session.execute(
            sa.select(t.progression_evidence)
            .where(c.worker_id == worker_id)
            .order_by(c.year, c.completed_on, c.id)
        )
        return [ProgressionEvidence(**{**row._mapping, "kind": EvidenceKind(row.kind)}) for row in rows]


def _plan_values(plan: DevelopmentPlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "worker_id": plan.worker_id,
        "agreed_on": plan.agreed_on,
        "agreed_by": plan.agreed_by,
        "created_at": plan.created_at,
        "goals": [
            {
                "need": g.need,
                "action": g.action,
                "skill": g.skill,
                "target_on": g.target_on.isoformat() if g.target_on else None,
                "status": str(g.status),
            }
            for g in plan.goals
        ],
        "reviews": [
            {
                "reviewed_on": r.reviewed_on.isoformat(),
                "reviewed_by": str(r.reviewed_by),
                "notes": r.notes,
                "stage": r.stage,
            }
            for r in plan.reviews
        ],
    }


def _plan(row: sa.RowMapping) -> DevelopmentPlan:
    return DevelopmentPlan(
        id=row["id"],
        worker_id=row["worker_id"],
        agreed_on=row["agreed_on"],
        agreed_by=row["agreed_by"],
        created_at=row["created_at"],
        goals=tuple(
            DevelopmentGoal(g["need"], g["action"], g["skill"], _day(g["target_on"]), GoalStatus(g["status"]))
            for g in row["goals"]
        ),
        reviews=tuple(
            PlanReview(date.fromisoformat(r["reviewed_on"]), UUID(r["reviewed_by"]), r["notes"], r["stage"])
            for r in row["reviews"]
        ),
    )
