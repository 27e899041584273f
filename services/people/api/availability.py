"""A worker's working pattern and absences over HTTP (000 P43; 7-day services).

Absence times may carry a UTC offset or be the provider's wall-clock time; a whole-day absence can
be given as ``first_day`` and ``last_day`` instead, and lasts from local midnight to local midnight
(a day the clocks change is 23 or 25 hours long).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.people.api.common import (
    IfMatch,
    Text,
    UoW,
    WallClock,
    decode_cursor,
    encode_cursor,
    expected_version,
    link_next,
    set_etag,
)
from services.people.domain.availability import (
    Absence,
    AbsenceKind,
    AbsenceStatus,
    WorkingHours,
    WorkingPattern,
)
from services.people.domain.oncall import wall_clock_instant
from services.people.errors import Invalid
from services.people.handlers import availability as handlers
from services.people.handlers.common import provider_time_zone
from services.people.handlers.oncall import instant

router = APIRouter(tags=["availability and absence"])


class WorkingHoursIo(BaseModel):
    """Hours worked on a weekday, local wall-clock (``end`` after ``start``)."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start: WallClock = Field(examples=["08:00"])
    end: WallClock = Field(examples=["14:00"])


class PatternIo(BaseModel):
    """The worker's week; empty hours mean they are not to be planned."""

    model_config = ConfigDict(extra="forbid")

    hours: list[WorkingHoursIo] = Field(default_factory=list, max_length=50)
    max_working_minutes_per_day: int | None = Field(default=None, ge=30, le=960)

    @classmethod
    def of(cls, pattern: WorkingPattern) -> PatternIo:
        """The body for ``pattern``."""
        return cls(
            hours=[
                WorkingHoursIo(weekday=h.weekday, start=h.start, end=h.end)
                for h in sorted(pattern.hours, key=lambda h: (h.weekday, h.start))
            ],
            max_working_minutes_per_day=pattern.max_working_minutes_per_day,
        )


@router.get("/workers/{worker_id}/availability", summary="A worker's working pattern")
async def get_pattern(worker_id: UUID, uow: UoW, response: Response) -> PatternIo:
    """The weekly hours the rota may plan the worker in (``ETag`` "0" when none was set)."""
    async with uow:
        pattern, version = await handlers.pattern_of(uow, worker_id)
    set_etag(response, version)
    return PatternIo.of(pattern)


@router.put("/workers/{worker_id}/availability", summary="Set a worker's working pattern")
async def set_pattern(
    worker_id: UUID, body: PatternIo, uow: UoW, response: Response, if_match: IfMatch = None
) -> PatternIo:
    """Replace the week; announces ``rounds.worker.availability.changed.v1``. Stale ``If-Match``: 412."""
    pattern = WorkingPattern(
        tuple(
            WorkingHours(h.weekday, h.start.replace(tzinfo=None), h.end.replace(tzinfo=None))
            for h in body.hours
        ),
        body.max_working_minutes_per_day,
    )
    saved, version = await handlers.set_pattern(uow, worker_id, pattern, expected_version(if_match))
    set_etag(response, version)
    return PatternIo.of(saved)


class AbsenceIn(BaseModel):
    """An absence: ``starts_at``/``ends_at`` (end exclusive), or whole days ``first_day``..``last_day``."""

    model_config = ConfigDict(extra="forbid")

    kind: AbsenceKind
    starts_at: datetime | None = Field(default=None, examples=["2026-06-01T07:00"])
    ends_at: datetime | None = None
    first_day: date | None = None
    last_day: date | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _one_way(self) -> AbsenceIn:
        timed = self.starts_at is not None or self.ends_at is not None
        days = self.first_day is not None or self.last_day is not None
        if timed == days:
            raise ValueError("give either starts_at and ends_at, or first_day and last_day")
        if timed and (self.starts_at is None or self.ends_at is None):
            raise ValueError("give both starts_at and ends_at")
        if days and (self.first_day is None or self.last_day is None):
            raise ValueError("give both first_day and last_day")
        return self

    def span(self) -> tuple[datetime, datetime]:
        """The UTC instants the absence runs between."""
        if self.first_day is not None and self.last_day is not None:
            for name, day in (("first_day", self.first_day), ("last_day", self.last_day)):
                if not 1900 <= day.year <= 2200:
                    raise Invalid.on(f"body.{name}", "must be between the years 1900 and 2200")
            if self.last_day < self.first_day:
                raise Invalid.on("body.last_day", "cannot be before first_day")
            if self.last_day - self.first_day > timedelta(days=366):
                raise Invalid.on("body.last_day", "record at most a year at a time")
            zone = provider_time_zone()
            return (
                wall_clock_instant(self.first_day, time(0), zone),
                wall_clock_instant(self.last_day + timedelta(days=1), time(0), zone),
            )
        assert self.starts_at is not None
        assert self.ends_at is not None
        return instant(self.starts_at, "body.starts_at"), instant(self.ends_at, "body.ends_at")


