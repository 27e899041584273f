"""Commands and events the supervision service carries out: load, let the domain decide, commit.

Where a rule depends on who asks (who signs, who reschedules, who reads), the caller's worker id is
an explicit argument: the gateway will supply it from the authenticated identity later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from rounds.contracts.people import WorkerRegistered
from rounds.contracts.supervision import SupervisionDueSoon, SupervisionOverdue, SupervisionResolved
from rounds.infra.db import is_database_outage
from services.supervision.domain.agreements import AgreementStatus, SupervisionAgreement
from services.supervision.domain.calendar import local_date
from services.supervision.domain.compliance import (
    DEFAULT_DUE_SOON_DAYS,
    ComplianceReport,
    DbsCheck,
    Frequency,
    HeldSession,
    History,
    MilestoneKind,
    SessionFormat,
    TrainingRecord,
    assess,
)
from services.supervision.domain.confidentiality import (
    AccessBasis,
    Readers,
    RecordShare,
    access_basis,
    check_share,
)
from services.supervision.domain.errors import RuleBroken
from services.supervision.domain.notices import Notice, NoticeState, notices_for, resolutions
from services.supervision.domain.records import Disagreement, RecordContent, SupervisionRecord, check_content
from services.supervision.domain.sessions import SessionStatus, SupervisionSession, plan_series
from services.supervision.domain.supervisees import SuperviseeProfile, is_new_starter
from services.supervision.errors import Conflict, Forbidden, NotFound, domain_rules
from services.supervision.unit_of_work import SupervisionUnitOfWork

log = logging.getLogger(__name__)

# --- workers from people --------------------------------------------------------------------------


async def register_supervisee(
    uow: SupervisionUnitOfWork, event: WorkerRegistered, registered_at: datetime, zone: ZoneInfo
) -> None:
    """Keep a worker people registered. A worker already known keeps supervision's own arrangements."""
    if await uow.supervisees.get(event.worker_id) is not None:
        return
    known_on = local_date(registered_at, zone)
    new_starter = is_new_starter(event.start_date, known_on)
    await uow.supervisees.add(
        SuperviseeProfile(
            worker_id=event.worker_id,
            given_name=event.given_name,
            family_name=event.family_name,
            role=event.role,
            locality=event.locality,
            known_since=registered_at,
            known_on=known_on,
            start_date=event.start_date,
            new_starter=new_starter,
            # Every new starter is on probation until people publishes probation (004 timeline).
            on_probation=new_starter,
        )
    )


@dataclass(frozen=True)
class ArrangeSupervision:
    """What people does not publish yet: supervisor, line manager, team, NQSW and probation."""

    supervisor_id: UUID | None
    line_manager_id: UUID | None
    team: str | None
    nqsw: bool
    on_probation: bool
    probation_months: int


async def arrange_supervision(
    uow: SupervisionUnitOfWork,
    worker_id: UUID,
    command: ArrangeSupervision,
    *,
    by: UUID | None,
    registered_manager: bool,
) -> SuperviseeProfile:
    """Record who supervises the worker and where they stand.

    Naming a supervisor opens the worker's records to them and their line manager (004 1.37), so only
    a registered manager or those already responsible for the worker (line manager, supervisor, the
    supervisor's line manager) may.
    """
    async with uow:
        profile = await _known(uow, worker_id)
        if not registered_manager:
            readers = await readers_of(uow, worker_id)
            responsible = {profile.line_manager_id, profile.supervisor_id} | readers.supervisors_line_managers
            if by is None or by not in responsible:
                raise Forbidden(
                    "Supervision arrangements are set by a registered manager, or by the worker's line "
                    "manager, supervisor or supervisor's line manager (004 1.37)."
                )
        with domain_rules():
            profile = profile.arranged(
                supervisor_id=command.supervisor_id,
                line_manager_id=command.line_manager_id,
                team=command.team,
                nqsw=command.nqsw,
                on_probation=command.on_probation,
                probation_months=command.probation_months,
            )
        await uow.supervisees.save(profile)
        await uow.commit()
    return profile


