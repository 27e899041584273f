"""The on-call roster over HTTP (000 P37): shifts per locality, who to call now, gaps in cover.

Times may be sent with a UTC offset (``2026-03-28T17:00:00+00:00``) or as the provider's wall-clock
time without one (``2026-03-28T17:00``); a wall-clock time the clocks skip or repeat that day is
refused with 422 and the offset must be given. Answers carry both the UTC instant and local time.
Locality ``*`` is provider-wide cover that backs every locality up.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.people.api.common import (
    IfMatch,
    UoW,
    WallClock,
    decode_cursor,
    encode_cursor,
    expected_version,
    link_next,
    set_etag,
)
from services.people.domain.oncall import (
    GAP_HORIZON,
    MAX_LEVEL,
    ChainLink,
    CoverRequirement,
    CoverWindow,
    Gap,
    OnCallShift,
    PatternLine,
    ShiftStatus,
)
from services.people.errors import Invalid
from services.people.handlers import oncall as handlers
from services.people.handlers.common import provider_time_zone

router = APIRouter(tags=["on-call roster"])

LocalityName = Annotated[
    str, Path(min_length=1, max_length=200, description="A locality's name, or * (provider-wide).")
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=30)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
]
#: The longest stretch one request may ask gaps or shifts for (a roster is planned a month or two ahead).
MAX_RANGE = timedelta(days=62)


class ShiftIn(BaseModel):
    """Someone on call for the locality at a level, from one time to another (end exclusive)."""

    model_config = ConfigDict(extra="forbid")

    worker_id: UUID
    level: int = Field(default=1, ge=1, le=MAX_LEVEL, description="1 answers first; 2 is escalated to; ...")
    starts_at: datetime = Field(
        examples=["2026-03-28T17:00"], description="Local wall-clock, or with an offset."
    )
    ends_at: datetime = Field(examples=["2026-03-29T09:00"])
    contact_phone: Phone = Field(
        examples=["07700 900456"], description="The number that reaches them on call."
    )
    contact_email: Email | None = None


class ShiftPatch(BaseModel):
    """Fields to change (hand over to another worker, move, change the contact)."""

    model_config = ConfigDict(extra="forbid")

    worker_id: UUID | None = None
    level: int | None = Field(default=None, ge=1, le=MAX_LEVEL)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    contact_phone: Phone | None = None
    contact_email: Email | None = None


def _local(instant: datetime) -> str:
    """Local time with its offset written out (``+00:00`` in winter, never ``Z``, which reads as UTC)."""
    return instant.astimezone(ZoneInfo(provider_time_zone())).isoformat(timespec="seconds")


class ShiftOut(BaseModel):
    """A shift on the roster, in UTC and in the provider's local time."""

    id: UUID
    locality: str
    level: int
    worker_id: UUID
    worker_name: str
    role: str
    contact_phone: str
    contact_email: str | None
    starts_at: datetime
    ends_at: datetime
    starts_local: str = Field(description="Provider's local time, with its UTC offset.")
    ends_local: str
    hours: float = Field(description="Real hours on call (23 or 25 hour days included).")
    status: ShiftStatus
    version: int

    @classmethod
    def of(cls, s: OnCallShift) -> ShiftOut:
        """The body for ``s``."""
        return cls(
            id=s.id,
            locality=s.locality,
            level=s.level,
            worker_id=s.worker_id,
            worker_name=s.worker_name,
            role=s.role,
            contact_phone=s.contact_phone,
            contact_email=s.contact_email,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            starts_local=_local(s.starts_at),
            ends_local=_local(s.ends_at),
            hours=(s.ends_at - s.starts_at).total_seconds() / 3600,
            status=s.status,
            version=s.version,
        )


