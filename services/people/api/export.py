"""Subject access exports (000 K7): everything held about an individual or a worker, as one document."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from services.people.api.availability import AbsenceOut, PatternIo
from services.people.api.common import UoW
from services.people.api.individuals import (
    AccessNotesOut,
    ActorHeader,
    AuditEntryOut,
    IndividualOut,
    KeyPersonOut,
    reader_from,
)
from services.people.api.oncall import ShiftOut
from services.people.api.plans import PlanVersionOut
from services.people.api.risk import AssessmentOut
from services.people.api.workers import WorkerOut
from services.people.handlers import export as handlers
from services.people.handlers.common import provider_time_zone

router = APIRouter(tags=["subject access (000 K7)"])


class IndividualExport(BaseModel):
    """Everything the people service holds about an individual."""

    about: str = "individual"
    generated_at: datetime
    time_zone: str
    record: IndividualOut
    key_people: list[KeyPersonOut]
    access_notes: AccessNotesOut | None
    access_notes_audit: list[AuditEntryOut]
    service_delivery_plan_versions: list[PlanVersionOut]
    home_risk_assessment: AssessmentOut | None
    held_elsewhere: list[str]


class ComplianceSummary(BaseModel):
    """Whether the worker may work today, and why not."""

    day: str
    may_work: bool
    reasons: list[str]


class AccessRead(AuditEntryOut):
    """An attempt the worker made to read someone's access notes."""

    individual_id: UUID


class WorkerExport(BaseModel):
    """Everything the people service holds about a worker."""

    about: str = "worker"
    generated_at: datetime
    time_zone: str
    record: WorkerOut
    compliance_today: ComplianceSummary
    working_pattern: PatternIo | None
    absences: list[AbsenceOut]
    on_call_shifts: list[ShiftOut]
    access_notes_read: list[AccessRead]
    held_elsewhere: list[str]


#: Other services hold their own records about a person; a full answer to a request asks them too.
_ELSEWHERE_INDIVIDUAL = [
    "rota: visits planned for the individual",
    "visits: visit records, notes, tasks done, incidents",
    "alerts: notifications sent to the individual and their key people",
]
_ELSEWHERE_WORKER = [
    "rota: the worker's schedules",
    "visits: check-ins and check-outs, visit records",
    "supervision: agreements, session records, observations (confidential, 004 1.37-1.38)",
    "alerts: alerts owned and notifications sent",
]


def _individuals_of(actor: str | None) -> frozenset[str]:
    try:
        claims: Any = json.loads(actor or "{}")
    except ValueError:
        return frozenset()
    ids = claims.get("individual_ids") if isinstance(claims, dict) else None
    return frozenset(str(i) for i in ids) if isinstance(ids, list) else frozenset()


@router.get(
    "/individuals/{individual_id}/subject-access-export", summary="Everything held about an individual"
)
async def export_individual(individual_id: UUID, uow: UoW, actor: ActorHeader = None) -> IndividualExport:
    """One JSON document (000 K7), access notes included: for the individual themself or a coordinator
    (403 otherwise). The export is recorded in the access audit."""
    held = await handlers.export_individual(uow, individual_id, reader_from(actor), _individuals_of(actor))
    return IndividualExport(
        generated_at=held.generated_at,
        time_zone=provider_time_zone(),
        record=IndividualOut.of(held.individual),
        key_people=[KeyPersonOut.of(p) for p in held.key_people],
        access_notes=AccessNotesOut.of(held.access_notes) if held.access_notes else None,
        access_notes_audit=[AuditEntryOut(**vars(e)) for e in held.access_audit],
        service_delivery_plan_versions=[PlanVersionOut.of(v) for v in held.plan_versions],
        home_risk_assessment=AssessmentOut.of(held.risk_assessment) if held.risk_assessment else None,
        held_elsewhere=_ELSEWHERE_INDIVIDUAL,
    )


@router.get("/workers/{worker_id}/subject-access-export", summary="Everything held about a worker")
async def export_worker(worker_id: UUID, uow: UoW, actor: ActorHeader = None) -> WorkerExport:
    """One JSON document (000 K7): for the worker themself or a coordinator (403 otherwise)."""
    held = await handlers.export_worker(uow, worker_id, reader_from(actor))
    return WorkerExport(
        generated_at=held.generated_at,
        time_zone=provider_time_zone(),
        record=WorkerOut.of(held.worker),
        compliance_today=ComplianceSummary(
            day=held.compliance.day.isoformat(),
            may_work=held.compliance.may_work,
            reasons=list(held.compliance.reasons),
        ),
        working_pattern=PatternIo.of(held.pattern) if held.pattern else None,
        absences=[AbsenceOut.of(a) for a in held.absences],
        on_call_shifts=[ShiftOut.of(s) for s in held.on_call_shifts],
        access_notes_read=[AccessRead(individual_id=i, **vars(e)) for i, e in held.access_notes_read],
        held_elsewhere=_ELSEWHERE_WORKER,
    )