async def _known(uow: SupervisionUnitOfWork, worker_id: UUID, field: str = "worker_id") -> SuperviseeProfile:
    profile = await uow.supervisees.get(worker_id)
    if profile is None:
        raise NotFound(
            f"Supervision knows no worker {worker_id} yet: workers arrive from people's registrations.",
            errors=[{"field": field, "reason": "unknown worker"}],
        )
    return profile


# --- agreements -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposeAgreement:
    """A supervision agreement to be signed by both (004 appendix 1)."""

    supervisee_id: UUID
    supervisor_id: UUID
    frequency: Frequency
    duration_minutes: int
    venue: str
    agreed_on: date
    review_on: date
    team: str | None = None
    expectations: tuple[str, ...] = ()


async def propose_agreement(uow: SupervisionUnitOfWork, command: ProposeAgreement) -> SupervisionAgreement:
    """Draft an agreement; when it is signed by both it replaces the one in force (its review)."""
    async with uow:
        await _known(uow, command.supervisee_id, "body.supervisee_id")
        active = await uow.agreements.active(command.supervisee_id)
        with domain_rules():
            agreement = SupervisionAgreement.draft(
                id=uuid4(),
                supervisee_id=command.supervisee_id,
                supervisor_id=command.supervisor_id,
                frequency=command.frequency,
                duration_minutes=command.duration_minutes,
                venue=command.venue,
                agreed_on=command.agreed_on,
                review_on=command.review_on,
                team=command.team,
                expectations=command.expectations,
                replaces_id=active.id if active else None,
                created_at=uow.clock.now(),
            )
        await uow.agreements.add(agreement)
        await uow.commit()
    return agreement


async def sign_agreement(
    uow: SupervisionUnitOfWork, agreement_id: UUID, signer_id: UUID
) -> SupervisionAgreement:
    """Sign as the supervisor or the supervisee; the second signature puts it in force."""
    async with uow:
        agreement = await uow.agreements.get(agreement_id, for_update=True)
        if agreement is None:
            raise NotFound(f"No agreement has id {agreement_id}.")
        with domain_rules():
            agreement = agreement.signed_by(signer_id, uow.clock.now())
        await uow.agreements.save(agreement)
        if agreement.status is AgreementStatus.ACTIVE:
            for other in await uow.agreements.for_supervisee(agreement.supervisee_id):
                if other.id != agreement.id and other.status is AgreementStatus.ACTIVE:
                    await uow.agreements.save(other.superseded())
        await uow.commit()
    return agreement


# --- sessions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSessions:
    """The next 1, 2, 6 or 12 meetings (004 1.18)."""

    supervisor_id: UUID
    supervisee_ids: tuple[UUID, ...]
    format: SessionFormat
    first_starts_at: datetime
    count: int
    frequency: Frequency
    duration_minutes: int
    venue: str
    reflective: bool = False


async def plan_sessions(
    uow: SupervisionUnitOfWork, command: PlanSessions, zone: ZoneInfo
) -> list[SupervisionSession]:
    """Programme meetings in advance so that supervision gets priority (004 1.18)."""
    async with uow:
        for index, worker_id in enumerate(command.supervisee_ids):
            await _known(uow, worker_id, f"body.supervisee_ids.{index}")
        with domain_rules():
            planned = plan_series(
                supervisor_id=command.supervisor_id,
                supervisee_ids=command.supervisee_ids,
                format=command.format,
                first_starts_at=command.first_starts_at,
                count=command.count,
                frequency=command.frequency,
                duration_minutes=command.duration_minutes,
                venue=command.venue,
                reflective=command.reflective,
                zone=zone,
                now=uow.clock.now(),
            )
        for session in planned:
            await uow.sessions.add(session)
        await uow.commit()
    return planned


async def _line_managers(uow: SupervisionUnitOfWork, session: SupervisionSession) -> frozenset[UUID]:
    # 004 1.16 puts rescheduling on the line manager; appendix 1 names the supervisor as the
    # "Manager/Supervisor", so the session's supervisor and each supervisee's line manager may.
    return frozenset(
        {session.supervisor_id} | await uow.supervisees.line_managers_of(set(session.supervisee_ids))
    )


