"""Loading and storing the visits service's state. No rules here: the domain decides, this keeps."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rounds.contracts.visits import TELEMETRY_TOPIC
from rounds.infra.messaging_tables import outbox
from services.visits.adapters import tables as t
from services.visits.domain.geo import Point
from services.visits.domain.monitor import PROVIDER_WIDE, ThresholdBook, Thresholds
from services.visits.domain.visits import (
    Attendance,
    ExpectedVisit,
    HomeFacts,
    RaisedCondition,
    VisitState,
)


def _insert(session: AsyncSession, table: sa.Table) -> Any:
    """An INSERT that can say ON CONFLICT on the session's database (Postgres or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _visit(row: Any) -> ExpectedVisit:
    home = (
        Point(row.home_lat, row.home_lon) if row.home_lat is not None and row.home_lon is not None else None
    )
    return ExpectedVisit(
        visit_id=row.visit_id,
        individual_id=row.individual_id,
        package_id=row.package_id,
        locality=row.locality,
        local_date=row.local_date,
        time_zone=row.time_zone,
        service_type=row.service_type,
        planned_start=row.planned_start,
        planned_end=row.planned_end,
        window_start=row.window_start,
        window_end=row.window_end,
        tasks=tuple(row.tasks),
        workers_required=row.workers_required,
        workers=tuple(UUID(w) for w in row.workers),
        address=row.address,
        cancelled=row.cancelled,
        rota_updated_at=row.rota_updated_at,
        home=home,
    )


def _visit_values(visit: ExpectedVisit) -> dict[str, Any]:
    return {
        "visit_id": visit.visit_id,
        "individual_id": visit.individual_id,
        "package_id": visit.package_id,
        "locality": visit.locality,
        "local_date": visit.local_date,
        "time_zone": visit.time_zone,
        "service_type": visit.service_type,
        "planned_start": visit.planned_start,
        "planned_end": visit.planned_end,
        "window_start": visit.window_start,
        "window_end": visit.window_end,
        "tasks": list(visit.tasks),
        "workers_required": visit.workers_required,
        "workers": [str(w) for w in visit.workers],
        "address": visit.address,
        "home_lat": visit.home.lat if visit.home else None,
        "home_lon": visit.home.lon if visit.home else None,
        "cancelled": visit.cancelled,
        "rota_updated_at": visit.rota_updated_at,
    }


