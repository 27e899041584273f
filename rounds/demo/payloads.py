"""The demo provider as the people service's API wants it: one JSON body per record (pure).

Ids of records the service made (workers, localities, teams) are passed in, because the service gives
them when the record is created; the generator's refs never reach the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from rounds.demo.model import Individual, KeyPerson, OnCallShift, Plan, PlanVisit, Team, Worker

JsonBody = dict[str, Any]


def team_body(team: Team, locality_id: str, manager_id: str | None) -> JsonBody:
    """``POST /teams``."""
    return {"name": team.name, "locality_id": locality_id, "manager_id": manager_id}


def worker_body(worker: Worker, line_manager_id: str | None, team_id: str | None) -> JsonBody:
    """``POST /workers``: the whole record (shifts are not part of it: people has no availability yet)."""
    body: JsonBody = {
        "given_name": worker.given_name,
        "family_name": worker.family_name,
        "role": worker.role,
        "locality": worker.locality,
        "skills": list(worker.skills),
        "contracted_hours_per_week": worker.contracted_hours_per_week,
        "start_date": worker.start_date.isoformat(),
        "job_title": worker.job_title,
        "contract_type": worker.contract_type,
        "probation_status": worker.probation_status,
        "induction_status": worker.induction_status,
        "competencies": [
            {
                "name": t.name,
                "achieved_on": t.achieved_on.isoformat(),
                "expires_on": t.expires_on.isoformat() if t.expires_on else None,
                "mandatory": t.mandatory,
                "evidence": "Certificate held by the branch",
            }
            for t in worker.training
        ],
        "registrations": [
            {"body": r.body, "number": r.number, "expires_on": r.expires_on.isoformat()}
            for r in worker.registrations
        ],
        "dbs": {
            "certificate_number": worker.dbs.certificate_number,
            "issued_on": worker.dbs.issued_on.isoformat(),
            "recheck_due": worker.dbs.recheck_due.isoformat(),
            "level": "enhanced",
        },
        "languages": list(worker.languages),
        "gender": worker.gender,
        "home_base": {"lat": worker.home.lat, "lon": worker.home.lon},
        "transport_mode": worker.transport,
    }
    if line_manager_id:
        body["line_manager_id"] = line_manager_id
    if team_id:
        body["team_id"] = team_id
    return body


def individual_body(individual: Individual, worker_ids: Mapping[str, str]) -> JsonBody:
    """``POST /individuals``, with refused workers named by the ids the service gave them."""
    preferences = individual.preferences
    return {
        "given_name": individual.given_name,
        "family_name": individual.family_name,
        "preferred_name": individual.preferred_name,
        "date_of_birth": individual.date_of_birth.isoformat(),
        "nhs_number": individual.nhs_number,
        "gender": individual.gender,
        "phone": individual.phone,
        "locality": individual.locality,
        "address": {
            "lines": list(individual.address.lines),
            "postcode": individual.address.postcode,
            "location": {"lat": individual.address.location.lat, "lon": individual.address.location.lon},
        },
        "language": individual.language,
        "interpreter_needed": individual.interpreter_needed,
        "communication_needs": list(individual.communication_needs),
        "accessible_formats": list(individual.accessible_formats),
        "preferences": {
            "visit_times": [
                {
                    "label": slot.label,
                    "earliest": slot.earliest.isoformat("minutes"),
                    "latest": slot.latest.isoformat("minutes"),
                }
                for slot in preferences.visit_times
            ],
            "carer_gender": preferences.carer_gender,
            "refused_worker_ids": [worker_ids[ref] for ref in preferences.refused_worker_refs],
            "notes": preferences.notes,
        },
    }


def key_person_body(person: KeyPerson) -> JsonBody:
    """``POST /individuals/{id}/key-people``."""
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "relationship": person.relationship,
        "phone": person.phone,
        "email": person.email,
        "lasting_power_of_attorney": person.lasting_power_of_attorney,
        "is_representative": person.is_representative,
        "consent_to_be_informed": person.consent_to_be_informed,
        "informed_of": list(person.informed_of),
        "preferred_channel": person.preferred_channel,
        "language": person.language,
        "quiet_hours_start": person.quiet_hours_start.isoformat("minutes")
        if person.quiet_hours_start
        else None,
        "quiet_hours_end": person.quiet_hours_end.isoformat("minutes") if person.quiet_hours_end else None,
    }


def key_person_identity(body: Mapping[str, Any]) -> tuple[str, str, str]:
    """What tells one key person of an individual from another (the loader's natural key)."""
    return (str(body["given_name"]), str(body["family_name"]), str(body["relationship"]))


def access_notes_body(individual: Individual) -> JsonBody | None:
    """``PUT /individuals/{id}/access-notes``, or None when the home needs none."""
    notes = individual.access_notes
    if notes is None:
        return None
    return {"notes": notes.notes, "key_safe_code": notes.key_safe_code}


def visit_line_body(visit: PlanVisit) -> JsonBody:
    """One visit of a plan, as the people service's plans describe it (003 P6)."""
    return {
        "id": visit.id,
        "name": visit.name,
        "weekdays": sorted(visit.weekdays),
        "preferred_start": visit.preferred_start.isoformat("minutes"),
        "duration_minutes": visit.duration_minutes,
        "flexibility_minutes": visit.flexibility_minutes,
        "tasks": list(visit.tasks),
        "workers_required": visit.workers_required,
        "required_skills": sorted(visit.required_skills),
    }


def plan_body(plan: Plan) -> JsonBody:
    """The content of a care plan's first version (003 HSC415)."""
    return {
        "start_date": plan.start_date.isoformat(),
        "review_date": plan.review_date.isoformat(),
        "needs": [{"description": n.description, "specialist": n.specialist} for n in plan.needs],
        "outcomes": list(plan.outcomes),
        "risks": [
            {"description": r.description, "management": r.management, "likelihood": r.likelihood}
            for r in plan.risks
        ],
        "visits": [visit_line_body(v) for v in plan.visits],
        "network_support": [{"who": who, "provides": what} for who, what in plan.network_support],
        "flexibility": plan.flexibility,
        "monitoring": plan.monitoring,
        "copies_held_by": [{"holder": holder, "kind": kind} for holder, kind in plan.copies_held_by],
    }


def on_call_body(shift: OnCallShift, worker_id: str, phone: str) -> JsonBody:
    """``POST /localities/{locality}/on-call/shifts``: local wall-clock times (never in a DST gap)."""
    ends = shift.day + timedelta(days=1)
    return {
        "worker_id": worker_id,
        "level": 1,
        "starts_at": f"{shift.day.isoformat()}T{shift.start.isoformat('minutes')}",
        "ends_at": f"{ends.isoformat()}T{shift.end.isoformat('minutes')}",
        "contact_phone": phone,
    }


#: People's transport modes as the rota names them.
_ROTA_TRANSPORT = {
    "car": "car",
    "bicycle": "bicycle",
    "public_transport": "public_transport",
    "walking": "walk",
}


def planning_profile_body(worker: Worker) -> JsonBody:
    """``PUT /v1/rota/workers/{id}/planning-profile``: the weekly shifts the rota may plan in."""
    return {
        "gender": worker.gender,
        "home": {"lat": worker.home.lat, "lon": worker.home.lon},
        "transport": _ROTA_TRANSPORT[worker.transport],
        "availability": [
            {"weekday": s.weekday, "start": s.start.isoformat("minutes"), "end": s.end.isoformat("minutes")}
            for s in worker.shifts
        ],
    }
