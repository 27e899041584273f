"""Loading and storing supervision's aggregates. No rules here: the domain decides, this keeps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.adapters import tables as t
from services.supervision.domain.agreements import AgreementStatus, SupervisionAgreement
from services.supervision.domain.compliance import (
    DbsCheck,
    Frequency,
    MilestoneKind,
    RuleId,
    SessionFormat,
    TrainingRecord,
)
from services.supervision.domain.confidentiality import AccessBasis, RecordShare
from services.supervision.domain.notices import Notice, NoticeKey, NoticeState
from services.supervision.domain.records import (
    Action,
    DbsChangeAnswer,
    Disagreement,
    RecordContent,
    SupervisionFunction,
    SupervisionRecord,
)
from services.supervision.domain.sessions import Reschedule, SessionStatus, SupervisionSession
from services.supervision.domain.supervisees import SuperviseeProfile


class SuperviseeRepository:
    """Supervision's read model of workers."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, worker_id: UUID) -> SuperviseeProfile | None:
        """The worker, if supervision knows them."""
        row = (
            await self._session.execute(
                sa.select(t.supervisees).where(t.supervisees.c.worker_id == worker_id)
            )
        ).first()
        return _supervisee(row._mapping) if row else None

    async def get_many(self, worker_ids: Sequence[UUID]) -> list[SuperviseeProfile]:
        """These workers, those supervision knows, in the order asked."""
        rows = await self._session.execute(
            sa.select(t.supervisees).where(t.supervisees.c.worker_id.in_(worker_ids))
        )
        found = {row.worker_id: _supervisee(row._mapping) for row in rows}
        return [found[w] for w in worker_ids if w in found]

    async def add(self, profile: SuperviseeProfile) -> None:
        """Store a worker supervision has just learnt of."""
        await self._session.execute(sa.insert(t.supervisees).values(**_supervisee_values(profile)))

    async def save(self, profile: SuperviseeProfile) -> None:
        """Store changes to a known worker."""
        values = _supervisee_values(profile)
        del values["worker_id"]
        await self._session.execute(
            sa.update(t.supervisees).where(t.supervisees.c.worker_id == profile.worker_id).values(**values)
        )

    async def list(
        self,
        *,
        supervisor_id: UUID | None = None,
        team: str | None = None,
        limit: int = 500,
        after: tuple[str, str, UUID] | None = None,
        active_only: bool = False,
    ) -> list[SuperviseeProfile]:
        """Workers, optionally those of one supervisor or one team, by name; ``after`` a (family name,
        given name, id) key, for the next page."""
        c = t.supervisees.c
        query = sa.select(t.supervisees)
        if after is not None:
            family, given, worker_id = after
            query = query.where(
                sa.tuple_(c.family_name, c.given_name, c.worker_id)
                > sa.tuple_(sa.literal(family), sa.literal(given), sa.literal(worker_id, sa.Uuid()))
            )
        if supervisor_id is not None:
            query = query.where(t.supervisees.c.supervisor_id == supervisor_id)
        if team is not None:
            query = query.where(t.supervisees.c.team == team)
        if active_only:
            query = query.where(t.supervisees.c.active.is_(True))
        query = query.order_by(
            t.supervisees.c.family_name, t.supervisees.c.given_name, t.supervisees.c.worker_id
        )
        rows = await self._session.execute(query.limit(limit))
        return [_supervisee(row._mapping) for row in rows]

    async def ids_after(self, after: UUID | None, limit: int) -> tuple[UUID, ...]:
        """The next ``limit`` ids of workers still working, after ``after`` in id order (a sweep's page)."""
        query = (
            sa.select(t.supervisees.c.worker_id)
            .where(t.supervisees.c.active.is_(True))
            .order_by(t.supervisees.c.worker_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(t.supervisees.c.worker_id > after)
        return tuple(row.worker_id for row in await self._session.execute(query))

    async def line_managers_of(self, worker_ids: set[UUID]) -> set[UUID]:
        """The recorded line managers of these workers."""
        if not worker_ids:
            return set()
        rows = await self._session.execute(
            sa.select(t.supervisees.c.line_manager_id).where(t.supervisees.c.worker_id.in_(worker_ids))
        )
        return {row.line_manager_id for row in rows if row.line_manager_id is not None}


def _supervisee_values(p: SuperviseeProfile) -> dict[str, Any]:
    return {
        "worker_id": p.worker_id,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "role": p.role,
        "locality": p.locality,
        "start_date": p.start_date,
        "known_since": p.known_since,
        "known_on": p.known_on,
        "new_starter": p.new_starter,
        "nqsw": p.nqsw,
        "on_probation": p.on_probation,
        "probation_months": p.probation_months,
        "supervisor_id": p.supervisor_id,
        "line_manager_id": p.line_manager_id,
        "team": p.team,
        "active": p.active,
    }


def _supervisee(row: sa.RowMapping) -> SuperviseeProfile:
    return SuperviseeProfile(**{column.name: row[column.name] for column in t.supervisees.columns})


class AgreementRepository:
    """Supervision agreements."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, agreement: SupervisionAgreement) -> None:
        """Store a new agreement."""
        await self._session.execute(sa.insert(t.agreements).values(**_agreement_values(agreement)))

    async def save(self, agreement: SupervisionAgreement) -> None:
        """Store signatures and status."""
        values = _agreement_values(agreement)
        del values["id"]
        await self._session.execute(
            sa.update(t.agreements).where(t.agreements.c.id == agreement.id).values(**values)
        )

    async def get(self, agreement_id: UUID, *, for_update: bool = False) -> SupervisionAgreement | None:
        """One agreement; ``for_update`` locks it until the unit of work ends (Postgres)."""
        query = sa.select(t.agreements).where(t.agreements.c.id == agreement_id)
        row = (await self._session.execute(query.with_for_update() if for_update else query)).first()
        return _agreement(row._mapping) if row else None

    async def for_supervisee(self, worker_id: UUID) -> list[SupervisionAgreement]:
        """Every agreement of a worker, newest first."""
        rows = await self._session.execute(
            sa.select(t.agreements)
            .where(t.agreements.c.supervisee_id == worker_id)
            .order_by(t.agreements.c.created_at.desc(), t.agreements.c.id)
        )
        return [_agreement(row._mapping) for row in rows]

    async def active_for(self, worker_ids: Sequence[UUID]) -> dict[UUID, SupervisionAgreement]:
        """The agreement in force of each of these workers that has one (one query for a page)."""
        rows = await self._session.execute(
            sa.select(t.agreements)
            .where(
                t.agreements.c.supervisee_id.in_(worker_ids),
                t.agreements.c.status == AgreementStatus.ACTIVE.value,
            )
            .order_by(t.agreements.c.created_at.desc(), t.agreements.c.id)
        )
        found: dict[UUID, SupervisionAgreement] = {}
        for row in rows:
            agreement = _agreement(row._mapping)
            found.setdefault(agreement.supervisee_id, agreement)
        return found

    async def active(self, worker_id: UUID) -> SupervisionAgreement | None:
        """The agreement in force, if any."""
        found = [a for a in await self.for_supervisee(worker_id) if a.status is AgreementStatus.ACTIVE]
        return found[0] if found else None


def _agreement_values(a: SupervisionAgreement) -> dict[str, Any]:
    return {
        "id": a.id,
        "supervisee_id": a.supervisee_id,
        "supervisor_id": a.supervisor_id,
        "frequency": a.frequency.value,
        "duration_minutes": a.duration_minutes,
        "venue": a.venue,
        "team": a.team,
        "agreed_on": a.agreed_on,
        "review_on": a.review_on,
        "expectations": list(a.expectations),
        "supervisee_signed_at": a.supervisee_signed_at,
        "supervisor_signed_at": a.supervisor_signed_at,
        "status": a.status.value,
        "replaces_id": a.replaces_id,
        "created_at": a.created_at,
    }


def _agreement(row: sa.RowMapping) -> SupervisionAgreement:
    return SupervisionAgreement(
        id=row["id"],
        supervisee_id=row["supervisee_id"],
        supervisor_id=row["supervisor_id"],
        frequency=Frequency(row["frequency"]),
        duration_minutes=row["duration_minutes"],
        venue=row["venue"],
        team=row["team"],
        agreed_on=row["agreed_on"],
        review_on=row["review_on"],
        expectations=tuple(row["expectations"]),
        supervisee_signed_at=row["supervisee_signed_at"],
        supervisor_signed_at=row["supervisor_signed_at"],
        status=AgreementStatus(row["status"]),
        replaces_id=row["replaces_id"],
        created_at=row["created_at"],
    )


class SessionRepository:
    """Planned and held sessions, and who takes part in each."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, s: SupervisionSession) -> None:
        """Store a newly planned session."""
        await self._session.execute(sa.insert(t.sessions).values(**_session_values(s)))
        await self._session.execute(
            sa.insert(t.session_participants), [{"session_id": s.id, "worker_id": w} for w in s.parties]
        )

    async def save(self, s: SupervisionSession) -> None:
        """Store a moved, cancelled or held session."""
        values = _session_values(s)
        del values["id"]
        await self._session.execute(sa.update(t.sessions).where(t.sessions.c.id == s.id).values(**values))

    async def get(self, session_id: UUID, *, for_update: bool = False) -> SupervisionSession | None:
        """One session."""
        query = sa.select(t.sessions).where(t.sessions.c.id == session_id)
        row = (await self._session.execute(query.with_for_update() if for_update else query)).first()
        return _session(row._mapping) if row else None

    async def for_workers(self, worker_ids: Sequence[UUID]) -> list[tuple[UUID, SupervisionSession]]:
        """(worker, session) for every session these workers take part in (one query for a page)."""
        rows = await self._session.execute(
            sa.select(t.sessions, t.session_participants.c.worker_id.label("participant_id"))
            .join(t.session_participants, t.session_participants.c.session_id == t.sessions.c.id)
            .where(t.session_participants.c.worker_id.in_(worker_ids))
            .order_by(t.sessions.c.starts_at, t.sessions.c.id)
        )
        return [(row.participant_id, _session(row._mapping)) for row in rows]

    async def for_worker(self, worker_id: UUID) -> list[SupervisionSession]:
        """Sessions the worker takes part in (as supervisor or supervised), by start."""
        rows = await self._session.execute(
            sa.select(t.sessions)
            .join(t.session_participants, t.session_participants.c.session_id == t.sessions.c.id)
            .where(t.session_participants.c.worker_id == worker_id)
            .order_by(t.sessions.c.starts_at, t.sessions.c.id)
        )
        return [_session(row._mapping) for row in rows]


def _session_values(s: SupervisionSession) -> dict[str, Any]:
    return {
        "id": s.id,
        "supervisor_id": s.supervisor_id,
        "supervisee_ids": [str(w) for w in s.supervisee_ids],
        "format": s.format.value,
        "reflective": s.reflective,
        "starts_at": s.starts_at,
        "duration_minutes": s.duration_minutes,
        "venue": s.venue,
        "series_id": s.series_id,
        "status": s.status.value,
        "reschedules": [
            {
                "moved_by": str(r.moved_by),
                "moved_at": r.moved_at.isoformat(),
                "from_starts_at": r.from_starts_at.isoformat(),
                "to_starts_at": r.to_starts_at.isoformat(),
                "reason": r.reason,
            }
            for r in s.reschedules
        ],
    }


def _session(row: sa.RowMapping) -> SupervisionSession:
    return SupervisionSession(
        id=row["id"],
        supervisor_id=row["supervisor_id"],
        supervisee_ids=tuple(UUID(w) for w in row["supervisee_ids"]),
        format=SessionFormat(row["format"]),
        reflective=row["reflective"],
        starts_at=row["starts_at"],
        duration_minutes=row["duration_minutes"],
        venue=row["venue"],
        series_id=row["series_id"],
        status=SessionStatus(row["status"]),
        reschedules=tuple(
            Reschedule(
                moved_by=UUID(r["moved_by"]),
                moved_at=datetime.fromisoformat(r["moved_at"]),
                from_starts_at=datetime.fromisoformat(r["from_starts_at"]),
                to_starts_at=datetime.fromisoformat(r["to_starts_at"]),
                reason=r["reason"],
            )
            for r in row["reschedules"]
        ),
    )


class RecordRepository:
    """Supervision records and their amendments."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, record: SupervisionRecord, signed_at: datetime | None = None) -> None:
        """Store a new record (or amendment)."""
        await self._session.execute(
            sa.insert(t.records).values(**_record_values(record), signed_at=signed_at)
        )

    async def save(self, record: SupervisionRecord, signed_at: datetime | None = None) -> None:
        """Store a revised or signed record."""
        values = _record_values(record)
        del values["id"]
        await self._session.execute(
            sa.update(t.records).where(t.records.c.id == record.id).values(**values, signed_at=signed_at)
        )

    async def get(self, record_id: UUID, *, for_update: bool = False) -> SupervisionRecord | None:
        """One record."""
        query = sa.select(t.records).where(t.records.c.id == record_id)
        row = (await self._session.execute(query.with_for_update() if for_update else query)).first()
        return _record(row._mapping) if row else None

    async def for_session(self, session_id: UUID) -> list[SupervisionRecord]:
        """The record of a session and its amendments, oldest first."""
        rows = await self._session.execute(
            sa.select(t.records).where(t.records.c.session_id == session_id).order_by(t.records.c.created_at)
        )
        return [_record(row._mapping) for row in rows]

    async def for_workers(self, worker_ids: Sequence[UUID]) -> list[tuple[UUID, SupervisionRecord]]:
        """(worker, record) for the records of every session these workers took part in."""
        rows = await self._session.execute(
            sa.select(t.records, t.session_participants.c.worker_id.label("participant_id"))
            .join(t.session_participants, t.session_participants.c.session_id == t.records.c.session_id)
            .where(t.session_participants.c.worker_id.in_(worker_ids))
            .order_by(t.records.c.meeting_on, t.records.c.created_at)
        )
        return [(row.participant_id, _record(row._mapping)) for row in rows]

    async def for_worker(self, worker_id: UUID) -> list[SupervisionRecord]:
        """Every record of the sessions the worker took part in, by meeting day."""
        rows = await self._session.execute(
            sa.select(t.records)
            .join(t.session_participants, t.session_participants.c.session_id == t.records.c.session_id)
            .where(t.session_participants.c.worker_id == worker_id)
            .order_by(t.records.c.meeting_on, t.records.c.created_at)
        )
        return [_record(row._mapping) for row in rows]


def _record_values(r: SupervisionRecord) -> dict[str, Any]:
    c = r.content
    return {
        "id": r.id,
        "session_id": r.session_id,
        "supervisor_id": r.supervisor_id,
        "supervisee_ids": [str(w) for w in r.supervisee_ids],
        "meeting_on": c.meeting_on,
        "content": {
            "meeting_on": c.meeting_on.isoformat(),
            "duration_minutes": c.duration_minutes,
            "previous_actions_review": c.previous_actions_review,
            "dbs_change": {
                "asked": c.dbs_change.asked,
                "change_reported": c.dbs_change.change_reported,
                "details": c.dbs_change.details,
            },
            "management": c.management,
            "development": c.development,
            "support": c.support,
            "conflicts": c.conflicts,
            "pdp_reviewed": c.pdp_reviewed,
            "leave_dates": c.leave_dates,
            "next_appraisal_review_on": c.next_appraisal_review_on.isoformat()
            if c.next_appraisal_review_on
            else None,
            "actions": [
                {
                    "function": a.function.value,
                    "description": a.description,
                    "owner_id": str(a.owner_id),
                    "due_on": a.due_on.isoformat(),
                }
                for a in c.actions
            ],
        },
        "version": r.version,
        "signatures": {str(k): v.isoformat() for k, v in r.signatures.items()},
        "disagreement": None
        if r.disagreement is None
        else {
            "raised_by": str(r.disagreement.raised_by),
            "about": r.disagreement.about,
            "how_to_resolve": r.disagreement.how_to_resolve,
            "resolve_by": r.disagreement.resolve_by.isoformat(),
        },
        "amends_id": r.amends_id,
        "created_at": r.created_at,
    }


def _record(row: sa.RowMapping) -> SupervisionRecord:
    c = row["content"]
    d = row["disagreement"]
    return SupervisionRecord(
        id=row["id"],
        session_id=row["session_id"],
        supervisor_id=row["supervisor_id"],
        supervisee_ids=tuple(UUID(w) for w in row["supervisee_ids"]),
        content=RecordContent(
            meeting_on=date.fromisoformat(c["meeting_on"]),
            duration_minutes=c["duration_minutes"],
            previous_actions_review=c["previous_actions_review"],
            dbs_change=DbsChangeAnswer(**c["dbs_change"]),
            management=c["management"],
            development=c["development"],
            support=c["support"],
            conflicts=c["conflicts"],
            pdp_reviewed=c["pdp_reviewed"],
            leave_dates=c["leave_dates"],
            next_appraisal_review_on=date.fromisoformat(c["next_appraisal_review_on"])
            if c["next_appraisal_review_on"]
            else None,
            actions=tuple(
                Action(
                    function=SupervisionFunction(a["function"]),
                    description=a["description"],
                    owner_id=UUID(a["owner_id"]),
                    due_on=date.fromisoformat(a["due_on"]),
                )
                for a in c["actions"]
            ),
        ),
        created_at=row["created_at"],
        version=row["version"],
        signatures={UUID(k): datetime.fromisoformat(v) for k, v in row["signatures"].items()},
        disagreement=None
        if d is None
        else Disagreement(
            raised_by=UUID(d["raised_by"]),
            about=d["about"],
            how_to_resolve=d["how_to_resolve"],
            resolve_by=date.fromisoformat(d["resolve_by"]),
        ),
        amends_id=row["amends_id"],
    )


class EvidenceRepository:
    """Timeline milestones (probation reviews, ASYE stages, PDP reviews), training and DBS checks."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_milestone(
        self,
        *,
        id: UUID,
        worker_id: UUID,
        kind: MilestoneKind,
        stage: int,
        completed_on: date,
        outcome: str,
        notes: str,
        recorded_by: UUID,
        recorded_at: datetime,
    ) -> bool:
        """Store a milestone; False when that stage is already recorded for the worker."""
        exists = await self._session.execute(
            sa.select(t.milestones.c.id).where(
                t.milestones.c.worker_id == worker_id,
                t.milestones.c.kind == kind.value,
                t.milestones.c.stage == stage,
            )
        )
        if exists.first() is not None:
            return False
        await self._session.execute(
            sa.insert(t.milestones).values(
                id=id,
                worker_id=worker_id,
                kind=kind.value,
                stage=stage,
                completed_on=completed_on,
                outcome=outcome,
                notes=notes,
                recorded_by=recorded_by,
                recorded_at=recorded_at,
            )
        )
        return True

    async def evidence_for(
        self, worker_ids: Sequence[UUID]
    ) -> tuple[
        dict[UUID, set[tuple[MilestoneKind, int]]],
        dict[UUID, list[TrainingRecord]],
        dict[UUID, list[DbsCheck]],
    ]:
        """Milestones, training and DBS checks of these workers (three queries for a page)."""
        milestones: dict[UUID, set[tuple[MilestoneKind, int]]] = {}
        for m in await self._session.execute(
            sa.select(t.milestones.c.worker_id, t.milestones.c.kind, t.milestones.c.stage).where(
                t.milestones.c.worker_id.in_(worker_ids)
            )
        ):
            milestones.setdefault(m.worker_id, set()).add((MilestoneKind(m.kind), int(m.stage)))
        training: dict[UUID, list[TrainingRecord]] = {}
        for r in await self._session.execute(
            sa.select(t.training_records)
            .where(t.training_records.c.worker_id.in_(worker_ids))
            .order_by(t.training_records.c.completed_on)
        ):
            training.setdefault(r.worker_id, []).append(
                TrainingRecord(r.course, r.completed_on, r.expires_on, r.mandatory)
            )
        dbs: dict[UUID, list[DbsCheck]] = {}
        for r in await self._session.execute(
            sa.select(t.dbs_checks)
            .where(t.dbs_checks.c.worker_id.in_(worker_ids))
            .order_by(t.dbs_checks.c.checked_on)
        ):
            dbs.setdefault(r.worker_id, []).append(DbsCheck(r.checked_on, r.recheck_due_on))
        return milestones, training, dbs

    async def milestones(self, worker_id: UUID) -> list[dict[str, Any]]:
        """A worker's milestones, by day."""
        rows = await self._session.execute(
            sa.select(t.milestones)
            .where(t.milestones.c.worker_id == worker_id)
            .order_by(t.milestones.c.completed_on)
        )
        return [dict(row._mapping) for row in rows]

    async def add_training(
        self, *, id: UUID, worker_id: UUID, record: TrainingRecord, by: UUID, at: datetime
    ) -> None:
        """Store a completed course."""
        await self._session.execute(
            sa.insert(t.training_records).values(
                id=id,
                worker_id=worker_id,
                course=record.course,
                completed_on=record.completed_on,
                expires_on=record.expires_on,
                mandatory=record.mandatory,
                recorded_by=by,
                recorded_at=at,
            )
        )

    async def training(self, worker_id: UUID) -> list[TrainingRecord]:
        """A worker's training, oldest first."""
        rows = await self._session.execute(
            sa.select(t.training_records)
            .where(t.training_records.c.worker_id == worker_id)
            .order_by(t.training_records.c.completed_on)
        )
        return [TrainingRecord(r.course, r.completed_on, r.expires_on, r.mandatory) for r in rows]

    async def add_dbs(self, *, id: UUID, worker_id: UUID, check: DbsCheck, by: UUID, at: datetime) -> None:
        """Store a DBS check."""
        await self._session.execute(
            sa.insert(t.dbs_checks).values(
                id=id,
                worker_id=worker_id,
                checked_on=check.checked_on,
                recheck_due_on=check.recheck_due_on,
                recorded_by=by,
                recorded_at=at,
            )
        )

    async def dbs(self, worker_id: UUID) -> list[DbsCheck]:
        """A worker's DBS checks, oldest first."""
        rows = await self._session.execute(
            sa.select(t.dbs_checks)
            .where(t.dbs_checks.c.worker_id == worker_id)
            .order_by(t.dbs_checks.c.checked_on)
        )
        return [DbsCheck(r.checked_on, r.recheck_due_on) for r in rows]


class AccessRepository:
    """Shares of supervision records beyond the three, and the audit of every read."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_share(self, share: RecordShare) -> None:
        """Store a share."""
        await self._session.execute(
            sa.insert(t.record_shares).values(
                id=share.id,
                worker_id=share.worker_id,
                shared_with=share.shared_with,
                purpose=share.purpose,
                consent_given=share.consent_given,
                reason=share.reason,
                shared_by=share.shared_by,
                shared_at=share.shared_at,
                until=share.until,
            )
        )

    async def shares(self, worker_id: UUID) -> list[RecordShare]:
        """Every share of a worker's records."""
        rows = await self._session.execute(
            sa.select(t.record_shares)
            .where(t.record_shares.c.worker_id == worker_id)
            .order_by(t.record_shares.c.shared_at)
        )
        return [RecordShare(**dict(row._mapping)) for row in rows]

    async def audit_read(
        self,
        *,
        at: datetime,
        reader_id: UUID,
        worker_id: UUID,
        resource: str,
        resource_id: str | None,
        basis: AccessBasis,
    ) -> None:
        """Keep one read (or refused read) of a worker's records."""
        await self._session.execute(
            sa.insert(t.record_reads).values(
                read_at=at,
                reader_id=reader_id,
                worker_id=worker_id,
                resource=resource,
                resource_id=resource_id,
                basis=basis.value,
            )
        )

    async def reads(self, worker_id: UUID) -> list[dict[str, Any]]:
        """The audit trail of a worker's records, oldest first."""
        rows = await self._session.execute(
            sa.select(t.record_reads)
            .where(t.record_reads.c.worker_id == worker_id)
            .order_by(t.record_reads.c.id)
        )
        return [dict(row._mapping) for row in rows]


class NoticeRepository:
    """Compliance notices already announced: the claim that makes each leave once."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, notice: Notice, at: datetime) -> bool:
        """Record ``notice`` as announced; False when it already was (by this replica or another).

        On Postgres an insert of a key another transaction has just inserted waits for that
        transaction and then does nothing, so of two replicas exactly one gets True.
        """
        key = notice.key
        values = {
            "worker_id": key.worker_id,
            "rule": str(key.rule),
            "item": key.item,
            "due_on": key.due_on,
            "state": str(key.state),
            "severity": str(notice.severity),
            "emitted_at": at,
        }
        insert = sqlite_insert if self._session.get_bind().dialect.name == "sqlite" else postgresql_insert
        result = await self._session.execute(
            insert(t.compliance_notices).values(**values).on_conflict_do_nothing()
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def claimed_for(self, worker_ids: Sequence[UUID]) -> dict[UUID, set[NoticeKey]]:
        """The keys of the notices already announced for each of these workers (one query)."""
        c = t.compliance_notices.c
        found: dict[UUID, set[NoticeKey]] = {w: set() for w in worker_ids}
        for row in await self._session.execute(
            sa.select(c.worker_id, c.rule, c.item, c.due_on, c.state).where(c.worker_id.in_(worker_ids))
        ):
            found[row.worker_id].add(
                NoticeKey(row.worker_id, RuleId(row.rule), row.item, row.due_on, NoticeState(row.state))
            )
        return found

    async def claimed(self, worker_id: UUID) -> set[NoticeKey]:
        """The keys of the notices already announced for a worker."""
        c = t.compliance_notices.c
        rows = await self._session.execute(
            sa.select(c.rule, c.item, c.due_on, c.state).where(c.worker_id == worker_id)
        )
        return {
            NoticeKey(worker_id, RuleId(row.rule), row.item, row.due_on, NoticeState(row.state))
            for row in rows
        }

    async def for_worker(self, worker_id: UUID) -> list[dict[str, Any]]:
        """Every notice announced for a worker, oldest first."""
        rows = await self._session.execute(
            sa.select(t.compliance_notices)
            .where(t.compliance_notices.c.worker_id == worker_id)
            .order_by(t.compliance_notices.c.emitted_at, t.compliance_notices.c.due_on)
        )
        return [dict(row._mapping) for row in rows]
