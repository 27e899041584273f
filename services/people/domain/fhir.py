"""FHIR R4 views of the people service's records, for partner systems (NHS and local authority).

Plain mappings from the domain to FHIR JSON: Patient, RelatedPerson, Practitioner, PractitionerRole
and CarePlan. What is restricted never appears (access notes, key-safe codes), nor why a worker is
away (a partner sees "not available", never "sickness"). Expiry dates in Rounds are the first day a
thing no longer counts; FHIR periods end on the last day it does, hence the day taken off.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from services.people.domain.availability import Absence, WorkingPattern
from services.people.domain.individuals import Individual, IndividualStatus, KeyPerson
from services.people.domain.plans import PlanStatus, PlanVersion, SignerKind
from services.people.domain.workers import EmploymentStatus, Worker

Json = dict[str, Any]

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
BCP47 = "urn:ietf:bcp:47"
GEOLOCATION = "http://hl7.org/fhir/StructureDefinition/geolocation"
ROUNDS_ID = "urn:rounds:people"
ROLE_SYSTEM = "urn:rounds:worker-role"
_GENDERS = {"male", "female", "other", "unknown"}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: 003 versions to FHIR CarePlan.status: a superseded version was replaced before it ran its course.
_PLAN_STATUS = {
    PlanStatus.DRAFT: "draft",
    PlanStatus.AGREED: "active",
    PlanStatus.SUPERSEDED: "revoked",
    PlanStatus.ENDED: "completed",
    PlanStatus.WITHDRAWN: "revoked",
}


def _gender(value: str | None) -> str | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    return lowered if lowered in _GENDERS else "other"


def _language(code: str) -> Json:
    return {"language": {"coding": [{"system": BCP47, "code": code}], "text": code}, "preferred": True}


def _last_valid_day(expires_on: date | None) -> str | None:
    return (expires_on - timedelta(days=1)).isoformat() if expires_on else None


def _without_empty(resource: Json) -> Json:
    """FHIR forbids empty values: drop None, empty lists and empty objects."""
    return {k: v for k, v in resource.items() if v not in (None, [], {}, "")}


def patient(i: Individual) -> Json:
    """The individual as a FHIR Patient (no access notes, no key-safe code, ever)."""
    names: list[Json] = [{"use": "official", "family": i.family_name, "given": [i.given_name]}]
    if i.preferred_name:
        names.append({"use": "usual", "given": [i.preferred_name]})
    address = {
        "use": "home",
        "type": "physical",
        "line": list(i.address.lines),
        "postalCode": i.address.postcode,
        "extension": [
            {
                "url": GEOLOCATION,
                "extension": [
                    {"url": "latitude", "valueDecimal": i.address.location.lat},
                    {"url": "longitude", "valueDecimal": i.address.location.lon},
                ],
            }
        ],
    }
    return _without_empty(
        {
            "resourceType": "Patient",
            "id": str(i.id),
            "meta": {"versionId": str(i.version)},
            "identifier": [{"system": NHS_NUMBER, "value": i.nhs_number}] if i.nhs_number else [],
            "active": i.status is not IndividualStatus.ENDED,
            "name": names,
            "telecom": [{"system": "phone", "value": i.phone, "use": "home"}] if i.phone else [],
            "gender": _gender(i.gender),
            "birthDate": i.date_of_birth.isoformat() if i.date_of_birth else None,
            "address": [address],
            "communication": [_language(i.language)],
        }
    )


def related_person(p: KeyPerson) -> Json:
    """A key person as a FHIR RelatedPerson of their individual's Patient."""
    telecom: list[Json] = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    return _without_empty(
        {
            "resourceType": "RelatedPerson",
            "id": str(p.id),
            "meta": {"versionId": str(p.version)},
            "active": p.active,
            "patient": {"reference": f"Patient/{p.individual_id}"},
            "relationship": [{"text": p.relationship}],
            "name": [{"family": p.family_name, "given": [p.given_name]}],
            "telecom": telecom,
            "communication": [_language(p.language)],
        }
    )


def practitioner(w: Worker) -> Json:
    """A worker as a FHIR Practitioner, with registrations and competencies as qualifications."""
    qualifications: list[Json] = [
        _without_empty(
            {
                "identifier": [{"system": f"urn:rounds:registration:{r.body.lower()}", "value": r.number}],
                "code": {"text": f"{r.body} registration"},
                "period": _without_empty({"end": _last_valid_day(r.expires_on)}),
            }
        )
        for r in w.registrations
    ]
    qualifications += [
        _without_empty(
            {
                "code": {"text": c.name},
                "period": _without_empty(
                    {
                        "start": c.achieved_on.isoformat() if c.achieved_on else None,
                        "end": _last_valid_day(c.expires_on),
                    }
                ),
            }
        )
        for c in w.competencies
    ]
    return _without_empty(
        {
            "resourceType": "Practitioner",
            "id": str(w.id),
            "meta": {"versionId": str(w.version)},
            "identifier": [{"system": ROUNDS_ID, "value": str(w.id)}],
            "active": w.status is EmploymentStatus.ACTIVE,
            "name": [{"family": w.family_name, "given": [w.given_name]}],
            "gender": _gender(w.gender),
            "qualification": qualifications,
            "communication": [
                {"coding": [{"system": BCP47, "code": code}], "text": code} for code in w.languages
            ],
        }
    )


