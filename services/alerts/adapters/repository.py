"""Repositories of the alerts service: SQL in, domain objects and plain records out.

Work that two replicas might both try (escalating an alert, sending a notification) is claimed with
a conditional UPDATE whose WHERE clause holds what the replica saw; only one UPDATE matches, on
SQLite and on Postgres alike, so no step is taken twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.adapters.tables import (
    alert_conditions,
    alert_timeline,
    alerts,
    feed_cursors,
    incident_actions,
    incident_reads,
    incidents,
    known_individuals,
    known_key_people,
    known_visits,
    known_workers,
    notifications,
    on_call_shifts,
)
from services.alerts.domain.escalation import OnCallShift
from services.alerts.domain.grouping import AlertState, AlertStatus
from services.alerts.domain.incidents import Incident, SupportKind
from services.alerts.domain.signals import Category, Severity, SignalKind


@dataclass(frozen=True)
class AlertRecord:
    """An alert as stored."""

    id: UUID
    group_key: str
    category: str
    severity: str
    status: str
    locality: str
    title: str
    worker_id: UUID | None
    individual_id: UUID | None
    owner_id: str | None
    assignee_id: str | None
    level: int
    fixed_chain: list[str] | None
    ack_deadline: datetime | None
    occurrences: int
    revision: int
    raised_at: datetime
    source_time: datetime
    source_event_type: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    outcome: str | None
    updated_at: datetime


@dataclass(frozen=True)
class TimelineEntry:
    """One recorded step in an alert's life."""

    id: int
    alert_id: UUID
    at: datetime
    action: str
    actor: str | None
    detail: dict[str, Any]