async def reschedule_session(
    uow: SupervisionUnitOfWork, session_id: UUID, *, by: UUID, to: datetime, reason: str
) -> SupervisionSession:
    """Move a planned meeting to an alternative date, with the reason (004 1.16)."""
    async with uow:
        session = await _session(uow, session_id)
        with domain_rules():
            session = session.rescheduled(
                by=by, to=to, reason=reason, at=uow.clock.now(), allowed=await _line_managers(uow, session)
            )
        await uow.sessions.save(session)
        await uow.commit()
    return session


async def cancel_session(
    uow: SupervisionUnitOfWork, session_id: UUID, *, by: UUID, reason: str
) -> SupervisionSession:
    """Call off a planned meeting, with the reason (004 1.16)."""
    async with uow:
        session = await _session(uow, session_id)
        with domain_rules():
            session = session.cancelled(
                by=by, reason=reason, at=uow.clock.now(), allowed=await _line_managers(uow, session)
            )
        await uow.sessions.save(session)
        await uow.commit()
    return session


async def _session(uow: SupervisionUnitOfWork, session_id: UUID) -> SupervisionSession:
    session = await uow.sessions.get(session_id, for_update=True)
    if session is None:
        raise NotFound(f"No session has id {session_id}.")
    return session


# --- records --------------------------------------------------------------------------------------


async def write_record(
    uow: SupervisionUnitOfWork, session_id: UUID, *, by: UUID, content: RecordContent, zone: ZoneInfo
) -> SupervisionRecord:
    """The supervisor records the meeting (004 1.25); the session is then held."""
    async with uow:
        session = await _session(uow, session_id)
        if by != session.supervisor_id:
            raise Forbidden("The supervisor records supervision (004 1.25).")
        if session.status is SessionStatus.CANCELLED:
            raise Conflict("This session was cancelled; plan another one and record that.")
        if await uow.records.for_session(session_id):
            raise Conflict("This session already has a record; revise it before signing, or amend it after.")
        with domain_rules():
            check_content(content, session.parties)
            if content.meeting_on > local_date(uow.clock.now(), zone):
                raise RuleBroken("meeting_on", "a meeting is recorded during or after it (004 1.25)")
        record = SupervisionRecord(
            id=uuid4(),
            session_id=session.id,
            supervisor_id=session.supervisor_id,
            supervisee_ids=session.supervisee_ids,
            content=content,
            created_at=uow.clock.now(),
        )
        await uow.records.add(record)
        await uow.sessions.save(session.held())
        await uow.commit()
    return record


async def revise_record(
    uow: SupervisionUnitOfWork, record_id: UUID, *, by: UUID, content: RecordContent
) -> SupervisionRecord:
    """Change an unsigned record; the signatures given so far are cleared."""
    async with uow:
        record = await _record(uow, record_id)
        with domain_rules():
            record = record.revised(content, by)
        await uow.records.save(record)
        await uow.commit()
    return record


async def record_disagreement(
    uow: SupervisionUnitOfWork, record_id: UUID, disagreement: Disagreement, zone: ZoneInfo
) -> SupervisionRecord:
    """Set out what is not agreed, how and by when it will be resolved (004 1.32)."""
    async with uow:
        record = await _record(uow, record_id)
        with domain_rules():
            record = record.with_disagreement(disagreement, today=local_date(uow.clock.now(), zone))
        await uow.records.save(record)
        await uow.commit()
    return record


async def sign_record(uow: SupervisionUnitOfWork, record_id: UUID, signer_id: UUID) -> SupervisionRecord:
    """Sign the current version; once everyone has, the record is the agreed record (004 1.25)."""
    async with uow:
        record = await _record(uow, record_id)
        with domain_rules():
            record = record.signed_by(signer_id, uow.clock.now())
        await uow.records.save(record, signed_at=uow.clock.now() if record.signed else None)
        await uow.commit()
    return record


async def amend_record(
    uow: SupervisionUnitOfWork, record_id: UUID, *, by: UUID, content: RecordContent
) -> SupervisionRecord:
    """A correction to a signed record: a new record that refers to it, signed again by all."""
    async with uow:
        original = await _record(uow, record_id)
        if not original.signed:
            raise Conflict("This record is not signed yet: revise it instead of amending it.")
        if by != original.supervisor_id:
            raise Forbidden("The supervisor records supervision (004 1.25).")
        with domain_rules():
            check_content(content, original.parties)
        amendment = SupervisionRecord(
            id=uuid4(),
            session_id=original.session_id,
            supervisor_id=original.supervisor_id,
            supervisee_ids=original.supervisee_ids,
            content=content,
            created_at=uow.clock.now(),
            amends_id=original.id,
        )
        await uow.records.add(amendment)
        await uow.commit()
    return amendment


