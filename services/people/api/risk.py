"""The risk assessment of an individual's home over HTTP (000 P14-P17)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.people.api.common import (
    IfMatch,
    UoW,
    decode_cursor,
    encode_cursor,
    expected_version,
    link_next,
    set_etag,
)
from services.people.domain.risk import AssessmentStatus, Hazard, HazardKind, RiskAssessment, RiskLevel
from services.people.errors import Invalid
from services.people.handlers import risk as handlers
from services.people.handlers.common import today

router = APIRouter(tags=["risk assessments"])

LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class HazardIo(BaseModel):
    """A hazard, how serious it is after its controls, and what workers do about it (000 P16)."""

    model_config = ConfigDict(extra="forbid")

    kind: HazardKind
    description: LongText = Field(examples=["son has shouted at carers when drunk"])
    level: RiskLevel
    controls: LongText = Field(examples=["two workers; leave if he is present and drinking; call on-call"])


class AssessmentIn(BaseModel):
    """The assessment of the home, incl. lone-working factors and any history of aggression."""

    model_config = ConfigDict(extra="forbid")

    assessed_on: date
    review_date: date = Field(description="At most 12 months after assessed_on.")
    assessed_by: UUID = Field(description="The worker who assessed the home.")
    hazards: list[HazardIo] = Field(default_factory=list, max_length=50)
    double_up_required: bool = Field(default=False, description="Every visit needs two workers (000 P17).")
    double_up_reason: LongText | None = None
    mobile_signal: bool = Field(default=True, description="False: workers cannot call for help from inside.")

    def domain(self, individual_id: UUID) -> RiskAssessment:
        """The domain's value for this body."""
        return RiskAssessment(
            individual_id=individual_id,
            assessed_on=self.assessed_on,
            review_date=self.review_date,
            assessed_by=self.assessed_by,
            hazards=tuple(Hazard(h.kind, h.description, h.level, h.controls) for h in self.hazards),
            double_up_required=self.double_up_required,
            double_up_reason=self.double_up_reason,
            mobile_signal=self.mobile_signal,
        )


class AssessmentOut(AssessmentIn):
    """The assessment as it stands."""

    model_config = ConfigDict(extra="ignore")

    individual_id: UUID
    overall: RiskLevel
    history_of_aggression: bool
    status: AssessmentStatus
    version: int

    @classmethod
    def of(cls, a: RiskAssessment) -> AssessmentOut:
        """The body for ``a``."""
        return cls(
            individual_id=a.individual_id,
            assessed_on=a.assessed_on,
            review_date=a.review_date,
            assessed_by=a.assessed_by,
            hazards=[
                HazardIo(kind=h.kind, description=h.description, level=h.level, controls=h.controls)
                for h in a.hazards
            ],
            double_up_required=a.double_up_required,
            double_up_reason=a.double_up_reason,
            mobile_signal=a.mobile_signal,
            overall=a.overall,
            history_of_aggression=a.history_of_aggression,
            status=a.status,
            version=a.version,
        )


URL = "/individuals/{individual_id}/risk-assessment"


@router.post(URL, status_code=status.HTTP_201_CREATED, summary="Assess the home")
async def record_assessment(
    individual_id: UUID, body: AssessmentIn, uow: UoW, response: Response
) -> AssessmentOut:
    """The first assessment (409 once made); announces ``rounds.individual.riskassessment.recorded.v1``."""
    assessment = await handlers.record_assessment(uow, body.domain(individual_id))
    response.headers["Location"] = f"individuals/{individual_id}/risk-assessment"
    set_etag(response, assessment.version)
    return AssessmentOut.of(assessment)


@router.get(URL, summary="Read the home's risk assessment")
async def get_assessment(individual_id: UUID, uow: UoW, response: Response) -> AssessmentOut:
    """The assessment with its ``ETag``."""
    async with uow:
        assessment = await handlers.existing_assessment(uow, individual_id)
    set_etag(response, assessment.version)
    return AssessmentOut.of(assessment)


@router.put(URL, summary="Review the home's risk assessment")
async def review_assessment(
    individual_id: UUID, body: AssessmentIn, uow: UoW, response: Response, if_match: IfMatch = None
) -> AssessmentOut:
    """Replace it after a review; announces ``rounds.individual.riskassessment.updated.v1``. Stale: 412."""
    assessment = await handlers.review_assessment(uow, body.domain(individual_id), expected_version(if_match))
    set_etag(response, assessment.version)
    return AssessmentOut.of(assessment)


@router.post(f"{URL}/end", summary="End the home's risk assessment")
async def end_assessment(
    individual_id: UUID, uow: UoW, response: Response, if_match: IfMatch = None
) -> AssessmentOut:
    """The assessment no longer applies; announces the update with ``status: ended``."""
    assessment = await handlers.end_assessment(uow, individual_id, expected_version(if_match))
    set_etag(response, assessment.version)
    return AssessmentOut.of(assessment)


@router.get("/risk-assessments/due", summary="Risk assessments due for review")
async def assessments_due(
    uow: UoW,
    response: Response,
    by: Annotated[date | None, Query(description="Due on or before this day; default: today.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> list[AssessmentOut]:
    """Current assessments whose review date has come (000 P15: keep them under review), soonest first."""
    after = decode_cursor(cursor, 2)
    key: tuple[date, UUID] | None = None
    if after is not None:
        try:
            key = (date.fromisoformat(after[0]), UUID(after[1]))
        except ValueError:
            raise Invalid.on("query.cursor", "is not a cursor this service gave") from None
    async with uow:
        due_by = by or today(uow)
        found = await uow.risks.due(by=due_by, limit=limit + 1, after=key)
    page = found[:limit]
    last = page[-1] if page else None
    next_cursor = (
        encode_cursor([last.review_date.isoformat(), str(last.individual_id)])
        if last and len(found) > limit
        else None
    )
    link_next(
        response, "risk-assessments/due", next_cursor, {"limit": limit, "by": by.isoformat() if by else None}
    )
    return [AssessmentOut.of(a) for a in page]
