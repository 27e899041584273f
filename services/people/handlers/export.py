"""Subject access (000 K7): everything the people service holds about one individual or one worker.

An export is a read of restricted data (access notes, key-safe codes), so it is audited like any
other read of them, and only the person themself or those who coordinate the service may ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from rounds.infra.problems import NotFound
from services.people.adapters.field_crypto import UnreadableField
from services.people.adapters.individuals import AccessNotes, AuditEntry
from services.people.domain.access import COORDINATING_ROLES, Reader
from services.people.domain.availability import Absence, WorkingPattern
from services.people.domain.compliance import ComplianceVerdict, compliance_on
from services.people.domain.individuals import Individual, KeyPerson
from services.people.domain.oncall import OnCallShift
from services.people.domain.plans import PlanVersion
from services.people.domain.risk import RiskAssessment
from services.people.domain.workers import Worker
from services.people.errors import Forbidden
from services.people.handlers.common import existing_individual, today
from services.people.handlers.individuals import UNREADABLE_REASON, unreadable_notes
from services.people.unit_of_work import PeopleUnitOfWork


@dataclass(frozen=True)
class IndividualHoldings:
    """Everything held about an individual."""

    generated_at: datetime
    individual: Individual
    key_people: list[KeyPerson]
    access_notes: AccessNotes | None
    access_audit: list[AuditEntry]
    plan_versions: list[PlanVersion]
    risk_assessment: RiskAssessment | None


@dataclass(frozen=True)
class WorkerHoldings:
    """Everything held about a worker."""

    generated_at: datetime
    worker: Worker
    compliance: ComplianceVerdict
    pattern: WorkingPattern | None
    absences: list[Absence]
    on_call_shifts: list[OnCallShift]
    access_notes_read: list[tuple[UUID, AuditEntry]]


async def export_individual(
    uow: PeopleUnitOfWork, individual_id: UUID, reader: Reader, readers_individuals: frozenset[str]
) -> IndividualHoldings:
    """The individual's whole record (K7): for the individual themself (``readers_individuals``, as the
    gateway vouches, names them) or a coordinator. Every attempt is audited."""
    async with uow:
        individual = await existing_individual(uow, individual_id)
        now = uow.clock.now()
        allowed = reader.role in COORDINATING_ROLES or (
            reader.role == "individual" and str(individual_id) in readers_individuals
        )
        reason = (
            f"subject access export for {'the individual' if reader.role == 'individual' else reader.role}"
        )
        notes, unreadable = None, False
        if allowed:
            try:
                notes = await uow.access.notes(individual_id)
            except UnreadableField:
                # The whole export is refused rather than sent with the notes missing or garbled.
                unreadable = True
        if not allowed:
            reason = "not allowed"
        elif unreadable:
            reason = UNREADABLE_REASON
        await uow.access.audit(individual_id, reader, "export", allowed and not unreadable, reason, now)
        if not allowed or unreadable:
            await uow.commit()  # the refused attempt is kept
            if unreadable:
                raise unreadable_notes(individual_id)
            raise Forbidden("Only the individual themself or a coordinator may export their record.")
        history = await uow.plans.history(individual_id)
        holdings = IndividualHoldings(
            generated_at=now,
            individual=individual,
            key_people=await uow.key_people.of_individual(individual_id),
            access_notes=notes,
            access_audit=[entry for _, entry in await uow.access.audit_of(individual_id)],
            plan_versions=history.versions if history else [],
            risk_assessment=await uow.risks.get(individual_id),
        )
        await uow.commit()
    return holdings


async def export_worker(uow: PeopleUnitOfWork, worker_id: UUID, reader: Reader) -> WorkerHoldings:
    """The worker's whole record (K7); the worker themself or a coordinator."""
    if reader.role not in COORDINATING_ROLES and reader.id != str(worker_id):
        raise Forbidden("Only the worker themself or a coordinator may export their record.")
    async with uow:
        worker = await uow.workers.get(worker_id)
        if worker is None:
            raise NotFound(f"No worker has id {worker_id}.")
        found = await uow.availability.pattern(worker_id)
        return WorkerHoldings(
            generated_at=uow.clock.now(),
            worker=worker,
            compliance=compliance_on(worker, today(uow)),
            pattern=found[0] if found else None,
            absences=await uow.availability.all_of(worker_id),
            on_call_shifts=await uow.oncall.of_worker(worker_id),
            access_notes_read=await uow.access.audit_by_reader(str(worker_id)),
        )