async def _record(uow: SupervisionUnitOfWork, record_id: UUID) -> SupervisionRecord:
    record = await uow.records.get(record_id, for_update=True)
    if record is None:
        raise NotFound(f"No record has id {record_id}.")
    return record


# --- confidentiality ------------------------------------------------------------------------------


async def readers_of(uow: SupervisionUnitOfWork, worker_id: UUID) -> Readers:
    """The worker's supervisors (current, and any who wrote a record or agreement) and their line managers."""
    profile = await _known(uow, worker_id)
    supervisors = {
        r.supervisor_id for r in await uow.records.for_worker(worker_id) if worker_id in r.supervisee_ids
    }
    supervisors |= {a.supervisor_id for a in await uow.agreements.for_supervisee(worker_id)}
    if profile.supervisor_id is not None:
        supervisors.add(profile.supervisor_id)
    supervisors.discard(worker_id)
    return Readers(
        worker_id=worker_id,
        supervisors=frozenset(supervisors),
        supervisors_line_managers=frozenset(
            await uow.supervisees.line_managers_of(supervisors) - {worker_id}
        ),
    )


async def authorise_read(
    uow: SupervisionUnitOfWork,
    *,
    caller: UUID,
    worker_id: UUID,
    resource: str,
    resource_id: str | None,
    zone: ZoneInfo,
) -> AccessBasis:
    """Check and audit one read of ``worker_id``'s records (004 1.37-1.38); refused reads are audited too.

    Runs inside the caller's unit of work and commits the audit row itself, so a refusal leaves its trace.
    """
    readers = await readers_of(uow, worker_id)
    now = uow.clock.now()
    basis = access_basis(caller, readers, await uow.access.shares(worker_id), local_date(now, zone))
    await uow.access.audit_read(
        at=now, reader_id=caller, worker_id=worker_id, resource=resource, resource_id=resource_id, basis=basis
    )
    await uow.commit()
    if basis is AccessBasis.DENIED:
        raise Forbidden(
            "Supervision records are confidential to the member of staff, their supervisor and the "
            "supervisor's line manager, unless shared with consent or a recorded reason (004 1.37-1.38)."
        )
    return basis


@dataclass(frozen=True)
class ShareRecords:
    """Share a worker's records beyond the three (004 1.38)."""

    worker_id: UUID
    shared_with: UUID
    purpose: str
    consent_given: bool
    reason: str | None
    until: date | None


async def share_records(uow: SupervisionUnitOfWork, command: ShareRecords, *, by: UUID) -> RecordShare:
    """Record the share with the member of staff's consent, or the reason explained to them."""
    async with uow:
        readers = await readers_of(uow, command.worker_id)
        share = RecordShare(
            id=uuid4(),
            worker_id=command.worker_id,
            shared_with=command.shared_with,
            purpose=command.purpose.strip(),
            consent_given=command.consent_given,
            reason=(command.reason or "").strip() or None,
            shared_by=by,
            shared_at=uow.clock.now(),
            until=command.until,
        )
        with domain_rules():
            check_share(share, readers)
        await uow.access.add_share(share)
        await uow.commit()
    return share


# --- evidence the rules count ---------------------------------------------------------------------


async def manager_of(uow: SupervisionUnitOfWork, worker_id: UUID, caller: UUID) -> SuperviseeProfile:
    """The worker, when ``caller`` is their supervisor or the supervisor's line manager; else 403."""
    profile = await _known(uow, worker_id)
    readers = await readers_of(uow, worker_id)
    if caller not in readers.supervisors | readers.supervisors_line_managers:
        raise Forbidden("Only the worker's supervisor or the supervisor's line manager records this.")
    return profile


@dataclass(frozen=True)
class RecordMilestone:
    """A probation review, ASYE submission or PDP review done for a stage of the timeline."""

    kind: MilestoneKind
    stage: int
    completed_on: date
    outcome: str
    notes: str


