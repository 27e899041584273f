"""Workers, their compliance, and the organisation they belong to."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from rounds.contracts.people import (
    CompetencyHeld,
    GeoPoint,
    WorkerComplianceChanged,
    WorkerRegistered,
    WorkerUpdated,
)
from rounds.infra.problems import Conflict, NotFound
from services.people.adapters.repository import StaleVersion
from services.people.domain.compliance import ComplianceVerdict, compliance_on
from services.people.domain.organisation import Locality, Team
from services.people.domain.workers import (
    EmploymentStatus,
    Worker,
    WorkerRole,
    WorkerRuleBroken,
    check_worker,
    normalise_skills,
)
from services.people.errors import Invalid, stale, unknown_reference
from services.people.handlers.common import check_version, today
from services.people.unit_of_work import PeopleUnitOfWork


@dataclass(frozen=True)
class RegisterWorker:
    """Add a member of staff to the workforce; ``details`` are the optional fields of :class:`Worker`."""

    given_name: str
    family_name: str
    role: WorkerRole
    locality: str
    skills: list[str] = field(default_factory=list)
    contracted_hours_per_week: float | None = None
    start_date: date | None = None
    worker_id: UUID = field(default_factory=uuid4)
    details: dict[str, Any] = field(default_factory=dict)


async def register_worker(uow: PeopleUnitOfWork, command: RegisterWorker) -> Worker:
    """Store the worker and announce ``rounds.worker.registered.v1`` in the same transaction."""
    worker = Worker(
        id=command.worker_id,
        given_name=command.given_name.strip(),
        family_name=command.family_name.strip(),
        role=command.role,
        locality=command.locality.strip(),
        skills=normalise_skills(command.skills),
        contracted_hours_per_week=command.contracted_hours_per_week,
        start_date=command.start_date,
        **command.details,
    )
    _check(worker)
    async with uow:
        await _check_references(uow, worker)
        await uow.workers.add(worker)
        # The first verdict is remembered without an event of its own: the registration carries it.
        verdict = compliance_on(worker, today(uow))
        await uow.workers.record_verdict(worker.id, verdict)
        uow.publish(registered_event(worker, verdict))
        await uow.commit()
    return worker


@dataclass(frozen=True)
class UpdateWorker:
    """Change some fields of a worker's record (names as on :class:`Worker`)."""

    worker_id: UUID
    changes: dict[str, Any]
    expected_version: int | None = None


async def update_worker(uow: PeopleUnitOfWork, command: UpdateWorker) -> Worker:
    """Apply the changes, announce ``rounds.worker.updated.v1``, and a compliance change if there is one."""
    async with uow:
        current = await _existing(uow, command.worker_id)
        check_version("worker", current.version, command.expected_version)
        changes = dict(command.changes)
        if "skills" in changes:
            changes["skills"] = normalise_skills(changes["skills"])
        if changes.get("status") is EmploymentStatus.ACTIVE:
            changes.setdefault("ended_on", None)
        worker = replace(current, **changes, version=current.version + 1)
        _check(worker)
        await _check_references(uow, worker)
        try:
            await uow.workers.update(worker, expected_version=current.version)
        except StaleVersion:
            raise stale("worker", current.version + 1) from None
        uow.publish(updated_event(worker, today(uow)))
        await _announce_compliance(uow, worker)
        await uow.commit()
    return worker


async def end_worker(
    uow: PeopleUnitOfWork, worker_id: UUID, ended_on: date, expected_version: int | None
) -> Worker:
    """The worker leaves the provider from ``ended_on``; their record is kept (000 K7, retention)."""
    return await update_worker(
        uow,
        UpdateWorker(
            worker_id,
            {"status": EmploymentStatus.ENDED, "ended_on": ended_on},
            expected_version=expected_version,
        ),
    )


async def review_compliance(uow: PeopleUnitOfWork) -> list[WorkerComplianceChanged]:
    """Judge every active worker for today and announce each verdict that changed (run daily).

    Expiry dates arrive with the passage of time, not with an edit, so a scheduler calls this early each
    local day; running it twice announces nothing the second time.
    """
    async with uow:
        announced = [
            event
            for worker in await uow.workers.all_active()
            if (event := await _announce_compliance(uow, worker)) is not None
        ]
        await uow.commit()
    return announced


async def compliance_of(
    uow: PeopleUnitOfWork, worker_id: UUID, day: date | None
) -> tuple[Worker, ComplianceVerdict]:
    """The worker and whether they may work on ``day`` (default: the provider's today)."""
    async with uow:
        worker = await _existing(uow, worker_id)
        return worker, compliance_on(worker, day or today(uow))


async def _announce_compliance(uow: PeopleUnitOfWork, worker: Worker) -> WorkerComplianceChanged | None:
    verdict = compliance_on(worker, today(uow))
    last = await uow.workers.last_verdict(worker.id)
    if last is not None and (last.may_work, last.reasons) == (verdict.may_work, verdict.reasons):
        return None
    await uow.workers.record_verdict(worker.id, verdict)
    event = WorkerComplianceChanged(
        worker_id=worker.id,
        locality=worker.locality,
        day=verdict.day,
        may_work=verdict.may_work,
        reasons=list(verdict.reasons),
        checked_at=uow.clock.now(),
    )
    uow.publish(event)
    return event


async def _existing(uow: PeopleUnitOfWork, worker_id: UUID) -> Worker:
    worker = await uow.workers.get(worker_id)
    if worker is None:
        raise NotFound(f"No worker has id {worker_id}.")
    return worker


def _check(worker: Worker) -> None:
    try:
        check_worker(worker)
    except WorkerRuleBroken as broken:
        raise Invalid.on(f"body.{broken.field}", broken.reason) from None


