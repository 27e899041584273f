"""The supervision service's HTTP routes: parse, call a handler, shape the response.

Who is asking is the ``X-Rounds-Actor`` header the gateway sets from the verified token (and drops
when a caller sends it): the rules on who signs, reschedules and reads need the caller's
``worker_id``, since supervision's parties are members of staff (004 1.37-1.38).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response, status

from rounds.infra.service import unit_of_work_from
from services.supervision import handlers
from services.supervision.domain.compliance import DbsCheck, TrainingRecord
from services.supervision.domain.confidentiality import AccessBasis
from services.supervision.errors import Forbidden, NotFound, PolicyViolation, Unauthenticated
from services.supervision.schemas import (
    AgreementIn,
    AgreementOut,
    ArrangementsIn,
    CancelIn,
    ComplianceOut,
    Created,
    DbsCheckIn,
    DisagreementIn,
    MilestoneIn,
    PlanIn,
    RecordIn,
    RecordOut,
    RescheduleIn,
    SessionOut,
    ShareIn,
    ShareOut,
    SuperviseeOut,
    TrainingIn,
    disagreement_of,
)
from services.supervision.unit_of_work import SupervisionUnitOfWork

router = APIRouter()

UoW = Annotated[SupervisionUnitOfWork, Depends(unit_of_work_from)]
ActorHeader = Annotated[
    str | None,
    Header(
        alias="X-Rounds-Actor",
        description='Who is calling, as the gateway vouches for them: JSON such as {"sub": "...", '
        '"role": "supervisor", "worker_id": "<uuid>"}.',
    ),
]


@dataclass(frozen=True)
class Actor:
    """The caller as the gateway vouches for them: their worker id (if staff) and role."""

    worker_id: UUID | None
    role: str


def actor_from(actor: ActorHeader = None) -> Actor:
    """The caller from ``X-Rounds-Actor``; 401 without one."""
    if not actor:
        raise Unauthenticated(
            "This route needs to know who is calling: the gateway sends X-Rounds-Actor.",
            errors=[{"field": "header.X-Rounds-Actor", "reason": "missing"}],
        )
    try:
        claims = json.loads(actor)
    except ValueError:
        claims = None
    if not isinstance(claims, dict) or not isinstance(claims.get("role"), str):
        raise Unauthenticated(
            'X-Rounds-Actor must be JSON with a "role" and the caller\'s "worker_id".',
            errors=[{"field": "header.X-Rounds-Actor", "reason": "not an actor"}],
        )
    try:
        worker_id = UUID(str(claims["worker_id"])) if claims.get("worker_id") else None
    except ValueError:
        worker_id = None
    return Actor(worker_id=worker_id, role=claims["role"])


def caller_from(actor: Annotated[Actor, Depends(actor_from)]) -> UUID:
    """The caller's worker id; 401 without one (supervision's parties are members of staff)."""
    if actor.worker_id is None:
        raise Unauthenticated(
            "Supervision records are kept between members of staff: X-Rounds-Actor must name the "
            "caller's worker_id (a UUID).",
            errors=[{"field": "header.X-Rounds-Actor", "reason": "no worker_id"}],
        )
    return actor.worker_id


Caller = Annotated[UUID, Depends(caller_from)]
ActorDep = Annotated[Actor, Depends(actor_from)]


# --- supervisees ----------------------------------------------------------------------------------


@router.get("/workers", tags=["supervisees"], summary="List supervisees")
async def list_supervisees(
    uow: UoW,
    response: Response,
    supervisor_id: UUID | None = None,
    team: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=1000, description="From X-Next-Cursor.")] = None,
) -> list[SuperviseeOut]:
    """Workers supervision knows, by name, a page at a time; optionally one supervisor's or one team's."""
    after = _decode_cursor(cursor)
    async with uow:
        found = await uow.supervisees.list(
            supervisor_id=supervisor_id, team=team, limit=limit + 1, after=after
        )
    page = found[:limit]
    if len(found) > limit:
        last = page[-1]
        response.headers["X-Next-Cursor"] = _encode_cursor(
            [last.family_name, last.given_name, str(last.worker_id)]
        )
    return [SuperviseeOut.of(p) for p in page]


def _encode_cursor(key: list[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[str, str, UUID] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(key, list) and len(key) == 3 and all(isinstance(k, str) for k in key):
            return key[0], key[1], UUID(key[2])
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    raise PolicyViolation(
        "query.cursor is not a cursor this service gave; start from the first page.",
        errors=[{"field": "query.cursor", "reason": "not a cursor this service gave"}],
    )


@router.get("/workers/{worker_id}", tags=["supervisees"], summary="Read a supervisee")
async def get_supervisee(worker_id: UUID, uow: UoW) -> SuperviseeOut:
    """One worker as supervision knows them."""
    async with uow:
        profile = await uow.supervisees.get(worker_id)
    if profile is None:
        raise NotFound(f"Supervision knows no worker {worker_id}.")
    return SuperviseeOut.of(profile)


@router.put("/workers/{worker_id}/arrangements", tags=["supervisees"], summary="Set supervision arrangements")
async def arrange(worker_id: UUID, body: ArrangementsIn, uow: UoW, actor: ActorDep) -> SuperviseeOut:
    """Supervisor, line manager, team, NQSW and probation: recorded here until people publishes them.

    By a registered manager, or the worker's line manager, supervisor or supervisor's line manager:
    naming a supervisor opens the worker's confidential records to them (004 1.37).
    """
    profile = await handlers.arrange_supervision(
        uow,
        worker_id,
        handlers.ArrangeSupervision(**body.model_dump()),
        by=actor.worker_id,
        registered_manager=actor.role == "registered_manager",
    )
    return SuperviseeOut.of(profile)


@router.get("/workers/{worker_id}/compliance", tags=["compliance"], summary="A worker's compliance")
async def worker_compliance(
    worker_id: UUID,
    uow: UoW,
    on: date | None = None,
    due_soon_days: Annotated[int, Query(ge=0, le=365)] = 14,
) -> ComplianceOut:
    """What is overdue, due soon and due for the worker on ``on`` (today in the provider's zone)."""
    async with uow:
        profile = await uow.supervisees.get(worker_id)
        if profile is None:
            raise NotFound(f"Supervision knows no worker {worker_id}.")
        report = await handlers.compliance_of(uow, profile, uow.zone, on=on, due_soon_days=due_soon_days)
    return ComplianceOut.of(report)


# --- agreements -----------------------------------------------------------------------------------


@router.post(
    "/agreements", status_code=status.HTTP_201_CREATED, tags=["agreements"], summary="Propose an agreement"
)
async def propose_agreement(body: AgreementIn, uow: UoW, caller: Caller) -> AgreementOut:
    """The supervisor drafts the agreement (004 1.11, 1.14); both then sign it."""
    if caller != body.supervisor_id:
        raise Forbidden("The supervisor manages the supervision process and drafts the agreement (004 1.14).")
    command = handlers.ProposeAgreement(**{**body.model_dump(), "expectations": tuple(body.expectations)})
    return AgreementOut.of(await handlers.propose_agreement(uow, command))


@router.post("/agreements/{agreement_id}/signatures", tags=["agreements"], summary="Sign an agreement")
async def sign_agreement(agreement_id: UUID, uow: UoW, caller: Caller) -> AgreementOut:
    """The caller signs; the second signature puts the agreement in force and supersedes the one before."""
    return AgreementOut.of(await handlers.sign_agreement(uow, agreement_id, caller))


@router.post(
    "/workers/{worker_id}/agreements/{agreement_id}/signatures",
    tags=["agreements"],
    summary="Sign a worker's agreement",
)
async def sign_worker_agreement(
    worker_id: UUID, agreement_id: UUID, uow: UoW, caller: Caller
) -> AgreementOut:
    """The same signature under the worker's own path, where the gateway can let the supervisee sign."""
    async with uow:
        agreement = await uow.agreements.get(agreement_id)
    if agreement is None or agreement.supervisee_id != worker_id:
        raise NotFound(f"Worker {worker_id} has no agreement {agreement_id}.")
    return AgreementOut.of(await handlers.sign_agreement(uow, agreement_id, caller))


@router.get("/agreements/{agreement_id}", tags=["agreements"], summary="Read an agreement")
async def get_agreement(agreement_id: UUID, uow: UoW, caller: Caller) -> AgreementOut:
    """One agreement: part of the confidential supervision records (004 1.39), so the read is audited."""
    async with uow:
        agreement = await uow.agreements.get(agreement_id)
        if agreement is None:
            raise NotFound(f"No agreement has id {agreement_id}.")
        await handlers.authorise_read(
            uow,
            caller=caller,
            worker_id=agreement.supervisee_id,
            resource="agreement",
            resource_id=str(agreement_id),
            zone=uow.zone,
        )
    return AgreementOut.of(agreement)


@router.get("/workers/{worker_id}/agreements", tags=["agreements"], summary="A worker's agreements")
async def list_agreements(worker_id: UUID, uow: UoW, caller: Caller) -> list[AgreementOut]:
    """Every agreement of the worker, newest first (confidential, audited)."""
    async with uow:
        await handlers.authorise_read(
            uow, caller=caller, worker_id=worker_id, resource="agreements", resource_id=None, zone=uow.zone
        )
        found = await uow.agreements.for_supervisee(worker_id)
    return [AgreementOut.of(a) for a in found]


# --- sessions -------------------------------------------------------------------------------------


@router.post("/sessions", status_code=status.HTTP_201_CREATED, tags=["sessions"], summary="Plan sessions")
async def plan_sessions(body: PlanIn, uow: UoW, caller: Caller) -> list[SessionOut]:
    """Programme the next 1, 2, 6 or 12 meetings (004 1.18); the supervisor arranges them (004 1.15)."""
    if caller != body.supervisor_id:
        raise Forbidden("The supervisor arranges supervision meetings (004 1.14-1.15).")
    command = handlers.PlanSessions(**{**body.model_dump(), "supervisee_ids": tuple(body.supervisee_ids)})
    planned = await handlers.plan_sessions(uow, command, uow.zone)
    return [SessionOut.of(s, uow.zone) for s in planned]


@router.post("/sessions/{session_id}/reschedule", tags=["sessions"], summary="Reschedule a session")
async def reschedule(session_id: UUID, body: RescheduleIn, uow: UoW, caller: Caller) -> SessionOut:
    """The line manager moves the meeting to an alternative date, with the reason (004 1.16)."""
    moved = await handlers.reschedule_session(
        uow, session_id, by=caller, to=body.starts_at, reason=body.reason
    )
    return SessionOut.of(moved, uow.zone)


@router.post("/sessions/{session_id}/cancel", tags=["sessions"], summary="Cancel a session")
async def cancel(session_id: UUID, body: CancelIn, uow: UoW, caller: Caller) -> SessionOut:
    """The line manager calls the meeting off, with the reason (004 1.16)."""
    return SessionOut.of(
        await handlers.cancel_session(uow, session_id, by=caller, reason=body.reason), uow.zone
    )


@router.get("/workers/{worker_id}/sessions", tags=["sessions"], summary="A worker's sessions")
async def list_sessions(worker_id: UUID, uow: UoW, caller: Caller) -> list[SessionOut]:
    """Planned, held and cancelled sessions the worker is supervised in (confidential, audited)."""
    async with uow:
        await handlers.authorise_read(
            uow, caller=caller, worker_id=worker_id, resource="sessions", resource_id=None, zone=uow.zone
        )
        found = await uow.sessions.for_worker(worker_id)
    return [SessionOut.of(s, uow.zone) for s in found if worker_id in s.supervisee_ids]


# --- records --------------------------------------------------------------------------------------


@router.post(
    "/sessions/{session_id}/record",
    status_code=status.HTTP_201_CREATED,
    tags=["records"],
    summary="Record a session",
)
async def write_record(session_id: UUID, body: RecordIn, uow: UoW, caller: Caller) -> RecordOut:
    """The supervisor records the meeting (004 1.25, appendix 2); everyone in it then signs."""
    record = await handlers.write_record(uow, session_id, by=caller, content=body.content(), zone=uow.zone)
    return RecordOut.of(record)


@router.get("/records/{record_id}", tags=["records"], summary="Read a record")
async def get_record(record_id: UUID, uow: UoW, caller: Caller) -> RecordOut:
    """One record, for those it is confidential to (004 1.37-1.38); every read is audited."""
    async with uow:
        record = await uow.records.get(record_id)
        if record is None:
            raise NotFound(f"No record has id {record_id}.")
        await _authorise_record_read(uow, caller, record.supervisee_ids, str(record_id))
    return RecordOut.of(record)


async def _authorise_record_read(
    uow: SupervisionUnitOfWork, caller: UUID, supervisee_ids: tuple[UUID, ...], record_id: str
) -> None:
    # A group record is about each member: it may be read by anyone entitled to one member's records.
    refusal: Forbidden | None = None
    for worker_id in supervisee_ids:
        try:
            await handlers.authorise_read(
                uow,
                caller=caller,
                worker_id=worker_id,
                resource="record",
                resource_id=record_id,
                zone=uow.zone,
            )
            return
        except Forbidden as refused:
            refusal = refused
    assert refusal is not None
    raise refusal


@router.put("/records/{record_id}", tags=["records"], summary="Revise an unsigned record")
async def revise_record(record_id: UUID, body: RecordIn, uow: UoW, caller: Caller) -> RecordOut:
    """Change the record before everyone has signed; the signatures so far are cleared."""
    return RecordOut.of(await handlers.revise_record(uow, record_id, by=caller, content=body.content()))


@router.post("/records/{record_id}/disagreement", tags=["records"], summary="Record a disagreement")
async def record_disagreement(record_id: UUID, body: DisagreementIn, uow: UoW, caller: Caller) -> RecordOut:
    """What is not agreed, how it will be resolved and by when (004 1.32); everyone signs again."""
    record = await handlers.record_disagreement(uow, record_id, disagreement_of(body, caller), uow.zone)
    return RecordOut.of(record)


@router.post("/records/{record_id}/signatures", tags=["records"], summary="Sign a record")
async def sign_record(record_id: UUID, uow: UoW, caller: Caller) -> RecordOut:
    """The caller signs the current version; when all have, it is immutable (004 1.25)."""
    return RecordOut.of(await handlers.sign_record(uow, record_id, caller))


@router.post(
    "/workers/{worker_id}/records/{record_id}/signatures",
    tags=["records"],
    summary="Sign a record of a worker's supervision",
)
async def sign_worker_record(worker_id: UUID, record_id: UUID, uow: UoW, caller: Caller) -> RecordOut:
    """The same signature under the worker's own path, where the gateway can let the supervisee sign."""
    async with uow:
        record = await uow.records.get(record_id)
    if record is None or worker_id not in record.supervisee_ids:
        raise NotFound(f"Worker {worker_id} has no record {record_id}.")
    return RecordOut.of(await handlers.sign_record(uow, record_id, caller))


@router.post(
    "/records/{record_id}/amendments",
    status_code=status.HTTP_201_CREATED,
    tags=["records"],
    summary="Amend a record",
)
async def amend_record(record_id: UUID, body: RecordIn, uow: UoW, caller: Caller) -> RecordOut:
    """A correction to a signed record, as a new record referring to it."""
    return RecordOut.of(await handlers.amend_record(uow, record_id, by=caller, content=body.content()))


@router.get("/workers/{worker_id}/records", tags=["records"], summary="A worker's records")
async def list_records(worker_id: UUID, uow: UoW, caller: Caller) -> list[RecordOut]:
    """Every record of the worker's sessions, amendments included (confidential, audited)."""
    async with uow:
        await handlers.authorise_read(
            uow, caller=caller, worker_id=worker_id, resource="records", resource_id=None, zone=uow.zone
        )
        found = await uow.records.for_worker(worker_id)
    return [RecordOut.of(r) for r in found if worker_id in r.supervisee_ids]


# --- confidentiality ------------------------------------------------------------------------------


@router.post(
    "/workers/{worker_id}/shares",
    status_code=status.HTTP_201_CREATED,
    tags=["confidentiality"],
    summary="Share a worker's records",
)
async def share(worker_id: UUID, body: ShareIn, uow: UoW, caller: Caller) -> ShareOut:
    """Beyond the three, with the member of staff's consent or the reason explained to them (004 1.38)."""
    command = handlers.ShareRecords(worker_id=worker_id, **body.model_dump())
    return ShareOut.of(await handlers.share_records(uow, command, by=caller))


@router.get(
    "/workers/{worker_id}/record-reads", tags=["confidentiality"], summary="Who read a worker's records"
)
async def record_reads(worker_id: UUID, uow: UoW, caller: Caller) -> list[dict[str, object]]:
    """The audit trail, for the member of staff and those entitled to their records, not for shares."""
    async with uow:
        basis = await handlers.authorise_read(
            uow, caller=caller, worker_id=worker_id, resource="record_reads", resource_id=None, zone=uow.zone
        )
        if basis in (AccessBasis.SHARED_WITH_CONSENT, AccessBasis.SHARED_WITH_REASON):
            raise Forbidden("A share gives the records, not the trail of who read them.")
        reads = await uow.access.reads(worker_id)
    return [{k: (str(v) if isinstance(v, UUID) else v) for k, v in r.items() if k != "id"} for r in reads]


# --- evidence -------------------------------------------------------------------------------------


@router.post(
    "/workers/{worker_id}/milestones",
    status_code=status.HTTP_201_CREATED,
    tags=["evidence"],
    summary="Record a timeline milestone",
)
async def record_milestone(worker_id: UUID, body: MilestoneIn, uow: UoW, caller: Caller) -> Created:
    """A probation review, ASYE submission or PDP review done for its month (004 timeline)."""
    command = handlers.RecordMilestone(**body.model_dump())
    return Created(id=await handlers.record_milestone(uow, worker_id, command, by=caller))


@router.post(
    "/workers/{worker_id}/training",
    status_code=status.HTTP_201_CREATED,
    tags=["evidence"],
    summary="Record training",
)
async def record_training(worker_id: UUID, body: TrainingIn, uow: UoW, caller: Caller) -> Created:
    """A completed course (people will publish training later)."""
    record = TrainingRecord(body.course, body.completed_on, body.expires_on, body.mandatory)
    return Created(id=await handlers.record_training(uow, worker_id, record, by=caller))


@router.post(
    "/workers/{worker_id}/dbs-checks",
    status_code=status.HTTP_201_CREATED,
    tags=["evidence"],
    summary="Record a DBS check",
)
async def record_dbs(worker_id: UUID, body: DbsCheckIn, uow: UoW, caller: Caller) -> Created:
    """A DBS check and its re-check date (004 1.27; people will publish DBS later)."""
    check = DbsCheck(body.checked_on, body.recheck_due_on)
    return Created(id=await handlers.record_dbs_check(uow, worker_id, check, by=caller))