async def record_milestone(
    uow: SupervisionUnitOfWork, worker_id: UUID, command: RecordMilestone, *, by: UUID
) -> UUID:
    """Keep that a stage of the timeline is done (once per stage)."""
    async with uow:
        await manager_of(uow, worker_id, by)
        milestone_id = uuid4()
        added = await uow.evidence.add_milestone(
            id=milestone_id,
            worker_id=worker_id,
            kind=command.kind,
            stage=command.stage,
            completed_on=command.completed_on,
            outcome=command.outcome,
            notes=command.notes,
            recorded_by=by,
            recorded_at=uow.clock.now(),
        )
        if not added:
            raise Conflict(f"The {command.kind} for month {command.stage} is already recorded.")
        await uow.commit()
    return milestone_id


async def record_training(
    uow: SupervisionUnitOfWork, worker_id: UUID, record: TrainingRecord, *, by: UUID
) -> UUID:
    """Keep a completed course (people will publish training later; 004 progression Year 1)."""
    if record.expires_on is not None and record.expires_on < record.completed_on:
        with domain_rules():
            raise RuleBroken("expires_on", "a course cannot expire before it was completed")
    async with uow:
        await manager_of(uow, worker_id, by)
        training_id = uuid4()
        await uow.evidence.add_training(
            id=training_id, worker_id=worker_id, record=record, by=by, at=uow.clock.now()
        )
        await uow.commit()
    return training_id


async def record_dbs_check(uow: SupervisionUnitOfWork, worker_id: UUID, check: DbsCheck, *, by: UUID) -> UUID:
    """Keep a DBS check and when it is re-checked (004 1.27; people will publish DBS later)."""
    if check.recheck_due_on <= check.checked_on:
        with domain_rules():
            raise RuleBroken("recheck_due_on", "the re-check comes after the check")
    async with uow:
        await manager_of(uow, worker_id, by)
        check_id = uuid4()
        await uow.evidence.add_dbs(id=check_id, worker_id=worker_id, check=check, by=by, at=uow.clock.now())
        await uow.commit()
    return check_id


# --- compliance -----------------------------------------------------------------------------------


async def load_history(uow: SupervisionUnitOfWork, profile: SuperviseeProfile, zone: ZoneInfo) -> History:
    """Everything the rules count for one worker, from supervision's own tables."""
    return (await load_histories(uow, [profile.worker_id], zone))[profile.worker_id]


async def load_histories(
    uow: SupervisionUnitOfWork, worker_ids: Sequence[UUID], zone: ZoneInfo
) -> dict[UUID, History]:
    """What the rules count for each of these workers, in a fixed number of queries for the lot
    (a sweep or a team view reads a page of workers at once, not a worker at a time)."""
    first_records: dict[tuple[UUID, UUID], SupervisionRecord] = {}
    for worker_id, record in await uow.records.for_workers(worker_ids):
        if record.amends_id is None:
            first_records.setdefault((worker_id, record.session_id), record)
    held: dict[UUID, list[HeldSession]] = {w: [] for w in worker_ids}
    for worker_id, session in await uow.sessions.for_workers(worker_ids):
        first = first_records.get((worker_id, session.id))
        if worker_id in session.supervisee_ids and session.status is SessionStatus.HELD and first is not None:
            held[worker_id].append(
                HeldSession(
                    held_on=first.content.meeting_on,
                    format=session.format,
                    reflective=session.reflective,
                    duration_minutes=first.content.duration_minutes,
                )
            )
    agreements = await uow.agreements.active_for(worker_ids)
    milestones, training, dbs = await uow.evidence.evidence_for(worker_ids)
    first_plans = await uow.development.first_plan_days(worker_ids)
    appraisals = await uow.development.appraisal_days(worker_ids)
    histories = {}
    for worker_id in worker_ids:
        active = agreements.get(worker_id)
        signed_on = active.signed_on() if active else None
        histories[worker_id] = History(
            sessions=tuple(held[worker_id]),
            milestones=frozenset(milestones.get(worker_id, ())),
            pdp_agreed_on=first_plans.get(worker_id),
            appraisals=tuple(sorted(appraisals.get(worker_id, ()))),
            training=tuple(training.get(worker_id, ())),
            dbs_checks=tuple(dbs.get(worker_id, ())),
            agreement=active.for_rules(local_date(signed_on, zone) if signed_on else None)
            if active
            else None,
        )
    return histories


