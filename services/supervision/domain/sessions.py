"""Supervision sessions: planned ahead, one-to-one or group, moved by the line manager (004 1.8, 1.16-1.21).

004 1.18: "programme supervision meetings in advance by setting the next two, six or twelve
meetings". A series keeps its local wall-clock time in the provider's zone, so a 10:00 supervision
stays at 10:00 across the clock changes; instants are stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from services.supervision.domain.compliance import MAX_SESSION_MINUTES, Frequency, Interval, SessionFormat
from services.supervision.domain.errors import NotAllowed, RuleBroken

SERIES_SIZES = (1, 2, 6, 12)  # 004 1.18: the next two, six or twelve meetings (or one at a time)
UTC = ZoneInfo("UTC")


class SessionStatus(StrEnum):
    """Where a session stands."""

    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Reschedule:
    """One move of a session: who moved it, from when to when, and why (004 1.16)."""

    moved_by: UUID
    moved_at: datetime
    from_starts_at: datetime
    to_starts_at: datetime
    reason: str


@dataclass(frozen=True)
class SupervisionSession:
    """A planned or held supervision meeting."""

    id: UUID
    supervisor_id: UUID
    supervisee_ids: tuple[UUID, ...]
    format: SessionFormat
    starts_at: datetime  # UTC
    duration_minutes: int
    venue: str
    reflective: bool = False
    series_id: UUID | None = None
    status: SessionStatus = SessionStatus.PLANNED
    reschedules: tuple[Reschedule, ...] = ()

    @property
    def parties(self) -> tuple[UUID, ...]:
        """The supervisor and everyone supervised in the session."""
        return (self.supervisor_id, *self.supervisee_ids)

    def rescheduled(
        self, *, by: UUID, to: datetime, reason: str, at: datetime, allowed: frozenset[UUID]
    ) -> SupervisionSession:
        """The session moved to ``to`` by ``by``, who must be among ``allowed`` (the line managers)."""
        if by not in allowed:
            raise NotAllowed(
                "the responsibility for rescheduling the meeting is the line manager's (004 1.16)"
            )
        if self.status is not SessionStatus.PLANNED:
            raise RuleBroken("starts_at", f"a {self.status} session cannot be rescheduled")
        if not reason.strip():
            raise RuleBroken("reason", "say why the date changes: changes should be avoided (004 1.16)")
        if to.tzinfo is None:
            raise RuleBroken("starts_at", "give the time with its offset")
        if to == self.starts_at:
            raise RuleBroken("starts_at", "the new time is the time already planned")
        if to <= at:
            raise RuleBroken("starts_at", "an alternative date must be in the future (004 1.16)")
        move = Reschedule(by, at, self.starts_at, to.astimezone(UTC), reason.strip())
        return replace(self, starts_at=to.astimezone(UTC), reschedules=(*self.reschedules, move))

    def cancelled(
        self, *, by: UUID, reason: str, at: datetime, allowed: frozenset[UUID]
    ) -> SupervisionSession:
        """The session called off; the line manager sets an alternative date (004 1.16)."""
        if by not in allowed:
            raise NotAllowed(
                "the responsibility for rescheduling the meeting is the line manager's (004 1.16)"
            )
        if self.status is not SessionStatus.PLANNED:
            raise RuleBroken("status", f"a {self.status} session cannot be cancelled")
        if not reason.strip():
            raise RuleBroken("reason", "say why the meeting is called off (004 1.16)")
        move = Reschedule(by, at, self.starts_at, self.starts_at, "cancelled: " + reason.strip())
        return replace(self, status=SessionStatus.CANCELLED, reschedules=(*self.reschedules, move))

    def held(self) -> SupervisionSession:
        """The session took place (its record has been written)."""
        return replace(self, status=SessionStatus.HELD)


def check_participants(supervisor_id: UUID, supervisee_ids: tuple[UUID, ...], format: SessionFormat) -> None:
    """One supervisee for one-to-one, two or more for a group, never the supervisor themselves."""
    if supervisor_id in supervisee_ids:
        raise RuleBroken(
            "supervisee_ids", "the supervisor cannot also be supervised in the session (004 1.9)"
        )
    if len(set(supervisee_ids)) != len(supervisee_ids):
        raise RuleBroken("supervisee_ids", "each member of staff is named once")
    if format is SessionFormat.ONE_TO_ONE and len(supervisee_ids) != 1:
        raise RuleBroken(
            "supervisee_ids", "a one-to-one session supervises exactly one member of staff (004 1.8)"
        )
    if format is SessionFormat.GROUP and len(supervisee_ids) < 2:
        raise RuleBroken(
            "supervisee_ids", "group supervision supervises two or more members of staff (004 1.21)"
        )


def plan_series(
    *,
    supervisor_id: UUID,
    supervisee_ids: tuple[UUID, ...],
    format: SessionFormat,
    first_starts_at: datetime,
    count: int,
    frequency: Frequency,
    duration_minutes: int,
    venue: str,
    reflective: bool,
    zone: ZoneInfo,
    now: datetime,
) -> list[SupervisionSession]:
    """The next ``count`` meetings from ``first_starts_at``, ``frequency`` apart in local time."""
    check_participants(supervisor_id, supervisee_ids, format)
    if count not in SERIES_SIZES:
        raise RuleBroken("count", "programme the next two, six or twelve meetings, or one (004 1.18)")
    if not 15 <= duration_minutes <= MAX_SESSION_MINUTES:
        raise RuleBroken(
            "duration_minutes",
            f"meetings should not normally be more than 1½ hours (004 1.18): "
            f"plan 15 to {MAX_SESSION_MINUTES}",
        )
    if not venue.strip():
        raise RuleBroken("venue", "the supervisor arranges a venue free from interruptions (004 1.15)")
    if first_starts_at.tzinfo is None:
        raise RuleBroken("first_starts_at", "give the time with its offset")
    if first_starts_at <= now:
        raise RuleBroken("first_starts_at", "sessions are planned ahead (004 1.18)")
    local = first_starts_at.astimezone(zone)
    series_id = uuid4() if count > 1 else None
    sessions = []
    first_day = local.date()
    step = frequency.interval
    for n in range(count):
        # Counted from the first day each time, so a series from 31 January stays on month ends.
        day = Interval(step.months * n, step.days * n).after(first_day)
        wall = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
        sessions.append(
            SupervisionSession(
                id=uuid4(),
                supervisor_id=supervisor_id,
                supervisee_ids=supervisee_ids,
                format=format,
                starts_at=wall.astimezone(UTC),
                duration_minutes=duration_minutes,
                venue=venue.strip(),
                reflective=reflective,
                series_id=series_id,
            )
        )
    return sessions


def ends_at(session: SupervisionSession) -> datetime:
    """When the planned session ends."""
    return session.starts_at + timedelta(minutes=session.duration_minutes)