class VisitRepository:
    """Expected visits, their allocations, attendance and raised conditions."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, visit_id: UUID) -> ExpectedVisit | None:
        """The visit as the rota last described it."""
        row = (
            await self._session.execute(
                sa.select(t.expected_visits).where(t.expected_visits.c.visit_id == visit_id)
            )
        ).first()
        return _visit(row) if row else None

    async def state(self, visit_id: UUID, *, lock: bool = False) -> VisitState | None:
        """The visit with its attendance and conditions; ``lock`` holds the row until commit.

        Handlers that change a visit lock it first, so a check-in and the monitor never decide on
        the same visit at the same moment from two stale pictures (Postgres; SQLite has one writer).
        """
        query = sa.select(t.expected_visits).where(t.expected_visits.c.visit_id == visit_id)
        if lock and _is_postgres(self._session):
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        return await self._state_of(_visit(row))

    async def _state_of(self, visit: ExpectedVisit) -> VisitState:
        return (await self._states_of([visit]))[0]

    async def _states_of(self, visits: list[ExpectedVisit]) -> list[VisitState]:
        """Attendance and conditions of many visits in two queries, not two per visit."""
        if not visits:
            return []
        attendances: dict[UUID, dict[UUID, Attendance]] = {v.visit_id: {} for v in visits}
        raised: dict[UUID, dict[str, RaisedCondition]] = {v.visit_id: {} for v in visits}
        # Bounded chunks: one IN list per few hundred visits keeps every statement a sane size.
        ids = list(attendances)
        for chunk in range(0, len(ids), 500):
            wanted = ids[chunk : chunk + 500]
            for r in await self._session.execute(
                sa.select(t.attendances).where(t.attendances.c.visit_id.in_(wanted))
            ):
                attendances[r.visit_id][r.worker_id] = Attendance(
                    worker_id=r.worker_id,
                    checked_in_at=r.checked_in_at,
                    check_in_record=r.check_in_record,
                    checked_out_at=r.checked_out_at,
                    check_out_record=r.check_out_record,
                )
            for r in await self._session.execute(
                sa.select(t.conditions).where(t.conditions.c.visit_id.in_(wanted))
            ):
                raised[r.visit_id][r.condition] = RaisedCondition(
                    condition=r.condition,
                    deadline=r.deadline,
                    raised_at=r.raised_at,
                    resolved_at=r.resolved_at,
                    resolution=r.resolution,
                )
        return [VisitState(v, attendances[v.visit_id], raised[v.visit_id]) for v in visits]

    async def save(self, visit: ExpectedVisit) -> None:
        """Insert or replace the visit and its allocation."""
        values = _visit_values(visit)
        exists = await self._session.scalar(
            sa.select(t.expected_visits.c.visit_id).where(t.expected_visits.c.visit_id == visit.visit_id)
        )
        if exists:
            await self._session.execute(
                sa.update(t.expected_visits)
                .where(t.expected_visits.c.visit_id == visit.visit_id)
                .values(**values)
            )
        else:
            await self._session.execute(sa.insert(t.expected_visits).values(**values))
        await self._session.execute(
            sa.delete(t.allocations).where(t.allocations.c.visit_id == visit.visit_id)
        )
        if visit.workers:
            await self._session.execute(
                sa.insert(t.allocations),
                [{"visit_id": visit.visit_id, "worker_id": w} for w in visit.workers],
            )

    async def anonymise(self, individual_id: UUID, placeholder: str, decimals: int) -> int:
        """The individual's expected visits (history included) without the address, coordinates to
        ``decimals``; ids, times, workers, records and conditions stay."""
        ev = t.expected_visits
        rows = (
            await self._session.execute(
                sa.select(ev.c.visit_id, ev.c.home_lat, ev.c.home_lon).where(
                    ev.c.individual_id == individual_id
                )
            )
        ).all()
        for row in rows:
            await self._session.execute(
                sa.update(ev)
                .where(ev.c.visit_id == row.visit_id)
                .values(
                    address=placeholder,
                    home_lat=None if row.home_lat is None else round(row.home_lat, decimals),
                    home_lon=None if row.home_lon is None else round(row.home_lon, decimals),
                )
            )
        return len(rows)

    async def schedule_checks(self, checks: list[tuple[UUID, datetime | None]]) -> None:
        """When the monitor must look at each visit next, in one batched statement."""
        if not checks:
            return
        await self._session.execute(
            sa.update(t.expected_visits)
            .where(t.expected_visits.c.visit_id == sa.bindparam("b_visit_id"))
            .values(next_check_at=sa.bindparam("b_next_check_at")),
            [{"b_visit_id": visit_id, "b_next_check_at": at} for visit_id, at in checks],
        )

    async def schedule_check(self, visit_id: UUID, at: datetime | None) -> None:
        """When the monitor must look at the visit next."""
        await self._session.execute(
            sa.update(t.expected_visits)
            .where(t.expected_visits.c.visit_id == visit_id)
            .values(next_check_at=at)
        )

    async def claim_due(self, now: datetime, limit: int) -> list[VisitState]:
        """Visits whose next check has come, locked for this transaction.

        On Postgres ``SKIP LOCKED`` lets several monitor replicas share the work without waiting on
        each other; the conditions' primary key is what guarantees a condition is raised once.
        """
        query = (
            sa.select(t.expected_visits)
            .where(t.expected_visits.c.next_check_at <= now)
            .order_by(t.expected_visits.c.next_check_at)
            .limit(limit)
        )
        if _is_postgres(self._session):
            query = query.with_for_update(skip_locked=True)
        rows = (await self._session.execute(query)).all()
        return await self._states_of([_visit(row) for row in rows])

    async def earliest_check(self) -> datetime | None:
        """The soonest any visit needs the monitor (to sleep until then)."""
        found: datetime | None = await self._session.scalar(
            sa.select(sa.func.min(t.expected_visits.c.next_check_at))
        )
        return found

    async def add_attendance(self, visit_id: UUID, attendance: Attendance) -> None:
        """A worker checked in."""
        await self._session.execute(
            sa.insert(t.attendances).values(
                visit_id=visit_id,
                worker_id=attendance.worker_id,
                checked_in_at=attendance.checked_in_at,
                check_in_record=attendance.check_in_record,
            )
        )

    async def close_attendance(self, visit_id: UUID, attendance: Attendance) -> None:
        """A worker checked out."""
        await self._session.execute(
            sa.update(t.attendances)
            .where(t.attendances.c.visit_id == visit_id, t.attendances.c.worker_id == attendance.worker_id)
            .values(checked_out_at=attendance.checked_out_at, check_out_record=attendance.check_out_record)
        )

    async def raise_conditions(
        self, wanted: list[tuple[UUID, str, datetime, str]], raised_at: datetime, raised_by: str
    ) -> set[tuple[UUID, str]]:
        """Record conditions as raised, in one statement; the (visit, condition) pairs this call
        inserted. A pair raised before (by anyone, any replica) is left alone and not returned."""
        if not wanted:
            return set()
        statement = (
            _insert(self._session, t.conditions)
            .values(
                [
                    {
                        "visit_id": visit_id,
                        "condition": condition,
                        "deadline": deadline,
                        "raised_at": raised_at,
                        "raised_by": raised_by,
                        "detail": detail[:1000],
                    }
                    for visit_id, condition, deadline, detail in wanted
                ]
            )
            .on_conflict_do_nothing(index_elements=["visit_id", "condition"])
            .returning(t.conditions.c.visit_id, t.conditions.c.condition)
        )
        return {(row.visit_id, row.condition) for row in await self._session.execute(statement)}

    async def resolve_condition(self, visit_id: UUID, condition: str, at: datetime, resolution: str) -> None:
        """Mark a raised condition resolved."""
        await self._session.execute(
            sa.update(t.conditions)
            .where(
                t.conditions.c.visit_id == visit_id,
                t.conditions.c.condition == condition,
                t.conditions.c.resolved_at.is_(None),
            )
            .values(resolved_at=at, resolution=resolution)
        )

    async def forget_conditions(self, visit_id: UUID, conditions: list[str]) -> None:
        """Drop resolved conditions so they can be raised again (the visit moved to a new time)."""
        if conditions:
            await self._session.execute(
                sa.delete(t.conditions).where(
                    t.conditions.c.visit_id == visit_id, t.conditions.c.condition.in_(conditions)
                )
            )

    async def for_worker(
        self, worker_id: UUID, local_date: date, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[VisitState]:
        """The worker's visits on a local day, in planned order, after a cursor."""
        query = (
            sa.select(t.expected_visits)
            .join(t.allocations, t.allocations.c.visit_id == t.expected_visits.c.visit_id)
            .where(t.allocations.c.worker_id == worker_id, t.expected_visits.c.local_date == local_date)
        )
        return await self._page(query, after, limit)

    async def for_locality(
        self, locality: str, local_date: date, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[VisitState]:
        """A locality's visits on a local day, in planned order, after a cursor."""
        query = sa.select(t.expected_visits).where(
            t.expected_visits.c.locality == locality, t.expected_visits.c.local_date == local_date
        )
        return await self._page(query, after, limit)

    async def _page(self, query: Any, after: tuple[datetime, UUID] | None, limit: int) -> list[VisitState]:
        c = t.expected_visits.c
        if after is not None:
            start, visit_id = after
            query = query.where(
                sa.or_(c.planned_start > start, sa.and_(c.planned_start == start, c.visit_id > visit_id))
            )
        rows = (await self._session.execute(query.order_by(c.planned_start, c.visit_id).limit(limit))).all()
        return await self._states_of([_visit(row) for row in rows])

    async def all_on(self, locality: str | None, local_date: date) -> list[VisitState]:
        """Every visit of a local day (for the day's reports), optionally in one locality."""
        query = sa.select(t.expected_visits).where(t.expected_visits.c.local_date == local_date)
        if locality is not None:
            query = query.where(t.expected_visits.c.locality == locality)
        rows = (await self._session.execute(query.order_by(t.expected_visits.c.planned_start))).all()
        return await self._states_of([_visit(row) for row in rows])


@dataclass(frozen=True)
class StoredRecord:
    """A record as accepted: its content and the answer given when it was accepted."""

    record_id: UUID
    visit_id: UUID
    worker_id: UUID
    kind: str
    occurred_at: datetime
    received_at: datetime
    content: dict[str, Any]
    verification: dict[str, Any] | None
    flagged: bool
    result: dict[str, Any]


@dataclass(frozen=True)
class StoredAmendment:
    """A correction of a record: who, when, why and what changed."""

    amendment_id: UUID
    record_id: UUID
    visit_id: UUID
    amended_by: str
    amended_at: datetime
    reason: str
    changes: dict[str, str]


class RecordRepository:
    """The append-only visit records and their amendments."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, record_id: UUID) -> StoredRecord | None:
        """The record accepted under the app's id, if any."""
        row = (
            await self._session.execute(
                sa.select(t.visit_records).where(t.visit_records.c.record_id == record_id)
            )
        ).first()
        return _record(row) if row else None

    async def add(self, record: StoredRecord) -> None:
        """Append a record (an IntegrityError when the id was taken meanwhile: a replay racing us)."""
        await self._session.execute(
            sa.insert(t.visit_records).values(
                record_id=record.record_id,
                visit_id=record.visit_id,
                worker_id=record.worker_id,
                kind=record.kind,
                occurred_at=record.occurred_at,
                received_at=record.received_at,
                content=record.content,
                verification=record.verification,
                flagged=record.flagged,
                result=record.result,
            )
        )

    async def of_visit(self, visit_id: UUID) -> list[StoredRecord]:
        """Every record of a visit, in the order they were made on the devices."""
        rows = await self._session.execute(
            sa.select(t.visit_records)
            .where(t.visit_records.c.visit_id == visit_id)
            .order_by(t.visit_records.c.occurred_at, t.visit_records.c.received_at)
        )
        return [_record(r) for r in rows]

    async def tasks_recorded(self, visit_id: UUID) -> set[str]:
        """Tasks of the visit that have an outcome."""
        rows = await self._session.execute(
            sa.select(t.visit_records.c.content).where(
                t.visit_records.c.visit_id == visit_id, t.visit_records.c.kind == "task"
            )
        )
        return {str(content.get("task")) for (content,) in rows}

    async def amend(self, amendment: StoredAmendment) -> None:
        """Append an amendment."""
        await self._session.execute(
            sa.insert(t.amendments).values(
                amendment_id=amendment.amendment_id,
                record_id=amendment.record_id,
                visit_id=amendment.visit_id,
                amended_by=amendment.amended_by,
                amended_at=amendment.amended_at,
                reason=amendment.reason,
                changes=amendment.changes,
            )
        )

    async def amendments_of_visit(self, visit_id: UUID) -> list[StoredAmendment]:
        """Every amendment of a visit's records, oldest first."""
        rows = await self._session.execute(
            sa.select(t.amendments)
            .where(t.amendments.c.visit_id == visit_id)
            .order_by(t.amendments.c.amended_at)
        )
        return [
            StoredAmendment(
                amendment_id=r.amendment_id,
                record_id=r.record_id,
                visit_id=r.visit_id,
                amended_by=r.amended_by,
                amended_at=r.amended_at,
                reason=r.reason,
                changes=dict(r.changes),
            )
            for r in rows
        ]

    async def note_read(self, visit_id: UUID, reader: str, role: str, at: datetime, what: str) -> None:
        """Audit one read of a visit's records."""
        await self._session.execute(
            sa.insert(t.record_reads).values(
                visit_id=visit_id, reader=reader, role=role, read_at=at, what=what
            )
        )

    async def reads_of(self, visit_id: UUID) -> list[tuple[str, str, datetime, str]]:
        """The audit of reads of a visit's records: reader, role, when, what."""
        rows = await self._session.execute(
            sa.select(t.record_reads)
            .where(t.record_reads.c.visit_id == visit_id)
            .order_by(t.record_reads.c.id)
        )
        return [(r.reader, r.role, r.read_at, r.what) for r in rows]


def _record(row: Any) -> StoredRecord:
    return StoredRecord(
        record_id=row.record_id,
        visit_id=row.visit_id,
        worker_id=row.worker_id,
        kind=row.kind,
        occurred_at=row.occurred_at,
        received_at=row.received_at,
        content=dict(row.content),
        verification=dict(row.verification) if row.verification is not None else None,
        flagged=row.flagged,
        result=dict(row.result),
    )


class HomeRepository:
    """Where individuals live (from people's events) and the NFC tags registered to their homes."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def facts(self, individual_id: UUID, visit_home: Point | None, *, with_tags: bool) -> HomeFacts:
        """What verifies presence at the home; the visit's own coordinates win when rota sends them.

        The home's NFC tags are read only ``with_tags`` (an NFC check-in): one round trip less for GPS.
        """
        row = (
            await self._session.execute(sa.select(t.homes).where(t.homes.c.individual_id == individual_id))
        ).first()
        tags: Sequence[str] = ()
        if with_tags:
            tags = (
                await self._session.scalars(
                    sa.select(t.nfc_tags.c.tag_id).where(t.nfc_tags.c.individual_id == individual_id)
                )
            ).all()
        location = visit_home
        if location is None and row is not None and row.lat is not None and row.lon is not None:
            location = Point(row.lat, row.lon)
        return HomeFacts(location=location, phone=row.phone if row else None, nfc_tags=frozenset(tags))

    async def save_if_newer(
        self, individual_id: UUID, version: int, location: Point | None, phone: str | None, locality: str
    ) -> bool:
        """Keep the home at ``version`` unless a newer one is known (replays are harmless)."""
        current = await self._session.scalar(
            sa.select(t.homes.c.version).where(t.homes.c.individual_id == individual_id)
        )
        values = {
            "version": version,
            "lat": location.lat if location else None,
            "lon": location.lon if location else None,
            "phone": phone,
            "locality": locality,
        }
        if current is None:
            await self._session.execute(sa.insert(t.homes).values(individual_id=individual_id, **values))
            return True
        if current >= version:
            return False
        await self._session.execute(
            sa.update(t.homes).where(t.homes.c.individual_id == individual_id).values(**values)
        )
        return True

    async def anonymise(self, individual_id: UUID, version: int, locality: str, decimals: int) -> bool:
        """The home without its phone, coordinates to ``decimals``, at ``version`` (False: known newer).

        With no home yet a row is kept at ``version`` with nothing in it, so that an older record
        arriving later is ignored instead of bringing the details back.
        """
        row = (
            await self._session.execute(sa.select(t.homes).where(t.homes.c.individual_id == individual_id))
        ).first()
        if row is None:
            await self._session.execute(
                sa.insert(t.homes).values(
                    individual_id=individual_id,
                    version=version,
                    lat=None,
                    lon=None,
                    phone=None,
                    locality=locality,
                )
            )
            return True
        if row.version >= version:
            return False
        await self._session.execute(
            sa.update(t.homes)
            .where(t.homes.c.individual_id == individual_id)
            .values(
                version=version,
                lat=None if row.lat is None else round(row.lat, decimals),
                lon=None if row.lon is None else round(row.lon, decimals),
                phone=None,
                locality=locality,
            )
        )
        return True

    async def register_tag(self, tag_id: str, individual_id: UUID, at: datetime, by: str) -> UUID | None:
        """Register a tag to a home; returns the other home it already belongs to, if any."""
        owner: UUID | None = await self._session.scalar(
            sa.select(t.nfc_tags.c.individual_id).where(t.nfc_tags.c.tag_id == tag_id)
        )
        if owner is not None:
            return owner if owner != individual_id else None
        await self._session.execute(
            sa.insert(t.nfc_tags).values(
                tag_id=tag_id, individual_id=individual_id, registered_at=at, registered_by=by
            )
        )
        return None

    async def tags_of(self, individual_id: UUID) -> list[str]:
        """The tags registered to a home."""
        return list(
            await self._session.scalars(
                sa.select(t.nfc_tags.c.tag_id)
                .where(t.nfc_tags.c.individual_id == individual_id)
                .order_by(t.nfc_tags.c.tag_id)
            )
        )


def _thresholds(row: Any) -> Thresholds:
    return Thresholds(
        late_after=timedelta(minutes=row.late_after_minutes),
        missed_after=timedelta(minutes=row.missed_after_minutes),
        short_share=row.short_share,
        overrun_after=timedelta(minutes=row.overrun_after_minutes),
        overdue_grace=timedelta(minutes=row.overdue_grace_minutes),
    )


class ThresholdRepository:
    """The provider's thresholds and the visit types that differ."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def book(self, defaults: Thresholds) -> ThresholdBook:
        """The stored thresholds over ``defaults`` (the settings') where nothing is stored."""
        rows = (await self._session.execute(sa.select(t.thresholds))).all()
        by_type = {row.visit_type: _thresholds(row) for row in rows}
        provider = by_type.pop(PROVIDER_WIDE, defaults)
        return ThresholdBook(provider=provider, by_visit_type=by_type)

    async def put(self, visit_type: str, thresholds: Thresholds, at: datetime, by: str) -> None:
        """Set the thresholds of a visit type (or ``*``, the provider's)."""
        values = {
            "late_after_minutes": thresholds.late_after.total_seconds() / 60,
            "missed_after_minutes": thresholds.missed_after.total_seconds() / 60,
            "short_share": thresholds.short_share,
            "overrun_after_minutes": thresholds.overrun_after.total_seconds() / 60,
            "overdue_grace_minutes": thresholds.overdue_grace.total_seconds() / 60,
            "updated_at": at,
            "updated_by": by,
        }
        statement = (
            _insert(self._session, t.thresholds)
            .values(visit_type=visit_type, **values)
            .on_conflict_do_update(index_elements=["visit_type"], set_=values)
        )
        await self._session.execute(statement)

    async def visits_of_type_to_recheck(self, visit_type: str, since: datetime) -> Sequence[UUID]:
        """Visits of the type still ahead or under way (their deadlines move with the thresholds)."""
        query = sa.select(t.expected_visits.c.visit_id).where(
            t.expected_visits.c.cancelled.is_(False), t.expected_visits.c.planned_end >= since
        )
        if visit_type != PROVIDER_WIDE:
            query = query.where(t.expected_visits.c.service_type == visit_type)
        return list(await self._session.scalars(query))


@dataclass(frozen=True)
class Announced:
    """One visits event as it left (or is about to leave) through the outbox."""

    position: int
    type: str
    data: dict[str, Any]


class LiveRepository:
    """The service's own announcements, read back from its outbox for the live stream.

    Every replica writes to the same outbox, so a dashboard connected to any replica sees every
    status change; the outbox position is the stream's event id (``Last-Event-ID`` resumes).
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def latest_position(self) -> int:
        """The newest position (a new stream starts after it)."""
        found = await self._session.scalar(sa.select(sa.func.max(outbox.c.position)))
        return int(found or 0)

    async def after(self, position: int, limit: int = 500) -> list[Announced]:
        """Announcements after ``position``, oldest first."""
        rows = await self._session.execute(
            sa.select(outbox.c.position, outbox.c.type, outbox.c.data)
            .where(outbox.c.position > position, outbox.c.topic == TELEMETRY_TOPIC)
            .order_by(outbox.c.position)
            .limit(limit)
        )
        return [Announced(int(r.position), r.type, json.loads(r.data)) for r in rows]
