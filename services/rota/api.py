"""The rota service's HTTP routes."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from rounds.infra.problems import NotFound
from rounds.infra.service import unit_of_work_from
from services.rota import handlers
from services.rota.domain.calendar import CalendarVisit, calendar
from services.rota.domain.geo import Location
from services.rota.domain.packages import CarePackage, RecurringVisit
from services.rota.domain.planning import Weights
from services.rota.domain.visits import Visit
from services.rota.domain.workforce import PlanningProfile, RotaWorker
from services.rota.handlers import RotaConfig
from services.rota.unit_of_work import RotaUnitOfWork

router = APIRouter(tags=["workforce"])
UoW = Annotated[RotaUnitOfWork, Depends(unit_of_work_from)]

# Days and instants the rota plans are bounded: far-off years overflow date arithmetic (a 500), and
# no care is planned centuries away.
LocalDay = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
Instant = Annotated[
    AwareDatetime,
    Field(ge=datetime(2000, 1, 1, tzinfo=UTC), le=datetime(2100, 12, 31, tzinfo=UTC)),
]


class RotaWorkerOut(BaseModel):
    """A worker as the rota knows them."""

    id: UUID
    given_name: str
    family_name: str
    role: str
    locality: str
    skills: list[str]
    contracted_hours_per_week: float | None
    known_since: datetime | None

    @classmethod
    def of(cls, worker: RotaWorker) -> RotaWorkerOut:
        """The response body for ``worker``."""
        return cls.model_validate(worker, from_attributes=True)


@router.get("/workers/{worker_id}", summary="Read a worker the rota can plan with")
async def get_worker(worker_id: UUID, uow: UoW) -> RotaWorkerOut:
    """One worker; 404 until the rota has heard of them from people."""
    async with uow:
        worker = await uow.workers.get(worker_id)
    if worker is None:
        raise NotFound(
            f"The rota does not know worker {worker_id} yet. A newly registered worker "
            "reaches the rota within seconds; try again shortly."
        )
    return RotaWorkerOut.of(worker)


Limit = Annotated[int, Query(ge=1, le=500, description="Most items in one page.")]
Cursor = Annotated[
    str | None, Query(max_length=2000, description="From the previous page's X-Next-Cursor header.")
]


def encode_cursor(key: list[str]) -> str:
    """An opaque cursor naming the row after which the next page starts."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int) -> list[str] | None:
    """The sort key inside a cursor from :func:`encode_cursor`; 422 naming ``query.cursor`` otherwise."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != size or not all(isinstance(k, str) for k in key):
        raise _bad_cursor()
    return key


def _bad_cursor() -> handlers.InvalidRequest:
    reason = "is not a cursor this service gave; start from the first page"
    return handlers.InvalidRequest(f"cursor {reason}.", errors=[{"field": "query.cursor", "reason": reason}])


def _cursor_uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise _bad_cursor() from None


def _cursor_instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise _bad_cursor() from None
    if instant.tzinfo is None:
        raise _bad_cursor()
    return instant


def link_next(response: Response, path: str, cursor: str | None, params: dict[str, Any]) -> None:
    """Point at the next page with ``Link: <...>; rel="next"`` and ``X-Next-Cursor``."""
    if cursor is None:
        return
    query = urlencode({**{k: v for k, v in params.items() if v is not None}, "cursor": cursor})
    response.headers["Link"] = f'<{path}?{query}>; rel="next"'
    response.headers["X-Next-Cursor"] = cursor


@router.get("/workers", summary="List the workers the rota can plan with")
async def list_workers(
    uow: UoW,
    response: Response,
    locality: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> list[RotaWorkerOut]:
    """Workers by name, optionally in one locality, a page at a time (next page: ``Link`` rel=next)."""
    after = decode_cursor(cursor, 3)
    async with uow:
        found = await uow.workers.page(
            locality=locality,
            limit=limit + 1,
            after=(after[0], after[1], _cursor_uuid(after[2])) if after else None,
        )
    page = found[:limit]
    next_cursor = (
        encode_cursor([page[-1].family_name, page[-1].given_name, str(page[-1].id)])
        if len(found) > limit
        else None
    )
    link_next(response, "workers", next_cursor, {"limit": limit, "locality": locality})
    return [RotaWorkerOut.of(worker) for worker in page]


# ---- care packages -------------------------------------------------------------------------------


class LocationIn(BaseModel):
    """A point in WGS84 degrees."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class RecurringVisitIn(BaseModel):
    """One recurring visit of a package, in the provider's local time."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, description="stable id of this line, e.g. 'morning'")
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(min_length=1, description="0 = Monday")
    preferred_start: time_of_day = Field(description="local wall-clock time, e.g. 08:00")
    duration_minutes: int = Field(ge=5, le=720)
    flexibility_minutes: int = Field(default=30, ge=0, le=240)
    tasks: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50
    )
    workers_required: int = Field(default=1, ge=1, le=2)
    required_skills: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)


class PackageIn(BaseModel):
    """A care package as a coordinator (or, later, an agreed plan) describes it."""

    model_config = ConfigDict(extra="forbid")

    individual_id: UUID
    locality: str = Field(min_length=1, max_length=200)
    location: LocationIn
    address: str = Field(default="", max_length=500)
    start_date: LocalDay
    end_date: LocalDay | None = None
    carer_gender: Literal["female", "male"] | None = None
    refused_workers: list[UUID] = Field(default_factory=list)
    known_workers: list[UUID] = Field(default_factory=list)
    source_plan_id: UUID | None = None
    source_plan_version: int | None = None
    visits: list[RecurringVisitIn] = Field(min_length=1, max_length=50)

    def to_domain(self, package_id: UUID) -> CarePackage:
        """The domain package with this id."""
        return CarePackage(
            id=package_id,
            individual_id=self.individual_id,
            locality=self.locality,
            location=Location(self.location.lat, self.location.lon),
            address=self.address,
            start_date=self.start_date,
            end_date=self.end_date,
            carer_gender=self.carer_gender,
            refused_workers=frozenset(self.refused_workers),
            known_workers=frozenset(self.known_workers),
            source_plan_id=self.source_plan_id,
            source_plan_version=self.source_plan_version,
            visits=tuple(
                RecurringVisit(
                    id=line.id,
                    weekdays=frozenset(line.weekdays),
                    preferred_start=line.preferred_start,
                    duration_minutes=line.duration_minutes,
                    flexibility_minutes=line.flexibility_minutes,
                    tasks=tuple(line.tasks),
                    workers_required=line.workers_required,
                    required_skills=frozenset(s.strip().lower() for s in line.required_skills),
                )
                for line in self.visits
            ),
        )


class VisitOut(BaseModel):
    """A visit as the rota holds it; instants in UTC, ``local_date`` in the provider's zone."""

    id: UUID
    package_id: UUID
    individual_id: UUID
    locality: str
    local_date: date
    planned_start: datetime
    duration_minutes: int
    window_start: datetime
    window_end: datetime
    tasks: list[str]
    workers_required: int
    status: str
    workers: list[UUID]
    allocated_start: datetime | None

    @classmethod
    def of(cls, visit: Visit) -> VisitOut:
        """The response body for ``visit``."""
        return cls(
            id=visit.id,
            package_id=visit.package_id,
            individual_id=visit.individual_id,
            locality=visit.locality,
            local_date=visit.local_date,
            planned_start=visit.planned_start,
            duration_minutes=visit.duration_minutes,
            window_start=visit.window_start,
            window_end=visit.window_end,
            tasks=list(visit.tasks),
            workers_required=visit.workers_required,
            status=visit.status.value,
            workers=list(visit.workers),
            allocated_start=visit.allocated_start,
        )