class AbsencePatch(BaseModel):
    """Fields to change: move it, shorten it (back early), extend it, or ``status: cancelled``."""

    model_config = ConfigDict(extra="forbid")

    kind: AbsenceKind | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    note: Text | None = None
    status: AbsenceStatus | None = None


class AbsenceOut(BaseModel):
    """An absence, in UTC and in the provider's local time."""

    id: UUID
    worker_id: UUID
    kind: AbsenceKind
    starts_at: datetime
    ends_at: datetime
    starts_local: str = Field(description="Provider's local time, with its UTC offset.")
    ends_local: str
    recorded_at: datetime
    short_notice: bool
    note: str | None
    status: AbsenceStatus
    version: int

    @classmethod
    def of(cls, a: Absence) -> AbsenceOut:
        """The body for ``a``."""
        tz = ZoneInfo(provider_time_zone())
        return cls(
            id=a.id,
            worker_id=a.worker_id,
            kind=a.kind,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            starts_local=a.starts_at.astimezone(tz).isoformat(timespec="seconds"),
            ends_local=a.ends_at.astimezone(tz).isoformat(timespec="seconds"),
            recorded_at=a.recorded_at,
            short_notice=a.short_notice,
            note=a.note,
            status=a.status,
            version=a.version,
        )


@router.post(
    "/workers/{worker_id}/absences", status_code=status.HTTP_201_CREATED, summary="Record an absence"
)
async def record_absence(worker_id: UUID, body: AbsenceIn, uow: UoW, response: Response) -> AbsenceOut:
    """Leave in advance or sickness on the day (409 when it overlaps another); announces
    ``rounds.worker.absence.recorded.v1`` so the rota repairs the visits it touches (000 P43)."""
    starts_at, ends_at = body.span()
    absence = await handlers.record_absence(uow, worker_id, body.kind, starts_at, ends_at, body.note)
    response.headers["Location"] = f"workers/{worker_id}/absences/{absence.id}"
    set_etag(response, absence.version)
    return AbsenceOut.of(absence)


@router.get("/workers/{worker_id}/absences/{absence_id}", summary="Read an absence")
async def get_absence(worker_id: UUID, absence_id: UUID, uow: UoW, response: Response) -> AbsenceOut:
    """One absence, with its ``ETag``."""
    async with uow:
        absence = await handlers.existing_absence(uow, worker_id, absence_id)
    set_etag(response, absence.version)
    return AbsenceOut.of(absence)


@router.patch("/workers/{worker_id}/absences/{absence_id}", summary="Change or cancel an absence")
async def change_absence(
    worker_id: UUID,
    absence_id: UUID,
    body: AbsencePatch,
    uow: UoW,
    response: Response,
    if_match: IfMatch = None,
) -> AbsenceOut:
    """Announces ``rounds.worker.absence.changed.v1``. Stale ``If-Match``: 412."""
    sent = body.model_fields_set
    for name in ("kind", "starts_at", "ends_at", "status"):
        if name in sent and getattr(body, name) is None:
            raise Invalid.on(f"body.{name}", "cannot be cleared")
    changes: dict[str, Any] = {name: getattr(body, name) for name in sent}
    for name in ("starts_at", "ends_at"):
        if name in changes:
            changes[name] = instant(changes[name], f"body.{name}")
    absence = await handlers.change_absence(uow, worker_id, absence_id, changes, expected_version(if_match))
    set_etag(response, absence.version)
    return AbsenceOut.of(absence)


@router.get("/workers/{worker_id}/absences", summary="A worker's absences")
async def list_absences(
    worker_id: UUID,
    uow: UoW,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500, description="From X-Next-Cursor.")] = None,
    start: Annotated[datetime | None, Query(alias="from", description="Absences ending after this.")] = None,
) -> list[AbsenceOut]:
    """By start time, a page at a time (``Link`` rel=next); cancelled ones included, marked."""
    after = decode_cursor(cursor, 2)
    key: tuple[datetime, UUID] | None = None
    if after is not None:
        try:
            key = (datetime.fromisoformat(after[0]), UUID(after[1]))
        except ValueError:
            raise Invalid.on("query.cursor", "is not a cursor this service gave") from None
    ending_after = instant(start, "query.from") if start else None
    async with uow:
        await handlers.pattern_of(uow, worker_id)  # 404 for an unknown worker
        found = await uow.availability.page(worker_id, limit=limit + 1, after=key, ending_after=ending_after)
    page = found[:limit]
    next_cursor = (
        encode_cursor([page[-1].starts_at.isoformat(), str(page[-1].id)]) if len(found) > limit else None
    )
    link_next(
        response,
        f"workers/{worker_id}/absences",
        next_cursor,
        {"limit": limit, "from": start.isoformat() if start else None},
    )
    return [AbsenceOut.of(a) for a in page]
