"""FHIR R4 read endpoints for partner systems: Patient, RelatedPerson, Practitioner, PractitionerRole,
CarePlan (``application/fhir+json``). Ids are Rounds ids; errors are problem+json like every route."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from rounds.infra.problems import NotFound
from services.people.api.common import UoW
from services.people.domain import fhir
from services.people.domain.availability import AbsenceStatus, WorkingPattern
from services.people.domain.individuals import IndividualStatus
from services.people.domain.workers import Worker
from services.people.handlers import plans as plan_handlers
from services.people.handlers.common import existing_individual

router = APIRouter(prefix="/fhir", tags=["FHIR R4 (partners)"])

FHIR_JSON = "application/fhir+json"


class FhirResponse(JSONResponse):
    """A FHIR resource, with its version as a weak ETag as FHIR's RESTful API does."""

    media_type = FHIR_JSON


def _resource(resource: dict[str, Any]) -> FhirResponse:
    return FhirResponse(resource, headers={"ETag": f'W/"{resource["meta"]["versionId"]}"'})


_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {FHIR_JSON: {}}, "description": "The FHIR R4 resource"}
}


@router.get("/Patient/{individual_id}", response_class=FhirResponse, responses=_DOC, summary="FHIR Patient")
async def fhir_patient(individual_id: UUID, uow: UoW) -> FhirResponse:
    """An individual as a FHIR R4 Patient (NHS number, name, address with coordinates, language)."""
    async with uow:
        individual = await existing_individual(uow, individual_id)
    return _resource(fhir.patient(individual))


@router.get(
    "/RelatedPerson/{key_person_id}",
    response_class=FhirResponse,
    responses=_DOC,
    summary="FHIR RelatedPerson",
)
async def fhir_related_person(key_person_id: UUID, uow: UoW) -> FhirResponse:
    """A key person as a FHIR R4 RelatedPerson of their individual."""
    async with uow:
        person = await uow.key_people.find(key_person_id)
    if person is None:
        raise NotFound(f"No key person has id {key_person_id}.")
    return _resource(fhir.related_person(person))


async def _worker(uow: UoW, worker_id: UUID) -> Worker:
    worker = await uow.workers.get(worker_id)
    if worker is None:
        raise NotFound(f"No worker has id {worker_id}.")
    return worker


@router.get(
    "/Practitioner/{worker_id}", response_class=FhirResponse, responses=_DOC, summary="FHIR Practitioner"
)
async def fhir_practitioner(worker_id: UUID, uow: UoW) -> FhirResponse:
    """A worker as a FHIR R4 Practitioner with registrations and competencies as qualifications."""
    async with uow:
        worker = await _worker(uow, worker_id)
    return _resource(fhir.practitioner(worker))


@router.get(
    "/PractitionerRole/{worker_id}",
    response_class=FhirResponse,
    responses=_DOC,
    summary="FHIR PractitionerRole",
)
async def fhir_practitioner_role(worker_id: UUID, uow: UoW) -> FhirResponse:
    """The worker's role, locality, weekly availability and coming absences (no reasons given)."""
    async with uow:
        worker = await _worker(uow, worker_id)
        found = await uow.availability.pattern(worker_id)
        absences = await uow.availability.page(worker_id, limit=50, after=None, ending_after=uow.clock.now())
    pattern = found[0] if found else WorkingPattern()
    standing = [a for a in absences if a.status is AbsenceStatus.RECORDED]
    return _resource(fhir.practitioner_role(worker, pattern, standing))


@router.get("/CarePlan/{plan_id}", response_class=FhirResponse, responses=_DOC, summary="FHIR CarePlan")
async def fhir_care_plan(plan_id: UUID, uow: UoW) -> FhirResponse:
    """The plan in force (or ended) as a FHIR R4 CarePlan; the draft while none has been agreed yet."""
    async with uow:
        individual_id = await uow.plans.individual_of(plan_id)
        if individual_id is None:
            raise NotFound(f"No plan has id {plan_id}.")
        history = await plan_handlers.plan_history(uow, individual_id)
        individual = await existing_individual(uow, individual_id)
    version = history.last_in_force or history.latest
    return _resource(fhir.care_plan(version, individual.status is not IndividualStatus.ENDED))