def practitioner_role(w: Worker, pattern: WorkingPattern, absences: list[Absence]) -> Json:
    """What the worker does, where, and when they are available (their week, less absences)."""
    by_hours: dict[tuple[str, str], list[int]] = defaultdict(list)
    for h in pattern.hours:
        by_hours[(h.start.isoformat("seconds"), h.end.isoformat("seconds"))].append(h.weekday)
    available = [
        {"daysOfWeek": [_DAYS[d] for d in sorted(days)], "availableStartTime": start, "availableEndTime": end}
        for (start, end), days in sorted(by_hours.items())
    ]
    period = _without_empty(
        {
            "start": w.start_date.isoformat() if w.start_date else None,
            "end": (w.ended_on - timedelta(days=1)).isoformat() if w.ended_on else None,
        }
    )
    return _without_empty(
        {
            "resourceType": "PractitionerRole",
            "id": str(w.id),
            "meta": {"versionId": str(w.version)},
            "active": w.status is EmploymentStatus.ACTIVE,
            "period": period,
            "practitioner": {"reference": f"Practitioner/{w.id}", "display": w.full_name},
            "code": [
                {
                    "coding": [{"system": ROLE_SYSTEM, "code": w.role.value}],
                    "text": w.job_title or w.role.value,
                }
            ],
            "specialty": [{"text": skill} for skill in w.skills],
            "location": [{"display": w.locality}],
            "availableTime": available,
            "notAvailable": [
                # Why someone is away is theirs to keep: a partner learns only that they are.
                {
                    "description": "Not available",
                    "during": {"start": a.starts_at.isoformat(), "end": a.ends_at.isoformat()},
                }
                for a in absences
            ],
        }
    )


def care_plan(v: PlanVersion, individual_active: bool) -> Json:
    """A version of the service delivery plan as a FHIR CarePlan (003), outcomes as contained Goals."""
    subject = {"reference": f"Patient/{v.individual_id}"}
    goals = [
        {
            "resourceType": "Goal",
            "id": f"outcome-{n}",
            "lifecycleStatus": "active",
            "description": {"text": outcome},
            "subject": subject,
        }
        for n, outcome in enumerate(v.content.outcomes, start=1)
    ]
    status = _PLAN_STATUS[v.status]
    if status == "active" and not individual_active:
        status = "completed"
    return _without_empty(
        {
            "resourceType": "CarePlan",
            "id": str(v.plan_id),
            "meta": {"versionId": str(v.version)},
            "contained": goals,
            "status": status,
            "intent": "plan",
            "title": "Service delivery plan",
            "description": "; ".join(n.description for n in v.content.needs) or None,
            "subject": subject,
            "period": _without_empty(
                {
                    "start": v.content.start_date.isoformat(),
                    "end": v.content.end_date.isoformat() if v.content.end_date else None,
                }
            ),
            "created": v.created_at.isoformat(),
            "contributor": [
                _signer(s.kind, s.signer_id, v.individual_id, s.signer_name) for s in v.sign_offs
            ],
            "goal": [{"reference": f"#{g['id']}"} for g in goals],
            "activity": [
                {
                    "detail": _without_empty(
                        {
                            "kind": "Task",
                            "code": {"text": line.name},
                            "status": "scheduled",
                            "description": "; ".join(line.tasks) or None,
                            "scheduledTiming": {
                                "repeat": {
                                    "dayOfWeek": [_DAYS[d] for d in sorted(line.weekdays)],
                                    "timeOfDay": [line.preferred_start.isoformat("seconds")],
                                    "duration": line.duration_minutes,
                                    "durationUnit": "min",
                                }
                            },
                        }
                    )
                }
                for line in v.content.visits
            ],
            "note": [
                {"text": f"Risk: {r.description}. Agreed management: {r.management}"} for r in v.content.risks
            ],
        }
    )


def _signer(kind: SignerKind, signer_id: UUID, individual_id: UUID, name: str) -> Json:
    if kind is SignerKind.COORDINATOR:
        return {"reference": f"Practitioner/{signer_id}", "display": name}
    if kind is SignerKind.REPRESENTATIVE:
        return {"reference": f"RelatedPerson/{signer_id}", "display": name}
    return {"reference": f"Patient/{individual_id}", "display": name}