async def compliance_of_many(
    uow: SupervisionUnitOfWork,
    profiles: Sequence[SuperviseeProfile],
    zone: ZoneInfo,
    *,
    on: date | None = None,
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS,
) -> list[ComplianceReport]:
    """Each worker's compliance on ``on`` (today in the provider's zone by default), in order."""
    today = on or local_date(uow.clock.now(), zone)
    histories = await load_histories(uow, [p.worker_id for p in profiles], zone)
    return [
        assess(p.for_rules(), histories[p.worker_id], today, due_soon_days=due_soon_days) for p in profiles
    ]


async def compliance_of(
    uow: SupervisionUnitOfWork,
    profile: SuperviseeProfile,
    zone: ZoneInfo,
    *,
    on: date | None = None,
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS,
) -> ComplianceReport:
    """The worker's compliance on ``on`` (today in the provider's zone by default)."""
    today = on or local_date(uow.clock.now(), zone)
    return assess(
        profile.for_rules(), await load_history(uow, profile, zone), today, due_soon_days=due_soon_days
    )


# --- compliance notices ---------------------------------------------------------------------------


async def announce_compliance(
    new_uow: Callable[[], SupervisionUnitOfWork],
    worker_ids: Sequence[UUID],
    *,
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS,
) -> Announced:
    """Announce what of these workers' obligations newly crossed a threshold.

    Reads the page in one transaction, then claims each worker's new notices in a transaction of its
    own whose first statement is a claim: on SQLite the write lock is then taken before anything is
    read, so two replicas queue instead of failing on a stale snapshot; on Postgres the key's
    uniqueness decides which replica announces.
    """
    async with new_uow() as uow:
        profiles = [p for p in await uow.supervisees.get_many(worker_ids) if p.active]
        reports = await compliance_of_many(uow, profiles, uow.zone, due_soon_days=due_soon_days)
        claimed = await uow.notices.claimed_for([p.worker_id for p in profiles])
    result = Announced()
    for profile, report in zip(profiles, reports, strict=True):
        known = claimed[profile.worker_id]
        fresh = [n for n in notices_for(report) if n.key not in known] + resolutions(report, known)
        if not fresh:
            continue
        try:
            async with new_uow() as uow:
                now = uow.clock.now()
                for notice in fresh:
                    if await uow.notices.claim(notice, now):
                        uow.publish(notice_event(profile, notice))
                        result.notices += 1
                await uow.commit()
        except Exception as exc:
            if is_database_outage(exc):
                raise
            # One worker's bad data must not hold back the rest of the page; the next sweep retries.
            log.exception("compliance notices for worker %s failed", profile.worker_id)
            result.failed.append(profile.worker_id)
    return result


@dataclass
class Announced:
    """What one page of a sweep announced, and the workers whose notices failed (retried next time)."""

    notices: int = 0
    failed: list[UUID] = field(default_factory=list)


def notice_event(
    profile: SuperviseeProfile, notice: Notice
) -> SupervisionDueSoon | SupervisionOverdue | SupervisionResolved:
    """The event that carries ``notice`` to alerts, with whom to remind and whom to escalate to."""
    fields: dict[str, Any] = {
        "worker_id": profile.worker_id,
        "worker_name": profile.full_name,
        "supervisor_id": profile.supervisor_id,
        "line_manager_id": profile.line_manager_id,
        "locality": profile.locality,
        "team": profile.team,
        "rule": str(notice.key.rule),
        "title": notice.title,
        "item": notice.key.item,
        "due_on": notice.key.due_on,
        "severity": str(notice.severity),
        "source": notice.source,
        "description": notice.description,
    }
    if notice.key.state is NoticeState.OVERDUE:
        return SupervisionOverdue(**fields, overdue_since=notice.key.due_on + timedelta(days=1))
    if notice.key.state is NoticeState.RESOLVED:
        return SupervisionResolved(**fields)
    return SupervisionDueSoon(**fields)
