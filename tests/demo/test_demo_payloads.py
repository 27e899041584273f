"""Every body the loader sends is one the people service accepts: its request models and its rules."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from rounds.demo import payloads
from rounds.demo.generator import generate
from rounds.demo.model import Provider
from services.people.api.individuals import AccessNotesIn, IndividualIn, KeyPersonIn, _domain
from services.people.api.plans import PlanContentIo
from services.people.api.workers import TeamIn, WorkerDetails, WorkerIn, domain_fields
from services.people.domain.compliance import compliance_on
from services.people.domain.individuals import (
    Individual,
    KeyPerson,
    check_individual,
    check_key_person,
)
from services.people.domain.plans import missing_for_agreement
from services.people.domain.workers import Worker, check_worker

AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="module")
def provider() -> Provider:
    return generate("small", seed=11, as_of=AS_OF)


def _ids(provider: Provider) -> dict[str, str]:
    return {w.ref: str(uuid.uuid4()) for w in provider.workers}


def test_every_worker_body_is_accepted_and_passes_the_worker_rules(provider: Provider) -> None:
    ids = _ids(provider)
    for worker in provider.workers:
        body = WorkerIn.model_validate(
            payloads.worker_body(worker, ids.get(worker.line_manager_ref or ""), str(uuid.uuid4()))
        )
        assert body.skills == list(worker.skills)
        details = domain_fields(body, set(WorkerDetails.model_fields) & body.model_fields_set)
        record = Worker(
            id=uuid.UUID(ids[worker.ref]),
            given_name=body.given_name,
            family_name=body.family_name,
            role=body.role,
            locality=body.locality,
            skills=body.skills,
            **details,
        )
        check_worker(record)
        # The mandatory training is declared as competencies, so compliance can judge it alike.
        assert any(c.mandatory for c in record.competencies)
        assert compliance_on(record, AS_OF).may_work is worker.may_work_on(AS_OF)


def test_every_individual_body_is_accepted_with_refused_workers_by_service_id(provider: Provider) -> None:
    ids = _ids(provider)
    for individual in provider.individuals:
        body = IndividualIn.model_validate(payloads.individual_body(individual, ids))
        record = Individual(id=uuid.uuid4(), **_domain(body, set(IndividualIn.model_fields)))
        check_individual(record, AS_OF)
        assert {str(r) for r in body.preferences.refused_worker_ids} == {
            ids[ref] for ref in individual.preferences.refused_worker_refs
        }
        assert body.nhs_number == individual.nhs_number


def test_every_key_person_body_is_accepted_and_passes_the_consent_rules(provider: Provider) -> None:
    people = [person for individual in provider.individuals for person in individual.key_people]
    assert people
    for person in people:
        body = KeyPersonIn.model_validate(payloads.key_person_body(person))
        fields = {name: getattr(body, name) for name in KeyPersonIn.model_fields}
        fields["informed_of"] = frozenset(fields["informed_of"])
        check_key_person(KeyPerson(id=uuid.uuid4(), individual_id=uuid.uuid4(), **fields))
        assert payloads.key_person_identity(payloads.key_person_body(person)) == (
            person.given_name,
            person.family_name,
            person.relationship,
        )


def test_every_plan_is_accepted_and_complete_enough_to_be_agreed(provider: Provider) -> None:
    for individual in provider.individuals:
        content = PlanContentIo.model_validate(payloads.plan_body(individual.plan)).domain()
        assert missing_for_agreement(content) == []
        assert [v.workers_required for v in content.visits] == [
            v.workers_required for v in individual.plan.visits
        ]


def test_access_notes_and_teams_are_accepted(provider: Provider) -> None:
    notes = [payloads.access_notes_body(i) for i in provider.individuals]
    assert any(n is None for n in notes)
    for body in notes:
        if body is not None:
            AccessNotesIn.model_validate(body)
    for team in provider.teams:
        TeamIn.model_validate(payloads.team_body(team, str(uuid.uuid4()), str(uuid.uuid4())))


def test_on_call_shifts_are_accepted_as_local_wall_clock_times(provider: Provider) -> None:
    oncall = pytest.importorskip("services.people.api.oncall")
    for shift in provider.on_call:
        body = oncall.ShiftIn.model_validate(payloads.on_call_body(shift, str(uuid.uuid4()), "07700 900123"))
        assert body.starts_at.tzinfo is None
        assert body.ends_at > body.starts_at


def test_rota_planning_profiles_carry_each_visiting_workers_shifts(provider: Provider) -> None:
    rota = pytest.importorskip("services.rota.api")
    for worker in (w for w in provider.workers if w.visits):
        body = rota.PlanningProfileIn.model_validate(payloads.planning_profile_body(worker))
        assert len(body.availability) == len(worker.shifts)
        assert sum(
            (s.end.hour * 60 + s.end.minute) - (s.start.hour * 60 + s.start.minute) for s in body.availability
        ) == (worker.weekly_shift_minutes)