@router.post(
    "/localities/{locality}/on-call/shifts",
    status_code=status.HTTP_201_CREATED,
    summary="Put someone on call",
)
async def schedule_shift(locality: LocalityName, body: ShiftIn, uow: UoW, response: Response) -> ShiftOut:
    """409 when someone else is on call at that level then (or this person at another level); 422 when the
    worker may not be on call (role, compliance) or a wall-clock time is skipped or repeated by DST.
    Announces ``rounds.oncall.shift.scheduled.v1`` and, when the gaps change,
    ``rounds.oncall.gaps.reported.v1``."""
    details = handlers.ShiftDetails(
        worker_id=body.worker_id,
        level=body.level,
        starts_at=handlers.instant(body.starts_at, "body.starts_at"),
        ends_at=handlers.instant(body.ends_at, "body.ends_at"),
        contact_phone=body.contact_phone,
        contact_email=body.contact_email,
    )
    shift = await handlers.schedule_shift(uow, locality, details)
    response.headers["Location"] = f"localities/{locality}/on-call/shifts/{shift.id}"
    set_etag(response, shift.version)
    return ShiftOut.of(shift)


class PatternLineIo(BaseModel):
    """A person on call at a level on some weekdays, local wall-clock; ``end`` at or before ``start`` runs
    into the next morning."""

    model_config = ConfigDict(extra="forbid")

    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        min_length=1, max_length=7, examples=[[0, 1, 2, 3]]
    )
    start: WallClock = Field(examples=["17:00"])
    end: WallClock = Field(examples=["09:00"])
    level: int = Field(default=1, ge=1, le=MAX_LEVEL)
    worker_id: UUID
    contact_phone: Phone
    contact_email: Email | None = None


class PatternIn(BaseModel):
    """A weekly on-call rota rolled out over local days (at most 62), all shifts or none."""

    model_config = ConfigDict(extra="forbid")

    first_day: date
    last_day: date
    lines: list[PatternLineIo] = Field(min_length=1, max_length=50)


@router.post(
    "/localities/{locality}/on-call/rota",
    status_code=status.HTTP_201_CREATED,
    summary="Roll out a weekly rota",
)
async def roll_out_pattern(locality: LocalityName, body: PatternIn, uow: UoW) -> list[ShiftOut]:
    """Every shift the pattern asks for, in wall-clock time (a night is 15 hours when the clocks go forward,
    17 when they go back). The first shift that cannot stand refuses the whole pattern, naming the line and
    the day (``body.lines.<n>...``); each shift is announced, and the gaps once."""
    for name, day in (("first_day", body.first_day), ("last_day", body.last_day)):
        if not 1900 <= day.year <= 2200:
            raise Invalid.on(f"body.{name}", "must be between the years 1900 and 2200")
    lines = [
        PatternLine(
            frozenset(line.weekdays),
            line.start.replace(tzinfo=None),
            line.end.replace(tzinfo=None),
            line.level,
            line.worker_id,
            line.contact_phone,
            line.contact_email,
        )
        for line in body.lines
    ]
    shifts = await handlers.roll_out_pattern(uow, locality, lines, body.first_day, body.last_day)
    return [ShiftOut.of(s) for s in shifts]


@router.get("/localities/{locality}/on-call/shifts/{shift_id}", summary="Read a shift")
async def get_shift(locality: LocalityName, shift_id: UUID, uow: UoW, response: Response) -> ShiftOut:
    """One shift, with its ``ETag``."""
    async with uow:
        shift = await handlers.existing_shift(uow, locality, shift_id)
    set_etag(response, shift.version)
    return ShiftOut.of(shift)


@router.patch("/localities/{locality}/on-call/shifts/{shift_id}", summary="Change a shift")
async def change_shift(
    locality: LocalityName,
    shift_id: UUID,
    body: ShiftPatch,
    uow: UoW,
    response: Response,
    if_match: IfMatch = None,
) -> ShiftOut:
    """Hand over, move or change the contact; announces ``rounds.oncall.shift.changed.v1``. Stale: 412."""
    sent = body.model_fields_set
    for name in ("worker_id", "level", "starts_at", "ends_at", "contact_phone"):
        if name in sent and getattr(body, name) is None:
            raise Invalid.on(f"body.{name}", "cannot be cleared")
    changes = {name: getattr(body, name) for name in sent}
    for name in ("starts_at", "ends_at"):
        if name in changes:
            changes[name] = handlers.instant(changes[name], f"body.{name}")
    shift = await handlers.change_shift(uow, locality, shift_id, changes, expected_version(if_match))
    set_etag(response, shift.version)
    return ShiftOut.of(shift)