async def _check_references(uow: PeopleUnitOfWork, worker: Worker) -> None:
    # Ids named in the body that do not exist are a fault of the body (422), not of the path (404).
    if worker.line_manager_id and await uow.workers.get(worker.line_manager_id) is None:
        raise unknown_reference("body.line_manager_id", "worker", worker.line_manager_id)
    if worker.team_id and await uow.organisation.get_team(worker.team_id) is None:
        raise unknown_reference("body.team_id", "team", worker.team_id)


def _competencies(worker: Worker) -> list[CompetencyHeld]:
    return [
        CompetencyHeld(name=c.name, expires_on=c.expires_on, mandatory=c.mandatory)
        for c in worker.competencies
    ]


def _home(worker: Worker) -> GeoPoint | None:
    return GeoPoint(lat=worker.home_base.lat, lon=worker.home_base.lon) if worker.home_base else None


def registered_event(worker: Worker, verdict: ComplianceVerdict) -> WorkerRegistered:
    """``rounds.worker.registered.v1`` for a new worker, with their first compliance verdict."""
    return WorkerRegistered(
        worker_id=worker.id,
        given_name=worker.given_name,
        family_name=worker.family_name,
        role=worker.role.value,
        locality=worker.locality,
        skills=worker.skills,
        contracted_hours_per_week=worker.contracted_hours_per_week,
        start_date=worker.start_date,
        job_title=worker.job_title,
        contract_type=worker.contract_type.value if worker.contract_type else None,
        competencies=_competencies(worker),
        languages=worker.languages,
        gender=worker.gender,
        home_base=_home(worker),
        transport_mode=worker.transport_mode.value if worker.transport_mode else None,
        line_manager_id=worker.line_manager_id,
        team_id=worker.team_id,
        version=worker.version,
        may_work=verdict.may_work,
        compliance_reasons=list(verdict.reasons),
    )


def updated_event(worker: Worker, day: date) -> WorkerUpdated:
    """``rounds.worker.updated.v1``: the record as it now stands, skills as they count on ``day``."""
    return WorkerUpdated(
        worker_id=worker.id,
        version=worker.version,
        given_name=worker.given_name,
        family_name=worker.family_name,
        role=worker.role.value,
        locality=worker.locality,
        status=worker.status.value,
        ended_on=worker.ended_on,
        skills=worker.skills_on(day),
        competencies=_competencies(worker),
        contracted_hours_per_week=worker.contracted_hours_per_week,
        start_date=worker.start_date,
        job_title=worker.job_title,
        contract_type=worker.contract_type.value if worker.contract_type else None,
        languages=worker.languages,
        gender=worker.gender,
        home_base=_home(worker),
        transport_mode=worker.transport_mode.value if worker.transport_mode else None,
        line_manager_id=worker.line_manager_id,
        team_id=worker.team_id,
    )


async def add_locality(uow: PeopleUnitOfWork, name: str) -> Locality:
    """A new branch; names are unique (409 otherwise)."""
    locality = Locality(id=uuid4(), name=name.strip())
    async with uow:
        if await uow.organisation.locality_named(locality.name) is not None:
            raise Conflict(f"A locality called {locality.name!r} already exists.")
        await uow.organisation.add_locality(locality)
        await uow.commit()
    return locality


async def add_team(uow: PeopleUnitOfWork, name: str, locality_id: UUID, manager_id: UUID | None) -> Team:
    """A new team in a locality, optionally with its manager."""
    team = Team(id=uuid4(), name=name.strip(), locality_id=locality_id, manager_id=manager_id)
    async with uow:
        if await uow.organisation.get_locality(locality_id) is None:
            raise unknown_reference("body.locality_id", "locality", locality_id)
        if manager_id and await uow.workers.get(manager_id) is None:
            raise unknown_reference("body.manager_id", "worker", manager_id)
        await uow.organisation.add_team(team)
        await uow.commit()
    return team


async def change_team(
    uow: PeopleUnitOfWork, team_id: UUID, changes: dict[str, Any], expected_version: int | None
) -> Team:
    """Rename a team or give it a new manager (``If-Match`` guards the change)."""
    async with uow:
        current = await uow.organisation.get_team(team_id)
        if current is None:
            raise NotFound(f"No team has id {team_id}.")
        check_version("team", current.version, expected_version)
        if not current.active:
            raise Conflict("The team has ended.")
        manager_id = changes.get("manager_id")
        if manager_id and await uow.workers.get(manager_id) is None:
            raise unknown_reference("body.manager_id", "worker", manager_id)
        team = replace(current, **changes, version=current.version + 1)
        await _store_team(uow, team, current.version)
        await uow.commit()
    return team


async def end_team(uow: PeopleUnitOfWork, team_id: UUID, expected_version: int | None) -> Team:
    """The team no longer exists (its members stay, with no team: 409 while anyone is still in it)."""
    async with uow:
        current = await uow.organisation.get_team(team_id)
        if current is None:
            raise NotFound(f"No team has id {team_id}.")
        check_version("team", current.version, expected_version)
        if not current.active:
            return current
        members = [w for w in await uow.workers.all_active() if w.team_id == team_id]
        if members:
            raise Conflict(
                f"{len(members)} worker(s) are still in the team; move them first.",
                errors=[{"field": "path.team_id", "reason": f"still has {len(members)} active member(s)"}],
            )
        team = replace(current, active=False, version=current.version + 1)
        await _store_team(uow, team, current.version)
        await uow.commit()
    return team


async def _store_team(uow: PeopleUnitOfWork, team: Team, expected_version: int) -> None:
    try:
        await uow.organisation.update_team(team, expected_version=expected_version)
    except StaleVersion:
        raise stale("team", expected_version + 1) from None