class AlertRepository:
    """Alerts, their conditions and their timeline."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open_candidates(self, subject: str, run_key: str | None) -> list[AlertState]:
        """Unresolved alerts that hold ``subject`` or share ``run_key``, with their conditions."""
        holding = sa.select(alert_conditions.c.alert_id).where(alert_conditions.c.subject == subject)
        match: sa.ColumnElement[bool] = alerts.c.id.in_(holding)
        if run_key is not None:
            match = sa.or_(match, alerts.c.group_key == run_key)
        rows = (
            await self._session.execute(
                sa.select(alerts).where(match, alerts.c.status != AlertStatus.RESOLVED.value)
            )
        ).all()
        return [await self._state(row._mapping) for row in rows]

    async def state(self, alert_id: UUID) -> AlertState | None:
        """The grouping state of one alert."""
        row = (await self._session.execute(sa.select(alerts).where(alerts.c.id == alert_id))).first()
        return None if row is None else await self._state(row._mapping)

    async def _state(self, row: Any) -> AlertState:
        conditions: dict[str, set[SignalKind]] = {}
        found = await self._session.execute(
            sa.select(alert_conditions.c.subject, alert_conditions.c.kind, alert_conditions.c.active).where(
                alert_conditions.c.alert_id == row["id"]
            )
        )
        for subject, kind, active in found.all():
            kinds = conditions.setdefault(subject, set())
            if active:
                kinds.add(SignalKind(kind))
        return AlertState(
            id=row["id"],
            group_key=row["group_key"],
            category=Category(row["category"]),
            severity=Severity(row["severity"]),
            status=AlertStatus(row["status"]),
            locality=row["locality"],
            worker_id=row["worker_id"],
            individual_id=row["individual_id"],
            occurrences=row["occurrences"],
            conditions=conditions,
        )

    async def add(self, values: dict[str, Any]) -> None:
        """Store a new alert."""
        await self._session.execute(sa.insert(alerts).values(**values))

    async def save_state(
        self, state: AlertState, title: str, now: datetime, visits: dict[str, UUID | None]
    ) -> int:
        """Write back what grouping changed; returns the alert's new revision."""
        await self._session.execute(
            sa.update(alerts)
            .where(alerts.c.id == state.id)
            .values(
                severity=state.severity.value,
                status=state.status.value,
                occurrences=state.occurrences,
                individual_id=state.individual_id,
                title=title[:300],
                revision=alerts.c.revision + 1,
                updated_at=now,
            )
        )
        existing = {
            (subject, kind): active
            for subject, kind, active in (
                await self._session.execute(
                    sa.select(
                        alert_conditions.c.subject, alert_conditions.c.kind, alert_conditions.c.active
                    ).where(alert_conditions.c.alert_id == state.id)
                )
            ).all()
        }
        # Only what changed is written: a run of eight visits must not cost eight times the statements.
        for subject, kinds in state.conditions.items():
            for kind in SignalKind:
                active = kind in kinds
                known = existing.get((subject, kind.value))
                if known is None and active:
                    await self._session.execute(
                        sa.insert(alert_conditions).values(
                            alert_id=state.id,
                            subject=subject,
                            kind=kind.value,
                            active=True,
                            visit_id=visits.get(subject),
                        )
                    )
                elif known is not None and known != active:
                    await self._session.execute(
                        sa.update(alert_conditions)
                        .where(
                            alert_conditions.c.alert_id == state.id,
                            alert_conditions.c.subject == subject,
                            alert_conditions.c.kind == kind.value,
                        )
                        .values(active=active)
                    )
        return await self.revision(state.id)

    async def revision(self, alert_id: UUID) -> int:
        """The alert's current revision."""
        value = await self._session.scalar(sa.select(alerts.c.revision).where(alerts.c.id == alert_id))
        return int(value or 0)

    async def get(self, alert_id: UUID) -> AlertRecord | None:
        """One alert, or None."""
        row = (await self._session.execute(sa.select(alerts).where(alerts.c.id == alert_id))).first()
        return None if row is None else AlertRecord(**row._mapping)

    async def visit_ids(self, alert_id: UUID) -> list[UUID]:
        """The visits an alert groups, in the order they joined."""
        found = await self._session.execute(
            sa.select(alert_conditions.c.visit_id)
            .where(alert_conditions.c.alert_id == alert_id, alert_conditions.c.visit_id.is_not(None))
            .distinct()
        )
        return sorted({v for (v,) in found.all() if v is not None}, key=str)

    async def page(
        self,
        localities: Sequence[str] | None,
        status: str | None,
        severity: str | None,
        after: tuple[datetime, UUID] | None,
        limit: int,
    ) -> list[AlertRecord]:
        """Alerts newest first, from the cursor ``after`` (raised_at, id) on."""
        query = sa.select(alerts)
        if localities is not None:
            query = query.where(alerts.c.locality.in_(list(localities)))
        if status is not None:
            query = query.where(alerts.c.status == status)
        if severity is not None:
            query = query.where(alerts.c.severity == severity)
        if after is not None:
            at, alert_id = after
            query = query.where(
                sa.or_(alerts.c.raised_at < at, sa.and_(alerts.c.raised_at == at, alerts.c.id < alert_id))
            )
        query = query.order_by(alerts.c.raised_at.desc(), alerts.c.id.desc()).limit(limit)
        return [AlertRecord(**row._mapping) for row in (await self._session.execute(query)).all()]

    async def change(self, alert_id: UUID, now: datetime, **values: Any) -> int:
        """Set fields of an alert and bump its revision; returns the new revision."""
        await self._session.execute(
            sa.update(alerts)
            .where(alerts.c.id == alert_id)
            .values(**values, revision=alerts.c.revision + 1, updated_at=now)
        )
        return await self.revision(alert_id)

    async def due_for_escalation(self, now: datetime, limit: int) -> list[UUID]:
        """Open (unacknowledged) alerts whose deadline has passed, oldest deadline first."""
        found = await self._session.execute(
            sa.select(alerts.c.id)
            .where(alerts.c.status == AlertStatus.OPEN.value, alerts.c.ack_deadline <= now)
            .order_by(alerts.c.ack_deadline)
            .limit(limit)
        )
        return [alert_id for (alert_id,) in found.all()]

    async def claim_escalation(
        self, seen: AlertRecord, level: int, owner_id: str | None, deadline: datetime | None, now: datetime
    ) -> bool:
        """Move ``seen`` one step if nobody else did since it was read (the two-replica guard)."""
        result = await self._session.execute(
            sa.update(alerts)
            .where(
                alerts.c.id == seen.id,
                alerts.c.status == AlertStatus.OPEN.value,
                alerts.c.level == seen.level,
                alerts.c.revision == seen.revision,
            )
            .values(
                level=level,
                owner_id=owner_id,
                ack_deadline=deadline,
                revision=alerts.c.revision + 1,
                updated_at=now,
            )
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def record(
        self, alert_id: UUID, at: datetime, action: str, actor: str | None = None, **detail: Any
    ) -> None:
        """Add a step to the alert's timeline."""
        await self._session.execute(
            sa.insert(alert_timeline).values(
                alert_id=alert_id, at=at, action=action, actor=actor, detail=_jsonable(detail)
            )
        )

    async def timeline(self, alert_id: UUID) -> list[TimelineEntry]:
        """Every step of one alert, in order."""
        found = await self._session.execute(
            sa.select(alert_timeline)
            .where(alert_timeline.c.alert_id == alert_id)
            .order_by(alert_timeline.c.id)
        )
        return [TimelineEntry(**row._mapping) for row in found.all()]

    async def changes_after(
        self, cursor: int, localities: Sequence[str] | None, limit: int
    ) -> list[tuple[TimelineEntry, str, str]]:
        """Timeline steps after ``cursor`` (the live feed), with each alert's locality and severity."""
        query = (
            sa.select(alert_timeline, alerts.c.locality, alerts.c.severity)
            .join(alerts, alerts.c.id == alert_timeline.c.alert_id)
            .where(alert_timeline.c.id > cursor)
        )
        if localities is not None:
            query = query.where(alerts.c.locality.in_(list(localities)))
        rows = (await self._session.execute(query.order_by(alert_timeline.c.id).limit(limit))).all()
        out = []
        for row in rows:
            m = dict(row._mapping)
            locality, severity = m.pop("locality"), m.pop("severity")
            out.append((TimelineEntry(**m), locality, severity))
        return out


class FeedCursors:
    """How far each outgoing feed has got; one replica at a time holds a feed by a lease."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, name: str, now: datetime, until: datetime) -> int | None:
        """The feed's cursor if this replica now holds it (None: another replica does)."""
        where = feed_cursors.c.name == name
        exists = await self._session.scalar(sa.select(feed_cursors.c.name).where(where))
        if exists is None:
            try:
                async with self._session.begin_nested():
                    await self._session.execute(
                        sa.insert(feed_cursors).values(name=name, cursor=0, lease_until=None, failures=0)
                    )
            except IntegrityError:
                pass  # another replica created it at the same moment
        result = await self._session.execute(
            sa.update(feed_cursors)
            .where(
                feed_cursors.c.name == name,
                sa.or_(feed_cursors.c.lease_until.is_(None), feed_cursors.c.lease_until < now),
            )
            .values(lease_until=until)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        value = await self._session.scalar(
            sa.select(feed_cursors.c.cursor).where(feed_cursors.c.name == name)
        )
        return int(value or 0)

    async def release(self, name: str, cursor: int, error: str | None) -> None:
        """Move the cursor on (or not, after a failure) and let the lease go."""
        values: dict[str, Any] = {"cursor": cursor, "lease_until": None, "last_error": error}
        values["failures"] = feed_cursors.c.failures + 1 if error else 0
        await self._session.execute(
            sa.update(feed_cursors).where(feed_cursors.c.name == name).values(**values)
        )


@dataclass(frozen=True)
class NotificationRecord:
    """A notification as stored."""

    id: UUID
    dedupe_key: str
    alert_id: UUID | None
    recipient_kind: str
    recipient_id: str
    channel: str
    address: str | None
    message_kind: str
    language: str
    subject: str
    body: str
    status: str
    reason: str | None
    attempts: int
    next_attempt_at: datetime | None
    lease_until: datetime | None
    last_error: str | None
    provider_id: str | None
    source_time: datetime
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    updated_at: datetime


class NotificationRepository:
    """Notifications and their delivery state."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.queued = 0  # added in this unit of work: its commit wakes the runner

    async def exists(self, dedupe_key: str) -> bool:
        """Whether a notification with this cause, recipient and kind was already made."""
        found = await self._session.scalar(
            sa.select(notifications.c.id).where(notifications.c.dedupe_key == dedupe_key)
        )
        return found is not None

    async def keys_starting(self, prefix: str) -> list[str]:
        """The dedupe keys that start with ``prefix`` (matched literally: no wildcards)."""
        found = await self._session.scalars(
            sa.select(notifications.c.dedupe_key).where(
                notifications.c.dedupe_key.startswith(prefix, autoescape=True)
            )
        )
        return list(found)

    async def add(self, values: dict[str, Any]) -> None:
        """Store a new notification."""
        await self._session.execute(sa.insert(notifications).values(**values))
        self.queued += 1

    async def get(self, notification_id: UUID) -> NotificationRecord | None:
        """One notification, or None."""
        row = (
            await self._session.execute(sa.select(notifications).where(notifications.c.id == notification_id))
        ).first()
        return None if row is None else NotificationRecord(**row._mapping)

    async def by_provider_id(self, provider_id: str) -> NotificationRecord | None:
        """The notification a provider's receipt names."""
        row = (
            await self._session.execute(
                sa.select(notifications).where(notifications.c.provider_id == provider_id)
            )
        ).first()
        return None if row is None else NotificationRecord(**row._mapping)

    async def due(self, now: datetime, limit: int) -> list[UUID]:
        """Queued notifications whose time has come and that no replica holds."""
        found = await self._session.execute(
            sa.select(notifications.c.id)
            .where(
                notifications.c.status == "queued",
                notifications.c.next_attempt_at <= now,
                sa.or_(notifications.c.lease_until.is_(None), notifications.c.lease_until < now),
            )
            .order_by(notifications.c.next_attempt_at)
            .limit(limit)
        )
        return [n for (n,) in found.all()]

    async def claim(self, notification_id: UUID, now: datetime, lease_until: datetime) -> bool:
        """Take a queued notification for one attempt, unless another replica holds it."""
        result = await self._session.execute(
            sa.update(notifications)
            .where(
                notifications.c.id == notification_id,
                notifications.c.status == "queued",
                notifications.c.next_attempt_at <= now,
                sa.or_(notifications.c.lease_until.is_(None), notifications.c.lease_until < now),
            )
            .values(lease_until=lease_until, attempts=notifications.c.attempts + 1, updated_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def withdraw(self, alert_id: UUID, key_prefix: str, reason: str, now: datetime) -> int:
        """Withhold an alert's messages that are still waiting (never attempted) and whose key starts so."""
        result = await self._session.execute(
            sa.update(notifications)
            .where(
                notifications.c.alert_id == alert_id,
                notifications.c.dedupe_key.startswith(key_prefix, autoescape=True),
                notifications.c.status == "queued",
                notifications.c.attempts == 0,
            )
            .values(status="withheld", reason=reason[:300], next_attempt_at=None, updated_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def change(self, notification_id: UUID, **values: Any) -> None:
        """Set fields of one notification."""
        await self._session.execute(
            sa.update(notifications).where(notifications.c.id == notification_id).values(**values)
        )

    async def page(
        self,
        status: str | None,
        recipient: tuple[str, str] | None,
        alert_id: UUID | None,
        after: tuple[datetime, UUID] | None,
        limit: int,
    ) -> list[NotificationRecord]:
        """Notifications newest first, from the cursor on."""
        query = sa.select(notifications)
        if status is not None:
            query = query.where(notifications.c.status == status)
        if recipient is not None:
            query = query.where(
                notifications.c.recipient_kind == recipient[0], notifications.c.recipient_id == recipient[1]
            )
        if alert_id is not None:
            query = query.where(notifications.c.alert_id == alert_id)
        if after is not None:
            at, nid = after
            query = query.where(
                sa.or_(
                    notifications.c.created_at < at,
                    sa.and_(notifications.c.created_at == at, notifications.c.id < nid),
                )
            )
        query = query.order_by(notifications.c.created_at.desc(), notifications.c.id.desc()).limit(limit)
        return [NotificationRecord(**row._mapping) for row in (await self._session.execute(query)).all()]


@dataclass(frozen=True)
class KnownVisit:
    """A visit as the rota last announced it."""

    visit_id: UUID
    individual_id: UUID
    locality: str
    local_date: date
    time_zone: str
    planned_start: datetime
    workers: list[str]
    cancelled: bool


class ReadModels:
    """What alerts keeps of other services' events: newest version wins, older ones are ignored."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _upsert(
        self, table: sa.Table, key: str, values: dict[str, Any], versioned: bool = True
    ) -> bool:
        current = await self._session.scalar(
            sa.select(table.c.version if versioned else table.c[key]).where(table.c[key] == values[key])
        )
        if current is None:
            await self._session.execute(sa.insert(table).values(**values))
            return True
        if versioned and current > values["version"]:
            return False  # an older version arriving late changes nothing
        await self._session.execute(sa.update(table).where(table.c[key] == values[key]).values(**values))
        return True

    async def put_worker(self, values: dict[str, Any]) -> bool:
        """Keep a worker's name, locality, language and manager."""
        return await self._upsert(known_workers, "worker_id", values)

    async def put_individual(self, values: dict[str, Any]) -> bool:
        """Keep an individual's name, locality, status, phone and language."""
        return await self._upsert(known_individuals, "individual_id", values)

    async def put_key_person(self, values: dict[str, Any]) -> bool:
        """Keep a key person's contact, consent and preferences."""
        return await self._upsert(known_key_people, "key_person_id", values)

    async def anonymise_individual(
        self,
        individual_id: UUID,
        version: int,
        locality: str,
        key_person_ids: Sequence[UUID],
        placeholder: str,
    ) -> bool:
        """Names and contacts of the individual and their key people replaced (False: done already).

        The individual's row takes ``version`` (kept as a row with nothing in it when alerts never
        heard of them), so an older record is ignored; each key person is made inactive, with no
        consent, channel or quiet hours, at one version more than alerts knew, as people does.
        """
        current = await self._session.scalar(
            sa.select(known_individuals.c.version).where(known_individuals.c.individual_id == individual_id)
        )
        if current is not None and current >= version:
            return False  # a redelivery, or people's retry under a new id
        removed = {"version": version, "name": placeholder, "locality": locality, "phone": None}
        if current is None:
            await self._session.execute(
                sa.insert(known_individuals).values(
                    individual_id=individual_id,
                    status="ended",
                    language="en",
                    time_zone="Europe/London",
                    **removed,
                )
            )
        else:
            await self._session.execute(
                sa.update(known_individuals)
                .where(known_individuals.c.individual_id == individual_id)
                .values(removed)
            )
        theirs = sa.or_(
            known_key_people.c.individual_id == individual_id,
            known_key_people.c.key_person_id.in_(key_person_ids),
        )
        await self._session.execute(
            sa.update(known_key_people)
            .where(theirs)
            .values(
                version=known_key_people.c.version + 1,
                name=placeholder,
                phone=None,
                email=None,
                consent=False,
                informed_of=[],
                preferred_channel=None,
                quiet_hours_start=None,
                quiet_hours_end=None,
                active=False,
            )
        )
        # The message history to them: where it went (phone, e-mail) and the text, which greets them
        # by name and names the individual. Status, times and the alert it belonged to stay.
        recipients = [str(individual_id), *(str(k) for k in key_person_ids)]
        await self._session.execute(
            sa.update(notifications)
            .where(notifications.c.recipient_id.in_(recipients))
            .values(address=None, body=placeholder)
        )
        return True

    async def is_anonymised(self, individual_id: UUID, placeholder: str) -> bool:
        """Whether the individual was anonymised (people never names them again after that)."""
        name = await self._session.scalar(
            sa.select(known_individuals.c.name).where(known_individuals.c.individual_id == individual_id)
        )
        return name == placeholder

    async def put_visit(self, values: dict[str, Any]) -> bool:
        """Keep a visit's individual, time and workers (no version: the rota's last word wins)."""
        return await self._upsert(known_visits, "visit_id", values, versioned=False)

    async def put_shift(self, values: dict[str, Any]) -> bool:
        """Keep one on-call shift."""
        return await self._upsert(on_call_shifts, "shift_id", values)

    async def worker(self, worker_id: UUID) -> dict[str, Any] | None:
        """A known worker's row."""
        row = (
            await self._session.execute(
                sa.select(known_workers).where(known_workers.c.worker_id == worker_id)
            )
        ).first()
        return None if row is None else dict(row._mapping)

    async def individual(self, individual_id: UUID) -> dict[str, Any] | None:
        """A known individual's row."""
        row = (
            await self._session.execute(
                sa.select(known_individuals).where(known_individuals.c.individual_id == individual_id)
            )
        ).first()
        return None if row is None else dict(row._mapping)

    async def key_people_of(self, individual_id: UUID) -> list[dict[str, Any]]:
        """Every key person recorded for an individual (consent is checked by the domain)."""
        found = await self._session.execute(
            sa.select(known_key_people)
            .where(known_key_people.c.individual_id == individual_id)
            .order_by(known_key_people.c.key_person_id)
        )
        return [dict(row._mapping) for row in found.all()]

    async def visit(self, visit_id: UUID) -> KnownVisit | None:
        """A visit the rota announced."""
        row = (
            await self._session.execute(sa.select(known_visits).where(known_visits.c.visit_id == visit_id))
        ).first()
        return None if row is None else KnownVisit(**row._mapping)

    async def shifts_covering(self, locality: str, at: datetime) -> list[OnCallShift]:
        """Active shifts of ``locality`` or provider-wide cover that include ``at``."""
        found = await self._session.execute(
            sa.select(on_call_shifts).where(
                on_call_shifts.c.locality.in_([locality, "*"]),
                on_call_shifts.c.active.is_(True),
                on_call_shifts.c.starts_at <= at,
                on_call_shifts.c.ends_at > at,
            )
        )
        return [
            OnCallShift(r.person_id, r.locality, r.level, r.starts_at, r.ends_at, r.name) for r in found.all()
        ]

    async def on_call_person(self, person_id: str) -> dict[str, Any] | None:
        """The contact of someone on the roster (their latest shift's)."""
        row = (
            await self._session.execute(
                sa.select(on_call_shifts)
                .where(on_call_shifts.c.person_id == person_id)
                .order_by(on_call_shifts.c.starts_at.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else dict(row._mapping)


@dataclass(frozen=True)
class IncidentRecord:
    """An incident as stored."""

    id: UUID
    source_record_id: UUID | None
    alert_id: UUID | None
    kind: str
    severity: str
    locality: str
    worker_id: UUID | None
    individual_id: UUID | None
    visit_id: UUID | None
    description: str
    injured: bool
    emergency_services_called: bool
    occurred_at: datetime
    reported_at: datetime
    reported_by: str | None
    first_response_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    outcome: str | None
    improvements: list[str]


@dataclass(frozen=True)
class IncidentAction:
    """A response action or the support offered to the worker."""

    id: int
    incident_id: UUID
    at: datetime
    by: str
    kind: str
    support: str | None
    text: str


class IncidentRepository:
    """Incidents and what was done about them."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, values: dict[str, Any]) -> None:
        """Store a new incident."""
        await self._session.execute(sa.insert(incidents).values(**values))

    async def by_source(self, record_id: UUID) -> IncidentRecord | None:
        """The incident recorded from a visit app's record, if any."""
        row = (
            await self._session.execute(sa.select(incidents).where(incidents.c.source_record_id == record_id))
        ).first()
        return None if row is None else IncidentRecord(**row._mapping)

    async def get(self, incident_id: UUID) -> IncidentRecord | None:
        """One incident, or None."""
        row = (await self._session.execute(sa.select(incidents).where(incidents.c.id == incident_id))).first()
        return None if row is None else IncidentRecord(**row._mapping)

    async def change(self, incident_id: UUID, **values: Any) -> None:
        """Set fields of one incident."""
        await self._session.execute(
            sa.update(incidents).where(incidents.c.id == incident_id).values(**values)
        )

    async def responded(self, alert_id: UUID, at: datetime) -> None:
        """The first response to the incident behind ``alert_id`` is now, unless one came before."""
        await self._session.execute(
            sa.update(incidents)
            .where(incidents.c.alert_id == alert_id, incidents.c.first_response_at.is_(None))
            .values(first_response_at=at)
        )

    async def read_by(self, incident_ids: Sequence[UUID], reader_id: str, role: str, at: datetime) -> None:
        """Audit that ``reader_id`` read these incident records."""
        if incident_ids:
            await self._session.execute(
                sa.insert(incident_reads),
                [{"incident_id": i, "reader_id": reader_id, "role": role, "at": at} for i in incident_ids],
            )

    async def reads_of(self, incident_id: UUID) -> list[tuple[str, str, datetime]]:
        """Who read one incident record and when, oldest first."""
        found = await self._session.execute(
            sa.select(incident_reads.c.reader_id, incident_reads.c.role, incident_reads.c.at)
            .where(incident_reads.c.incident_id == incident_id)
            .order_by(incident_reads.c.id)
        )
        return [(r, role, at) for r, role, at in found.all()]

    async def add_action(self, values: dict[str, Any]) -> None:
        """Record a response action or support offered."""
        await self._session.execute(sa.insert(incident_actions).values(**values))

    async def actions(self, incident_id: UUID) -> list[IncidentAction]:
        """What was done, in order."""
        found = await self._session.execute(
            sa.select(incident_actions)
            .where(incident_actions.c.incident_id == incident_id)
            .order_by(incident_actions.c.id)
        )
        return [IncidentAction(**row._mapping) for row in found.all()]

    async def page(
        self, localities: Sequence[str] | None, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[IncidentRecord]:
        """Incidents newest first from the cursor on."""
        query = sa.select(incidents)
        if localities is not None:
            query = query.where(incidents.c.locality.in_(list(localities)))
        if after is not None:
            at, iid = after
            query = query.where(
                sa.or_(
                    incidents.c.reported_at < at, sa.and_(incidents.c.reported_at == at, incidents.c.id < iid)
                )
            )
        query = query.order_by(incidents.c.reported_at.desc(), incidents.c.id.desc()).limit(limit)
        return [IncidentRecord(**row._mapping) for row in (await self._session.execute(query)).all()]

    async def for_review(
        self, start: datetime, end: datetime, localities: Sequence[str] | None
    ) -> list[Incident]:
        """Incidents reported in [start, end) with the support offered, as the review reads them."""
        query = sa.select(incidents).where(incidents.c.reported_at >= start, incidents.c.reported_at < end)
        if localities is not None:
            query = query.where(incidents.c.locality.in_(list(localities)))
        rows = [IncidentRecord(**row._mapping) for row in (await self._session.execute(query)).all()]
        support: dict[UUID, list[SupportKind]] = {}
        if rows:
            found = await self._session.execute(
                sa.select(incident_actions.c.incident_id, incident_actions.c.support).where(
                    incident_actions.c.incident_id.in_([r.id for r in rows]),
                    incident_actions.c.kind == "support",
                )
            )
            for incident_id, kind in found.all():
                support.setdefault(incident_id, []).append(SupportKind(kind))
        return [incident_of(r, support.get(r.id, [])) for r in rows]


def incident_of(record: IncidentRecord, support: list[SupportKind]) -> Incident:
    """The domain's view of a stored incident."""
    return Incident(
        id=record.id,
        kind=record.kind,
        severity=record.severity,
        locality=record.locality,
        reported_at=record.reported_at,
        worker_id=record.worker_id,
        first_response_at=record.first_response_at,
        support=support,
        closed_at=record.closed_at,
        outcome=record.outcome,
        improvements=list(record.improvements or []),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