@router.post("/localities/{locality}/on-call/shifts/{shift_id}/cancel", summary="Cancel a shift")
async def cancel_shift(
    locality: LocalityName, shift_id: UUID, uow: UoW, response: Response, if_match: IfMatch = None
) -> ShiftOut:
    """The shift stays on record, cancelled; announces the change and the gap it leaves."""
    shift = await handlers.cancel_shift(uow, locality, shift_id, expected_version(if_match))
    set_etag(response, shift.version)
    return ShiftOut.of(shift)


def _range(
    start: datetime | None, end: datetime | None, default: timedelta, now: datetime
) -> tuple[datetime, datetime]:
    a = handlers.instant(start, "query.from") if start else now
    b = handlers.instant(end, "query.to") if end else a + default
    if b <= a:
        raise Invalid.on("query.to", "must be after from")
    if b - a > MAX_RANGE:
        raise Invalid.on("query.to", f"ask for at most {MAX_RANGE.days} days at a time")
    return a, b


@router.get("/localities/{locality}/on-call/shifts", summary="The roster")
async def list_shifts(
    locality: LocalityName,
    uow: UoW,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500, description="From X-Next-Cursor.")] = None,
    start: Annotated[datetime | None, Query(alias="from", description="Shifts ending after this.")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Shifts starting before this.")] = None,
    level: Annotated[int | None, Query(ge=1, le=MAX_LEVEL)] = None,
    worker_id: UUID | None = None,
    shift_status: Annotated[ShiftStatus | None, Query(alias="status")] = ShiftStatus.SCHEDULED,
) -> list[ShiftOut]:
    """A locality's shifts by start time, a page at a time (``Link`` rel=next)."""
    after = decode_cursor(cursor, 2)
    key: tuple[datetime, UUID] | None = None
    if after is not None:
        try:
            key = (datetime.fromisoformat(after[0]), UUID(after[1]))
        except ValueError:
            raise Invalid.on("query.cursor", "is not a cursor this service gave") from None
    ending_after = handlers.instant(start, "query.from") if start else None
    starting_before = handlers.instant(end, "query.to") if end else None
    async with uow:
        found = await uow.oncall.page(
            locality,
            limit=limit + 1,
            after=key,
            ending_after=ending_after,
            starting_before=starting_before,
            level=level,
            worker_id=worker_id,
            status=shift_status,
        )
    page = found[:limit]
    next_cursor = (
        encode_cursor([page[-1].starts_at.isoformat(), str(page[-1].id)]) if len(found) > limit else None
    )
    params = {
        "limit": limit,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "level": level,
        "worker_id": worker_id,
        "status": shift_status.value if shift_status else None,
    }
    link_next(response, f"localities/{locality}/on-call/shifts", next_cursor, params)
    return [ShiftOut.of(s) for s in page]


class ChainLinkOut(BaseModel):
    """One place in the escalation chain: call them in this order."""

    place: int
    level: int
    provider_wide: bool
    shift_id: UUID
    worker_id: UUID
    worker_name: str
    role: str
    contact_phone: str
    contact_email: str | None
    on_call_until: datetime
    on_call_until_local: str

    @classmethod
    def of(cls, link: ChainLink) -> ChainLinkOut:
        """The body for ``link``."""
        s = link.shift
        return cls(
            place=link.place,
            level=s.level,
            provider_wide=s.locality == "*",
            shift_id=s.id,
            worker_id=s.worker_id,
            worker_name=s.worker_name,
            role=s.role,
            contact_phone=s.contact_phone,
            contact_email=s.contact_email,
            on_call_until=s.ends_at,
            on_call_until_local=_local(s.ends_at),
        )


class OnCallNowOut(BaseModel):
    """Who is on call for a locality at an instant, in the order to call them."""

    locality: str
    at: datetime
    at_local: str
    chain: list[ChainLinkOut]


@router.get("/localities/{locality}/on-call/now", summary="Who is on call")
async def on_call_now(
    locality: LocalityName,
    uow: UoW,
    at: Annotated[
        datetime | None, Query(description="Default: now. Local wall-clock or with an offset.")
    ] = None,
) -> OnCallNowOut:
    """The escalation chain at ``at``: level 1 first, the locality's own before provider-wide cover, each
    person once. An empty chain is a gap: nobody answers."""
    instant = handlers.instant(at, "query.at") if at else uow.clock.now()
    links = await handlers.chain(uow, locality, instant)
    return OnCallNowOut(
        locality=locality,
        at=instant,
        at_local=_local(instant),
        chain=[ChainLinkOut.of(link) for link in links],
    )


