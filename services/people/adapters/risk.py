"""Loading and storing the risk assessments of individuals' homes."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from services.people.adapters.repository import StaleVersion
from services.people.adapters.tables import risk_assessments
from services.people.domain.risk import AssessmentStatus, RiskAssessment

# The domain's dataclass is (de)serialised by pydantic here, at the edge of the database.
_assessment = TypeAdapter(RiskAssessment)
ReviewKey = tuple[date, UUID]


class RiskRepository:
    """Risk assessments in the people database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, individual_id: UUID) -> RiskAssessment | None:
        """The home's assessment, if one was made."""
        row = (
            await self._session.execute(
                sa.select(risk_assessments.c.content).where(risk_assessments.c.individual_id == individual_id)
            )
        ).first()
        return _assessment.validate_python(row.content) if row else None

    async def add(self, assessment: RiskAssessment) -> None:
        """Store the first assessment of a home."""
        await self._session.execute(
            sa.insert(risk_assessments).values(individual_id=assessment.individual_id, **_columns(assessment))
        )

    async def update(self, assessment: RiskAssessment, *, expected_version: int) -> None:
        """Store over the assessment still at ``expected_version``; :class:`StaleVersion` otherwise."""
        result = await self._session.execute(
            sa.update(risk_assessments)
            .where(
                risk_assessments.c.individual_id == assessment.individual_id,
                risk_assessments.c.version == expected_version,
            )
            .values(**_columns(assessment))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(str(assessment.individual_id))

    async def due(self, *, by: date, limit: int, after: ReviewKey | None) -> list[RiskAssessment]:
        """Current assessments due for review by ``by``, soonest first, after the cursor ``after``."""
        query = sa.select(risk_assessments.c.content).where(
            risk_assessments.c.status == AssessmentStatus.CURRENT.value, risk_assessments.c.review_date <= by
        )
        if after is not None:
            query = query.where(
                sa.tuple_(risk_assessments.c.review_date, risk_assessments.c.individual_id)
                > sa.tuple_(sa.literal(after[0], type_=sa.Date()), sa.literal(after[1], type_=sa.Uuid()))
            )
        rows = await self._session.execute(
            query.order_by(risk_assessments.c.review_date, risk_assessments.c.individual_id).limit(limit)
        )
        return [_assessment.validate_python(r.content) for r in rows]


def _columns(assessment: RiskAssessment) -> dict[str, Any]:
    return {
        "review_date": assessment.review_date,
        "status": assessment.status.value,
        "version": assessment.version,
        "content": _assessment.dump_python(assessment, mode="json"),
    }
