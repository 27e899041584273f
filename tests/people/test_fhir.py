"""FHIR R4 read endpoints, each answer validated against the ``fhir.resources`` R4B models (R4-compatible
for these resources): Patient, RelatedPerson, Practitioner, PractitionerRole, CarePlan."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.relatedperson import RelatedPerson
from pydantic import ValidationError

from tests.people.test_individuals_api import DAUGHTER, EDNA
from tests.people.test_plans_api import COORDINATOR, PLAN
from tests.people.test_workers_api import ASHA

pytestmark = pytest.mark.integration


async def _fhir(people: httpx.AsyncClient, path: str) -> dict[str, Any]:
    answer = await people.get(f"/fhir/{path}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/fhir+json"
    assert answer.headers["etag"].startswith('W/"')
    body: dict[str, Any] = answer.json()
    return body


async def test_an_individual_and_their_key_person_are_valid_patient_and_related_person(
    people: httpx.AsyncClient,
) -> None:
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    coordinator = {"X-Rounds-Actor": '{"sub": "c", "role": "coordinator"}'}
    notes = {"notes": "key safe by the back door", "key_safe_code": "4821"}
    await people.put(f"/individuals/{edna}/access-notes", json=notes, headers=coordinator)
    jane = (await people.post(f"/individuals/{edna}/key-people", json=DAUGHTER)).json()["id"]

    body = await _fhir(people, f"Patient/{edna}")
    patient = Patient.model_validate(body)
    assert patient.identifier[0].system == "https://fhir.nhs.uk/Id/nhs-number"
    assert patient.identifier[0].value == "9434765919"
    assert (patient.gender, str(patient.birthDate)) == (None, "1936-02-11")
    assert patient.address[0].postalCode == "HG5 0AA"
    assert patient.address[0].extension[0].extension[0].valueDecimal == pytest.approx(54.0)
    assert "4821" not in str(body)
    assert "back door" not in str(body)

    related = RelatedPerson.model_validate(await _fhir(people, f"RelatedPerson/{jane}"))
    assert related.patient.reference == f"Patient/{edna}"
    assert related.relationship[0].text == "daughter"
    assert related.telecom[0].value == "07700 900123"


async def test_a_worker_is_a_valid_practitioner_and_practitioner_role_with_their_week_and_absences(
    people: httpx.AsyncClient,
) -> None:
    asha = (await people.post("/workers", json=ASHA)).json()["id"]
    week = {"hours": [{"weekday": d, "start": "08:00", "end": "16:00"} for d in range(5)]}
    await people.put(f"/workers/{asha}/availability", json=week)
    sick = {"kind": "sickness", "first_day": "2026-06-03", "last_day": "2026-06-04"}
    await people.post(f"/workers/{asha}/absences", json=sick)

    practitioner = Practitioner.model_validate(await _fhir(people, f"Practitioner/{asha}"))
    hcpc, handling = practitioner.qualification
    assert (hcpc.code.text, hcpc.identifier[0].value, str(hcpc.period.end)) == (
        "HCPC registration",
        "OT12345",
        "2027-08-30",  # expires on 31 August: the 30th is the last valid day
    )
    assert handling.code.text == "moving_and_handling"

    body = await _fhir(people, f"PractitionerRole/{asha}")
    role = PractitionerRole.model_validate(body)
    assert role.practitioner.reference == f"Practitioner/{asha}"
    assert role.availableTime[0].daysOfWeek == ["mon", "tue", "wed", "thu", "fri"]
    assert str(role.availableTime[0].availableStartTime) == "08:00:00"
    assert role.notAvailable[0].description == "Not available"
    assert "sickness" not in str(body)  # why someone is away is not a partner's business


async def test_an_agreed_plan_is_a_valid_care_plan_with_goals_activities_and_signatories(
    people: httpx.AsyncClient,
) -> None:
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    jane = (await people.post(f"/individuals/{edna}/key-people", json=DAUGHTER)).json()["id"]
    cara = (await people.post("/workers", json=COORDINATOR)).json()["id"]
    plan_id = (await people.post(f"/individuals/{edna}/plan", json=PLAN)).json()["plan_id"]
    draft = CarePlan.model_validate(await _fhir(people, f"CarePlan/{plan_id}"))
    assert draft.status == "draft"
    await people.post(f"/individuals/{edna}/plan/sign-offs", json={"kind": "coordinator", "signer_id": cara})
    await people.post(
        f"/individuals/{edna}/plan/sign-offs", json={"kind": "representative", "signer_id": jane}
    )

    plan = CarePlan.model_validate(await _fhir(people, f"CarePlan/{plan_id}"))
    assert (plan.status, plan.intent, plan.subject.reference) == ("active", "plan", f"Patient/{edna}")
    assert [g.reference for g in plan.goal] == ["#outcome-1", "#outcome-2"]
    assert plan.contained[0].description.text == "stays in her own home"
    bedtime = plan.activity[1].detail
    assert bedtime.code.text == "Bedtime"
    assert bedtime.scheduledTiming.repeat.dayOfWeek == ["mon", "wed", "fri"]
    assert bedtime.description == "Hoist to bed"
    assert [c.reference for c in plan.contributor] == [f"Practitioner/{cara}", f"RelatedPerson/{jane}"]


async def test_unknown_ids_are_404_problems(people: httpx.AsyncClient) -> None:
    unknown = "00000000-0000-0000-0000-000000000001"
    for kind in ("Patient", "RelatedPerson", "Practitioner", "PractitionerRole", "CarePlan"):
        answer = await people.get(f"/fhir/{kind}/{unknown}")
        assert (answer.status_code, answer.headers["content-type"]) == (404, "application/problem+json")


def test_the_fhir_models_do_refuse_a_malformed_resource() -> None:
    # The checks above mean something only if the models refuse what FHIR does not allow.
    with pytest.raises(ValidationError):
        Patient.model_validate({"resourceType": "Patient", "name": "Edna Moss"})
    with pytest.raises(ValidationError):
        CarePlan.model_validate(
            {"resourceType": "CarePlan", "status": "active", "subject": {"reference": "x"}}
        )
