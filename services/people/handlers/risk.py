"""The risk assessment of an individual's home (000 P14-P17): record, review, end; announced for rota."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from rounds.contracts.people import HazardNotice, RiskAssessmentRecorded, RiskAssessmentUpdated
from rounds.infra.problems import Conflict, NotFound
from services.people.adapters.repository import StaleVersion
from services.people.domain.risk import AssessmentStatus, RiskAssessment, RiskRuleBroken, check_assessment
from services.people.errors import Invalid, stale, unknown_reference
from services.people.handlers.common import check_version, existing_individual, today
from services.people.unit_of_work import PeopleUnitOfWork


async def _checked(uow: PeopleUnitOfWork, assessment: RiskAssessment) -> RiskAssessment:
    try:
        check_assessment(assessment, today(uow))
    except RiskRuleBroken as broken:
        raise Invalid.on(f"body.{broken.field}", broken.reason) from None
    if await uow.workers.get(assessment.assessed_by) is None:
        raise unknown_reference("body.assessed_by", "worker", assessment.assessed_by)
    return assessment


async def record_assessment(uow: PeopleUnitOfWork, assessment: RiskAssessment) -> RiskAssessment:
    """The home's first assessment (409 when one exists: review it instead)."""
    async with uow:
        individual = await existing_individual(uow, assessment.individual_id)
        await _checked(uow, assessment)
        if await uow.risks.get(assessment.individual_id) is not None:
            raise Conflict("This home has been assessed already: review that assessment (PUT) instead.")
        await uow.risks.add(assessment)
        uow.publish(assessment_event(RiskAssessmentRecorded, assessment, individual.locality))
        await uow.commit()
    return assessment


async def existing_assessment(uow: PeopleUnitOfWork, individual_id: UUID) -> RiskAssessment:
    """The home's assessment, or 404."""
    await existing_individual(uow, individual_id)
    assessment = await uow.risks.get(individual_id)
    if assessment is None:
        raise NotFound(f"The home of individual {individual_id} has not been assessed yet.")
    return assessment


async def review_assessment(
    uow: PeopleUnitOfWork, assessment: RiskAssessment, expected_version: int | None
) -> RiskAssessment:
    """Replace the assessment after a review (an ended one is current again); announces the update."""
    async with uow:
        individual = await existing_individual(uow, assessment.individual_id)
        current = await existing_assessment(uow, assessment.individual_id)
        check_version("risk assessment", current.version, expected_version)
        reviewed = await _checked(uow, replace(assessment, version=current.version + 1))
        await _store(uow, reviewed, current.version)
        uow.publish(assessment_event(RiskAssessmentUpdated, reviewed, individual.locality))
        await uow.commit()
    return reviewed


async def end_assessment(
    uow: PeopleUnitOfWork, individual_id: UUID, expected_version: int | None
) -> RiskAssessment:
    """The assessment no longer applies (the home is no longer visited); announces the update."""
    async with uow:
        await existing_individual(uow, individual_id)
        current = await existing_assessment(uow, individual_id)
        check_version("risk assessment", current.version, expected_version)
        ended = await end_with_service(uow, individual_id)
        await uow.commit()
    return ended or current


async def end_with_service(uow: PeopleUnitOfWork, individual_id: UUID) -> RiskAssessment | None:
    """Inside an open unit of work: end the home's current assessment, if any; announces the update."""
    current = await uow.risks.get(individual_id)
    if current is None or current.status is AssessmentStatus.ENDED:
        return None
    individual = await existing_individual(uow, individual_id)
    ended = replace(current, status=AssessmentStatus.ENDED, version=current.version + 1)
    await _store(uow, ended, current.version)
    uow.publish(assessment_event(RiskAssessmentUpdated, ended, individual.locality))
    return ended


async def _store(uow: PeopleUnitOfWork, assessment: RiskAssessment, expected_version: int) -> None:
    try:
        await uow.risks.update(assessment, expected_version=expected_version)
    except StaleVersion:
        raise stale("risk assessment", expected_version + 1) from None


def assessment_event(
    kind: type[RiskAssessmentRecorded] | type[RiskAssessmentUpdated], a: RiskAssessment, locality: str
) -> RiskAssessmentRecorded | RiskAssessmentUpdated:
    """The state-carried event for ``a``."""
    return kind(
        individual_id=a.individual_id,
        version=a.version,
        locality=locality,
        assessed_on=a.assessed_on,
        review_date=a.review_date,
        overall=a.overall.value,
        double_up_required=a.double_up_required,
        double_up_reason=a.double_up_reason,
        history_of_aggression=a.history_of_aggression,
        mobile_signal=a.mobile_signal,
        hazards=[
            HazardNotice(
                kind=h.kind.value, description=h.description, level=h.level.value, controls=h.controls
            )
            for h in a.hazards
        ],
        status=a.status.value,
    )
