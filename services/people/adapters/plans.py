"""Loading and storing plans and their versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from services.people.adapters.repository import StaleVersion
from services.people.adapters.tables import care_plan_versions, care_plans
from services.people.domain.plans import PlanContent, PlanHistory, PlanStatus, PlanVersion, SignOff

# The domain's dataclasses are (de)serialised by pydantic here, at the edge of the database.
_content = TypeAdapter(PlanContent)
_sign_offs = TypeAdapter(tuple[SignOff, ...])


class PlanRepository:
    """Plans and their versions in the people database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def plan_of(self, individual_id: UUID) -> UUID | None:
        """The id of the individual's plan, if they have one."""
        return (
            await self._session.execute(
                sa.select(care_plans.c.id).where(care_plans.c.individual_id == individual_id)
            )
        ).scalar_one_or_none()

    async def individual_of(self, plan_id: UUID) -> UUID | None:
        """Whose plan this is, if it exists."""
        return (
            await self._session.execute(
                sa.select(care_plans.c.individual_id).where(care_plans.c.id == plan_id)
            )
        ).scalar_one_or_none()

    async def create(self, plan_id: UUID, individual_id: UUID, at: datetime) -> None:
        """Start a plan for the individual (one per individual)."""
        await self._session.execute(
            sa.insert(care_plans).values(id=plan_id, individual_id=individual_id, created_at=at)
        )

    async def add_version(self, version: PlanVersion) -> None:
        """Store a new version."""
        await self._session.execute(
            sa.insert(care_plan_versions).values(
                plan_id=version.plan_id,
                version=version.version,
                created_at=version.created_at,
                **_columns(version),
            )
        )

    async def save_version(self, version: PlanVersion, *, expected_revision: int) -> None:
        """Store over the version still at ``expected_revision``; :class:`StaleVersion` otherwise."""
        result = await self._session.execute(
            sa.update(care_plan_versions)
            .where(
                care_plan_versions.c.plan_id == version.plan_id,
                care_plan_versions.c.version == version.version,
                care_plan_versions.c.revision == expected_revision,
            )
            .values(**_columns(version))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(f"{version.plan_id}/{version.version}")

    async def due_for_review(
        self, *, by: date, limit: int, after: tuple[date, UUID] | None
    ) -> list[PlanVersion]:
        """Agreed versions (those in force) whose review date is on or before ``by``, soonest first."""
        query = (
            sa.select(care_plan_versions, care_plans.c.individual_id)
            .join(care_plans, care_plans.c.id == care_plan_versions.c.plan_id)
            .where(
                care_plan_versions.c.status == PlanStatus.AGREED.value,
                care_plan_versions.c.review_date <= by,
            )
        )
        if after is not None:
            query = query.where(
                sa.tuple_(care_plan_versions.c.review_date, care_plan_versions.c.plan_id)
                > sa.tuple_(sa.literal(after[0], type_=sa.Date()), sa.literal(after[1], type_=sa.Uuid()))
            )
        rows = await self._session.execute(
            query.order_by(care_plan_versions.c.review_date, care_plan_versions.c.plan_id).limit(limit)
        )
        return [_version(r) for r in rows]

    async def history(self, individual_id: UUID) -> PlanHistory | None:
        """Every version of the individual's plan, oldest first; None when they have no plan."""
        rows = (
            await self._session.execute(
                sa.select(care_plan_versions, care_plans.c.individual_id)
                .join(care_plans, care_plans.c.id == care_plan_versions.c.plan_id)
                .where(care_plans.c.individual_id == individual_id)
                .order_by(care_plan_versions.c.version)
            )
        ).all()
        if not rows:
            return None
        return PlanHistory([_version(r) for r in rows])


def _version(r: Any) -> PlanVersion:
    return PlanVersion(
        plan_id=r.plan_id,
        individual_id=r.individual_id,
        version=r.version,
        status=PlanStatus(r.status),
        content=_content.validate_python(r.content),
        created_at=r.created_at,
        sign_offs=_sign_offs.validate_python(r.sign_offs),
        agreed_at=r.agreed_at,
        revision=r.revision,
    )


def _columns(version: PlanVersion) -> dict[str, object]:
    return {
        "status": version.status.value,
        "content": _content.dump_python(version.content, mode="json"),
        "sign_offs": _sign_offs.dump_python(version.sign_offs, mode="json"),
        "revision": version.revision,
        "agreed_at": version.agreed_at,
        "review_date": version.content.review_date,
    }