class PackageOut(BaseModel):
    """A stored package and what its last change did to the visits."""

    id: UUID
    version: int
    visits_scheduled: int = 0
    visits_changed: int = 0
    visits_cancelled: int = 0


def rota_config(request: Request) -> RotaConfig:
    """The handlers' configuration, built once in main.py."""
    config: RotaConfig = request.app.state.rota_config
    return config


Config = Annotated[RotaConfig, Depends(rota_config)]


@router.post(
    "/packages", status_code=201, summary="Create a care package and generate its visits", tags=["packages"]
)
async def create_package(body: PackageIn, uow: UoW, config: Config, response: Response) -> PackageOut:
    """Visits are generated over the horizon at once and announced (``rounds.visit.scheduled.v1``)."""
    package_id = uuid4()
    visits = await handlers.create_package(uow, config, body.to_domain(package_id))
    response.headers["location"] = f"packages/{package_id}"
    return PackageOut(id=package_id, version=1, visits_scheduled=len(visits))


@router.put(
    "/packages/{package_id}", summary="Change a care package; future visits follow", tags=["packages"]
)
async def replace_package(package_id: UUID, body: PackageIn, uow: UoW, config: Config) -> PackageOut:
    """Regenerates visits whose window has not opened yet; the past is never touched."""
    result = await handlers.replace_package(uow, config, body.to_domain(package_id))
    async with uow:
        package = await uow.packages.get(package_id)
    assert package is not None
    return PackageOut(
        id=package_id,
        version=package.version,
        visits_scheduled=len(result.added),
        visits_changed=len(result.changed),
        visits_cancelled=len(result.cancelled),
    )