class GapOut(BaseModel):
    """Required hours with fewer than ``level`` people on call."""

    level: int
    starts_at: datetime
    ends_at: datetime
    starts_local: str = Field(description="Provider's local time, with its UTC offset.")
    ends_local: str
    hours: float

    @classmethod
    def of(cls, g: Gap) -> GapOut:
        """The body for ``g``."""
        return cls(
            level=g.level,
            starts_at=g.starts_at,
            ends_at=g.ends_at,
            starts_local=_local(g.starts_at),
            ends_local=_local(g.ends_at),
            hours=(g.ends_at - g.starts_at).total_seconds() / 3600,
        )


@router.get("/localities/{locality}/on-call/gaps", summary="Gaps in on-call cover")
async def on_call_gaps(
    locality: LocalityName,
    uow: UoW,
    start: Annotated[datetime | None, Query(alias="from", description="Default: now.")] = None,
    end: Annotated[
        datetime | None, Query(alias="to", description="Default: 14 days after from; at most 62.")
    ] = None,
) -> list[GapOut]:
    """Every stretch of the locality's required cover with too few people on call, by level then time."""
    a, b = _range(start, end, GAP_HORIZON, uow.clock.now())
    return [GapOut.of(g) for g in await handlers.gaps_between(uow, locality, a, b)]


class CoverWindowIo(BaseModel):
    """Local hours that need cover on some weekdays; an ``end`` at or before ``start`` runs past midnight
    (00:00 to 00:00 is the whole day)."""

    model_config = ConfigDict(extra="forbid")

    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(min_length=1, max_length=7, examples=[[5, 6]])
    start: WallClock = Field(examples=["17:00"])
    end: WallClock = Field(examples=["09:00"])


class CoverIo(BaseModel):
    """Which local hours of the locality need someone on call (000 P37: while workers are on duty)."""

    model_config = ConfigDict(extra="forbid")

    windows: list[CoverWindowIo] = Field(min_length=1, max_length=28)
    levels_required: int = Field(
        default=1, ge=1, le=MAX_LEVEL, description="2: always someone to escalate to."
    )

    @classmethod
    def of(cls, cover: CoverRequirement) -> CoverIo:
        """The body for ``cover``."""
        return cls(
            windows=[
                CoverWindowIo(weekdays=sorted(w.weekdays), start=w.start, end=w.end) for w in cover.windows
            ],
            levels_required=cover.levels_required,
        )


@router.get("/localities/{locality}/on-call/cover", summary="Which hours need on-call cover")
async def get_cover(locality: LocalityName, uow: UoW, response: Response) -> CoverIo:
    """Every hour of every day at one level, unless the locality set otherwise."""
    async with uow:
        cover, version = await handlers.cover_of(uow, locality)
    set_etag(response, version)
    return CoverIo.of(cover)


@router.put("/localities/{locality}/on-call/cover", summary="Set which hours need on-call cover")
async def set_cover(
    locality: LocalityName, body: CoverIo, uow: UoW, response: Response, if_match: IfMatch = None
) -> CoverIo:
    """Replace the requirement; the gaps are re-read and announced when they change."""
    cover = CoverRequirement(
        tuple(
            CoverWindow(frozenset(w.weekdays), w.start.replace(tzinfo=None), w.end.replace(tzinfo=None))
            for w in body.windows
        ),
        body.levels_required,
    )
    saved, version = await handlers.set_cover(uow, locality, cover, expected_version(if_match))
    set_etag(response, version)
    return CoverIo.of(saved)


class GapReportOut(BaseModel):
    """A locality whose gaps changed and were announced."""

    locality: str
    gaps: int


@router.post("/on-call/gap-reviews", summary="Look for gaps in every locality's cover")
async def review_gaps(uow: UoW) -> list[GapReportOut]:
    """Re-read every locality's coming 14 days and announce ``rounds.oncall.gaps.reported.v1`` where the
    gaps changed (run it hourly: the horizon moves on into days nobody has rostered yet)."""
    events = await handlers.review_gaps(uow)
    return [GapReportOut(locality=e.locality, gaps=len(e.gaps)) for e in events]