@router.get("/visits", summary="Visits of one local day", tags=["visits"])
async def list_visits(
    uow: UoW,
    response: Response,
    day: Annotated[LocalDay, Query(alias="date")],
    locality: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> list[VisitOut]:
    """The visits of ``date`` (local day) by window, optionally in one locality, a page at a time."""
    after = decode_cursor(cursor, 2)
    async with uow:
        found = await uow.visits.page_of_day(
            day,
            locality,
            limit=limit + 1,
            after=(_cursor_instant(after[0]), _cursor_uuid(after[1])) if after else None,
        )
    page = found[:limit]
    next_cursor = (
        encode_cursor([page[-1].window_start.isoformat(), str(page[-1].id)]) if len(found) > limit else None
    )
    link_next(response, "visits", next_cursor, {"date": day, "locality": locality, "limit": limit})
    return [VisitOut.of(v) for v in page]


# ---- workers' planning profiles and absences ----------------------------------------------------


class ShiftIn(BaseModel):
    """Hours a worker is available on a weekday, in local time."""

    weekday: int = Field(ge=0, le=6)
    start: time_of_day
    end: time_of_day

    @model_validator(mode="after")
    def _ordered(self) -> ShiftIn:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class PlanningProfileIn(BaseModel):
    """How the rota can plan a worker (until people publishes these facts)."""

    model_config = ConfigDict(extra="forbid")

    gender: Literal["female", "male"] | None = None
    home: LocationIn | None = None
    transport: Literal["car", "bicycle", "public_transport", "walk"] = "car"
    availability: list[ShiftIn] = Field(default_factory=list, max_length=50)
    max_working_minutes: int = Field(default=600, ge=60, le=780)


@router.put("/workers/{worker_id}/planning-profile", status_code=204, tags=["workforce"])
async def put_planning_profile(worker_id: UUID, body: PlanningProfileIn, uow: UoW) -> None:
    """Weekly availability (and home base, gender, transport) of a worker the rota knows.

    Availability and the daily limit are replaced; home, gender and transport only when given
    (people's worker record provides them otherwise). Absences and compliance are kept.
    """
    availability: dict[int, tuple[tuple[time_of_day, time_of_day], ...]] = {}
    for shift in body.availability:
        availability[shift.weekday] = (*availability.get(shift.weekday, ()), (shift.start, shift.end))
    profile = PlanningProfile(
        gender=body.gender,
        home=Location(body.home.lat, body.home.lon) if body.home else None,
        transport=body.transport,
        availability=availability,
        max_working_minutes=body.max_working_minutes,
    )
    given = set(body.model_fields_set) | {"availability", "max_working_minutes"}
    await handlers.save_planning_profile(uow, worker_id, profile, given)


class AbsenceIn(BaseModel):
    """A worker is off (sick, emergency leave) between two instants."""

    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> AbsenceIn:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class RepairOut(BaseModel):
    """The visits the absent worker had, and who has them now (empty list: now unallocated)."""

    moved: dict[UUID, list[UUID]]


@router.post(
    "/workers/{worker_id}/absences", summary="Report an absence and repair the rota", tags=["workforce"]
)
async def report_absence(worker_id: UUID, body: AbsenceIn, uow: UoW, config: Config) -> RepairOut:
    """000 P43: only the absent worker's visits move; everyone else's day stays as it was."""
    moved = await handlers.report_absence(uow, config, worker_id, body.start, body.end)
    return RepairOut(moved={k: list(v) for k, v in moved.items()})


# ---- planning runs -------------------------------------------------------------------------------


_DEFAULT_WEIGHTS = Weights()


class WeightsIn(BaseModel):
    """Soft costs for this run, in the units of a minute of travel; hard rules are never traded."""

    model_config = ConfigDict(extra="forbid")

    travel_minute: int = Field(default=_DEFAULT_WEIGHTS.travel_minute, ge=0, le=1000)
    lateness_minute: int = Field(
        default=_DEFAULT_WEIGHTS.lateness_minute,
        ge=0,
        le=1000,
        description="Per minute away from the preferred start, inside the visit's window.",
    )
    unknown_worker: int = Field(
        default=_DEFAULT_WEIGHTS.unknown_worker,
        ge=0,
        le=100_000,
        description="Continuity: per visit by a worker the individual does not know yet.",
    )
    overtime_minute: int = Field(
        default=_DEFAULT_WEIGHTS.overtime_minute,
        ge=0,
        le=1000,
        description="Per minute beyond a worker's contracted minutes (balances workload).",
    )

    def weights(self) -> Weights:
        """As the planning problem's weights."""
        return replace(_DEFAULT_WEIGHTS, **self.model_dump())


class PlanningRunIn(BaseModel):
    """Plan one locality's day."""

    model_config = ConfigDict(extra="forbid")

    locality: str = Field(min_length=1, max_length=200)
    date: LocalDay
    engine: str = "engine"
    time_limit_s: float = Field(default=20.0, gt=0, le=600)
    weights: WeightsIn | None = Field(
        default=None, description="Soft-cost weights for this run; left out, the defaults are used."
    )


class PlanningRunOut(BaseModel):
    """A planning run: queued, running, done (with indicators) or failed (with the error)."""

    id: UUID
    locality: str
    date: date
    status: str
    progress: float
    engine: str
    weights: dict[str, int] | None = Field(
        default=None, description="The run's chosen weights; null: the defaults."
    )
    result: dict[str, Any] | None = None
    error: str | None = None


@router.post(
    "/planning-runs", status_code=202, summary="Start planning a day in the background", tags=["planning"]
)
async def start_planning_run(
    body: PlanningRunIn, uow: UoW, config: Config, request: Request, response: Response
) -> PlanningRunOut:
    """Answers at once; poll the run's URL for progress and the result."""
    weights = body.weights.weights() if body.weights is not None else None
    run_id = await handlers.start_planning_run(
        uow, config, body.locality, body.date, body.engine, body.time_limit_s, weights
    )
    request.app.state.planning_runner.spawn(run_id)
    response.headers["location"] = f"planning-runs/{run_id}"
    return PlanningRunOut(
        id=run_id,
        locality=body.locality,
        date=body.date,
        status="queued",
        progress=0.0,
        engine=body.engine,
        weights=body.weights.model_dump() if body.weights is not None else None,
    )


@router.get("/planning-runs/{run_id}", summary="A planning run's progress and result", tags=["planning"])
async def get_planning_run(run_id: UUID, uow: UoW) -> PlanningRunOut:
    """The run as it stands; while running, progress is the share of its time limit gone by."""
    async with uow:
        run = await uow.runs.get(run_id)
        now = uow.clock.now()
    if run is None:
        raise NotFound(f"There is no planning run {run_id}.")
    progress = run["progress"]
    if run["status"] == "running":
        # The solver works to its time limit, so elapsed time is an honest measure of progress.
        elapsed = (now - run["created_at"]).total_seconds()
        progress = round(max(progress, min(0.95, 0.1 + 0.85 * elapsed / run["time_limit_s"])), 2)
    return PlanningRunOut(
        id=run["id"],
        locality=run["locality"],
        date=run["local_date"],
        status=run["status"],
        progress=progress,
        engine=run["engine"],
        weights=run["weights"],
        result=run["result"],
        error=run["error"],
    )


# ---- manual moves --------------------------------------------------------------------------------


class AllocationIn(BaseModel):
    """A coordinator's allocation of a visit: the workers (one or two) and the start."""

    model_config = ConfigDict(extra="forbid")

    workers: list[UUID] = Field(min_length=1, max_length=2)
    start: Instant
    override_reason: str | None = Field(default=None, max_length=1000)


class ViolationOut(BaseModel):
    """A rule the move breaks."""

    rule: str
    hard: bool
    message: str
    worker_id: UUID | None


class MoveOut(BaseModel):
    """The verdict on a move."""

    accepted: bool
    violations: list[ViolationOut]


@router.put("/visits/{visit_id}/allocation", summary="Allocate or move a visit by hand", tags=["visits"])
async def move_visit(visit_id: UUID, body: AllocationIn, uow: UoW, config: Config) -> MoveOut:
    """Hard rules refuse the move (409); soft rules need ``override_reason`` (409 without it)."""
    verdict = await handlers.move_visit(
        uow, config, visit_id, tuple(body.workers), body.start, body.override_reason
    )
    out = MoveOut(
        accepted=verdict.accepted,
        violations=[
            ViolationOut(rule=v.rule.value, hard=v.hard, message=v.message, worker_id=v.worker_id)
            for v in verdict.violations
        ],
    )
    if not verdict.accepted:
        raise handlers.MoveRefused(
            "The move breaks rules: "
            + "; ".join(f"{v.rule} ({'hard' if v.hard else 'soft'}): {v.message}" for v in out.violations)
            + (
                ""
                if any(v.hard for v in out.violations)
                else ". Give override_reason to accept the soft ones."
            ),
            errors=[{"field": "body.workers", "reason": f"{v.rule}: {v.message}"} for v in out.violations],
            violations=[v.model_dump(mode="json") for v in out.violations],
        )
    return out


# ---- schedules -----------------------------------------------------------------------------------


class ScheduledVisitOut(BaseModel):
    """One visit of a worker's day, as the worker's app shows it (000 P18, P20)."""

    visit_id: UUID
    individual_id: UUID
    start: datetime
    end: datetime
    local_start: str
    duration_minutes: int
    travel_minutes_before: int
    address: str
    tasks: list[str]
    co_worker: UUID | None


class ScheduleOut(BaseModel):
    """A worker's day: the published version, and each visit in order."""

    worker_id: UUID
    date: date
    time_zone: str
    version: int
    visits: list[ScheduledVisitOut]


@router.get("/workers/{worker_id}/schedule", summary="A worker's day", tags=["workforce"])
async def worker_schedule(
    worker_id: UUID, day: Annotated[LocalDay, Query(alias="date")], uow: UoW, config: Config
) -> ScheduleOut:
    """Times, travel, addresses, tasks and the time allocated per visit."""
    zone = ZoneInfo(config.time_zone)
    async with uow:
        profile = await uow.planning.get(worker_id)
        version = await uow.schedules.version(worker_id, day)
        theirs = [
            v
            for v in await uow.visits.of_day(day)
            if worker_id in v.workers and v.status.value == "scheduled"
        ]
        addresses = {}
        for visit in theirs:
            package = await uow.packages.get(visit.package_id)
            addresses[visit.id] = package.address if package else ""
    theirs.sort(key=lambda v: v.allocated_start or v.planned_start)
    mode = profile.transport if profile else "car"
    out: list[ScheduledVisitOut] = []
    for i, visit in enumerate(theirs):
        start = visit.allocated_start or visit.planned_start
        before = config.travel.matrix([theirs[i - 1].location, visit.location], mode)[0][1] if i else 0
        out.append(
            ScheduledVisitOut(
                visit_id=visit.id,
                individual_id=visit.individual_id,
                start=start,
                end=start + timedelta(minutes=visit.duration_minutes),
                local_start=start.astimezone(zone).strftime("%H:%M"),
                duration_minutes=visit.duration_minutes,
                travel_minutes_before=before,
                address=addresses[visit.id],
                tasks=list(visit.tasks),
                co_worker=next((w for w in visit.workers if w != worker_id), None),
            )
        )
    return ScheduleOut(worker_id=worker_id, date=day, time_zone=config.time_zone, version=version, visits=out)


@router.get(
    "/workers/{worker_id}/schedule.ics",
    summary="A worker's schedule as an iCalendar feed",
    tags=["workforce"],
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar"}},
)
async def worker_calendar(
    worker_id: UUID,
    uow: UoW,
    config: Config,
    day: Annotated[LocalDay, Query(alias="from", description="First local day")],
    days: Annotated[int, Query(ge=1, le=28, description="How many days")] = 7,
) -> Response:
    """Subscribe from a phone: each visit an event (UID = visit id, SEQUENCE = the day's version)."""
    events: list[CalendarVisit] = []
    for offset in range(days):
        schedule = await worker_schedule(worker_id, day + timedelta(days=offset), uow, config)
        for visit in schedule.visits:
            together = f" with {visit.co_worker}" if visit.co_worker else ""
            events.append(
                CalendarVisit(
                    visit_id=visit.visit_id,
                    start=visit.start,
                    end=visit.end,
                    summary=f"Visit ({visit.duration_minutes} min){together}",
                    address=visit.address,
                    description="Tasks: "
                    + (", ".join(visit.tasks) or "see the care plan")
                    + f"\nTravel before: {visit.travel_minutes_before} min",
                    sequence=schedule.version,
                )
            )
    body = calendar(f"Rounds visits {worker_id}", events, uow.clock.now())
    return Response(body, media_type="text/calendar; charset=utf-8")


class GenerationOut(BaseModel):
    """How many visits came into the horizon."""

    visits_scheduled: int
    horizon_days: int


@router.post(
    "/visit-generation",
    summary="Generate every package's visits up to the horizon",
    tags=["packages"],
)
async def generate_visits(uow: UoW, config: Config) -> GenerationOut:
    """Run daily (a scheduler or CronJob): days that came into the horizon get their visits, announced."""
    added = await handlers.extend_horizon(uow, config)
    return GenerationOut(visits_scheduled=added, horizon_days=config.horizon_days)


class VisitingWorkerOut(BaseModel):
    """Who is coming, as the individual knows them (000 P44)."""

    id: UUID
    given_name: str


class IndividualVisitOut(BaseModel):
    """One of an individual's visits: when, for how long, who, and whether it goes ahead."""

    visit_id: UUID
    local_date: date
    start: datetime
    local_start: str
    duration_minutes: int
    status: str
    tasks: list[str]
    workers: list[VisitingWorkerOut]


class IndividualScheduleOut(BaseModel):
    """An individual's visits over some days, in the provider's zone."""

    individual_id: UUID
    time_zone: str
    visits: list[IndividualVisitOut]


@router.get(
    "/individuals/{individual_id}/schedule",
    summary="An individual's visits: when and who is coming",
    tags=["visits"],
)
async def individual_schedule(
    individual_id: UUID,
    uow: UoW,
    config: Config,
    day: Annotated[LocalDay, Query(alias="from", description="First local day")],
    days: Annotated[int, Query(ge=1, le=28, description="How many days")] = 7,
) -> IndividualScheduleOut:
    """000 P44: the individual (and key people they allow) see when visits are and who comes."""
    zone = ZoneInfo(config.time_zone)
    async with uow:
        visits = await uow.visits.of_individual(individual_id, day, day + timedelta(days=days - 1))
        names: dict[UUID, str] = {}
        for worker_id in {w for v in visits for w in v.workers}:
            worker = await uow.workers.get(worker_id)
            names[worker_id] = worker.given_name if worker else ""
    out = []
    for visit in visits:
        start = visit.allocated_start or visit.planned_start
        out.append(
            IndividualVisitOut(
                visit_id=visit.id,
                local_date=visit.local_date,
                start=start,
                local_start=start.astimezone(zone).strftime("%H:%M"),
                duration_minutes=visit.duration_minutes,
                status=visit.status.value,
                tasks=list(visit.tasks),
                workers=[VisitingWorkerOut(id=w, given_name=names[w]) for w in visit.workers],
            )
        )
    return IndividualScheduleOut(individual_id=individual_id, time_zone=config.time_zone, visits=out)
