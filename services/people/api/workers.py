"""Workers, their compliance, localities and teams."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from rounds.infra.problems import NotFound
from services.people.adapters.repository import name_key
from services.people.api.common import (
    GeoIn,
    IfMatch,
    Name,
    ShortText,
    UoW,
    decode_cursor,
    encode_cursor,
    expected_version,
    link_next,
    set_etag,
)
from services.people.domain.compliance import ComplianceVerdict
from services.people.domain.geo import Coordinates
from services.people.domain.organisation import Locality, Team
from services.people.domain.workers import (
    Competency,
    ContractType,
    DbsCheck,
    EmploymentStatus,
    ProgressStatus,
    Registration,
    TransportMode,
    Worker,
    WorkerRole,
)
from services.people.errors import Invalid
from services.people.handlers import workers as handlers
from services.people.handlers.common import provider_time_zone

router = APIRouter(tags=["workers"])
organisation_router = APIRouter(tags=["organisation"])


class CompetencyIo(BaseModel):
    """A skill or training with its evidence; ``expires_on`` is the first day it no longer counts."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText
    evidence: Annotated[str, Field(max_length=1000)] | None = None
    achieved_on: date | None = None
    expires_on: date | None = None
    mandatory: bool = Field(
        default=False, description="Mandatory training: when expired the worker may not work."
    )


class RegistrationIo(BaseModel):
    """A professional registration, e.g. ``HCPC`` or ``NMC``, and the first day it no longer counts."""

    model_config = ConfigDict(extra="forbid")

    body: ShortText = Field(examples=["HCPC"])
    number: ShortText = Field(examples=["OT12345"])
    expires_on: date | None = None


class DbsIo(BaseModel):
    """The DBS certificate and when it must be checked again (the re-check date itself is overdue)."""

    model_config = ConfigDict(extra="forbid")

    certificate_number: ShortText
    issued_on: date
    recheck_due: date | None = None
    level: ShortText = "enhanced"


class WorkerDetails(BaseModel):
    """The optional parts of a worker's record."""

    model_config = ConfigDict(extra="forbid")

    job_title: Name | None = None
    contract_type: ContractType | None = None
    probation_status: ProgressStatus | None = None
    induction_status: ProgressStatus | None = None
    competencies: list[CompetencyIo] = Field(default_factory=list, max_length=200)
    registrations: list[RegistrationIo] = Field(default_factory=list, max_length=20)
    dbs: DbsIo | None = None
    languages: list[ShortText] = Field(default_factory=list, max_length=20)
    gender: ShortText | None = Field(default=None, examples=["female"])
    home_base: GeoIn | None = None
    transport_mode: TransportMode | None = None
    line_manager_id: UUID | None = None
    team_id: UUID | None = None


class WorkerIn(WorkerDetails):
    """A member of staff to register."""

    given_name: Name
    family_name: Name
    role: WorkerRole
    locality: Name = Field(description="The locality (branch) the worker belongs to.")
    skills: list[ShortText] = Field(
        default_factory=list, max_length=100, examples=[["personal_care", "medication"]]
    )
    contracted_hours_per_week: float | None = Field(default=None, ge=0, le=80)
    start_date: date | None = None


class WorkerPatch(BaseModel):
    """Fields to change; those left out stay as they are (send ``null`` to clear an optional one)."""

    model_config = ConfigDict(extra="forbid")

    given_name: Name | None = None
    family_name: Name | None = None
    role: WorkerRole | None = None
    locality: Name | None = None
    skills: list[ShortText] | None = Field(default=None, max_length=100)
    contracted_hours_per_week: float | None = Field(default=None, ge=0, le=80)
    start_date: date | None = None
    job_title: Name | None = None
    contract_type: ContractType | None = None
    probation_status: ProgressStatus | None = None
    induction_status: ProgressStatus | None = None
    competencies: list[CompetencyIo] | None = Field(default=None, max_length=200)
    registrations: list[RegistrationIo] | None = Field(default=None, max_length=20)
    dbs: DbsIo | None = None
    languages: list[ShortText] | None = Field(default=None, max_length=20)
    gender: ShortText | None = None
    home_base: GeoIn | None = None
    transport_mode: TransportMode | None = None
    line_manager_id: UUID | None = None
    team_id: UUID | None = None


_REQUIRED_ON_PATCH = ("given_name", "family_name", "role", "locality", "skills")


def domain_fields(body: BaseModel, fields: set[str]) -> dict[str, Any]:
    """The fields of ``body`` named in ``fields`` as the domain's :class:`Worker` holds them."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(body, name)
        if name == "competencies":
            value = [Competency(**c.model_dump()) for c in value or []]
        elif name == "registrations":
            value = [Registration(**r.model_dump()) for r in value or []]
        elif name == "languages":
            value = list(value or [])
        elif name == "dbs" and value is not None:
            value = DbsCheck(**value.model_dump())
        elif name == "home_base" and value is not None:
            value = Coordinates(value.lat, value.lon)
        out[name] = value
    return out


class WorkerOut(BaseModel):
    """A worker's record."""

    id: UUID
    given_name: str
    family_name: str
    role: WorkerRole
    locality: str
    skills: list[str]
    contracted_hours_per_week: float | None
    start_date: date | None
    job_title: str | None = None
    contract_type: ContractType | None = None
    probation_status: ProgressStatus | None = None
    induction_status: ProgressStatus | None = None
    competencies: list[CompetencyIo] = Field(default_factory=list)
    registrations: list[RegistrationIo] = Field(default_factory=list)
    dbs: DbsIo | None = None
    languages: list[str] = Field(default_factory=list)
    gender: str | None = None
    home_base: GeoIn | None = None
    transport_mode: TransportMode | None = None
    line_manager_id: UUID | None = None
    team_id: UUID | None = None
    status: EmploymentStatus = EmploymentStatus.ACTIVE
    ended_on: date | None = None
    version: int = 1

    @classmethod
    def of(cls, worker: Worker) -> WorkerOut:
        """The response body for ``worker``."""
        return cls(
            id=worker.id,
            given_name=worker.given_name,
            family_name=worker.family_name,
            role=worker.role,
            locality=worker.locality,
            skills=worker.skills,
            contracted_hours_per_week=worker.contracted_hours_per_week,
            start_date=worker.start_date,
            job_title=worker.job_title,
            contract_type=worker.contract_type,
            probation_status=worker.probation_status,
            induction_status=worker.induction_status,
            competencies=[CompetencyIo(**vars(c)) for c in worker.competencies],
            registrations=[RegistrationIo(**vars(r)) for r in worker.registrations],
            dbs=DbsIo(**vars(worker.dbs)) if worker.dbs else None,
            languages=worker.languages,
            gender=worker.gender,
            home_base=GeoIn(lat=worker.home_base.lat, lon=worker.home_base.lon) if worker.home_base else None,
            transport_mode=worker.transport_mode,
            line_manager_id=worker.line_manager_id,
            team_id=worker.team_id,
            status=worker.status,
            ended_on=worker.ended_on,
            version=worker.version,
        )


class ComplianceOut(BaseModel):
    """Whether the worker may work on ``day`` and why not (000 P1; 004 registration and DBS)."""

    worker_id: UUID
    day: date
    may_work: bool
    reasons: list[str]

    @classmethod
    def of(cls, worker_id: UUID, verdict: ComplianceVerdict) -> ComplianceOut:
        """The body for one verdict."""
        return cls(
            worker_id=worker_id, day=verdict.day, may_work=verdict.may_work, reasons=list(verdict.reasons)
        )


class EndIn(BaseModel):
    """The first day the worker no longer works for the provider."""

    model_config = ConfigDict(extra="forbid")

    ended_on: date


@router.post("/workers", status_code=status.HTTP_201_CREATED, summary="Register a worker")
async def register_worker(body: WorkerIn, uow: UoW, response: Response) -> WorkerOut:
    """Add a member of staff; other services learn of them through ``rounds.worker.registered.v1``."""
    details = domain_fields(body, set(WorkerDetails.model_fields) & body.model_fields_set)
    worker = await handlers.register_worker(
        uow,
        handlers.RegisterWorker(
            given_name=body.given_name,
            family_name=body.family_name,
            role=body.role,
            locality=body.locality,
            skills=body.skills,
            contracted_hours_per_week=body.contracted_hours_per_week,
            start_date=body.start_date,
            details=details,
        ),
    )
    response.headers["Location"] = f"workers/{worker.id}"
    set_etag(response, worker.version)
    return WorkerOut.of(worker)


@router.get("/workers/{worker_id}", summary="Read a worker")
async def get_worker(worker_id: UUID, uow: UoW, response: Response) -> WorkerOut:
    """One worker by id, with its ``ETag`` for a later ``If-Match``."""
    async with uow:
        worker = await uow.workers.get(worker_id)
    if worker is None:
        raise NotFound(f"No worker has id {worker_id}.")
    set_etag(response, worker.version)
    return WorkerOut.of(worker)


@router.patch("/workers/{worker_id}", summary="Change a worker's record")
async def update_worker(
    worker_id: UUID, body: WorkerPatch, uow: UoW, response: Response, if_match: IfMatch = None
) -> WorkerOut:
    """Change the fields sent; announces ``rounds.worker.updated.v1`` (and a compliance change if any)."""
    sent = body.model_fields_set
    cleared = [name for name in _REQUIRED_ON_PATCH if name in sent and getattr(body, name) is None]
    if cleared:
        raise Invalid.on(f"body.{cleared[0]}", "cannot be cleared")
    worker = await handlers.update_worker(
        uow, handlers.UpdateWorker(worker_id, domain_fields(body, sent), expected_version(if_match))
    )
    set_etag(response, worker.version)
    return WorkerOut.of(worker)


@router.post("/workers/{worker_id}/end", summary="Record that a worker leaves")
async def end_worker(
    worker_id: UUID, body: EndIn, uow: UoW, response: Response, if_match: IfMatch = None
) -> WorkerOut:
    """The worker no longer works from ``ended_on``; the record stays for subject access and audit."""
    worker = await handlers.end_worker(uow, worker_id, body.ended_on, expected_version(if_match))
    set_etag(response, worker.version)
    return WorkerOut.of(worker)


@router.get("/workers", summary="List workers")
async def list_workers(
    uow: UoW,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=2000, description="From the previous page's X-Next-Cursor.")
    ] = None,
    locality: Annotated[str | None, Query(max_length=200)] = None,
    role: WorkerRole | None = None,
    status: EmploymentStatus | None = None,
    name: Annotated[str | None, Query(max_length=200, description="Part of a given or family name.")] = None,
) -> list[WorkerOut]:
    """Workers by name, a page at a time; the next page is in the ``Link`` (rel=next) header."""
    after = decode_cursor(cursor, 3)
    async with uow:
        workers = await uow.workers.page(
            limit=limit + 1,
            after=(after[0], after[1], _uuid(after[2])) if after else None,
            locality=locality,
            role=role.value if role else None,
            status=status.value if status else None,
            name=name,
        )
    page, more = workers[:limit], len(workers) > limit
    next_cursor = encode_cursor(list(name_key(page[-1]))) if more else None
    params = {"limit": limit, "locality": locality, "role": role, "status": status, "name": name}
    link_next(response, "workers", next_cursor, params)
    return [WorkerOut.of(worker) for worker in page]


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise Invalid.on("query.cursor", "is not a cursor this service gave") from None


@router.get("/workers/{worker_id}/compliance", summary="Whether a worker may work")
async def worker_compliance(
    worker_id: UUID,
    uow: UoW,
    day: Annotated[
        date | None, Query(description="A local day; default today in the provider's zone.")
    ] = None,
) -> ComplianceOut:
    """Registration, DBS and mandatory training judged for ``day`` (on an expiry day: may not work)."""
    worker, verdict = await handlers.compliance_of(uow, worker_id, day)
    return ComplianceOut.of(worker.id, verdict)


@router.post("/compliance-reviews", summary="Review every worker's compliance for today")
async def review_compliance(uow: UoW) -> list[ComplianceOut]:
    """Run by a scheduler early each local day: ``rounds.worker.compliance.changed.v1`` per change."""
    changes = await handlers.review_compliance(uow)
    return [
        ComplianceOut(worker_id=e.worker_id, day=e.day, may_work=e.may_work, reasons=e.reasons)
        for e in changes
    ]


class LocalityIn(BaseModel):
    """A branch of the provider."""

    model_config = ConfigDict(extra="forbid")

    name: Name


class LocalityOut(BaseModel):
    """A branch of the provider."""

    id: UUID
    name: str

    @classmethod
    def of(cls, locality: Locality) -> LocalityOut:
        """The body for ``locality``."""
        return cls(id=locality.id, name=locality.name)


class TeamIn(BaseModel):
    """A team in a locality."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    locality_id: UUID
    manager_id: UUID | None = None


class TeamOut(BaseModel):
    """A team in a locality."""

    id: UUID
    name: str
    locality_id: UUID
    manager_id: UUID | None
    active: bool = True
    version: int = 1

    @classmethod
    def of(cls, team: Team) -> TeamOut:
        """The body for ``team``."""
        return cls(
            id=team.id,
            name=team.name,
            locality_id=team.locality_id,
            manager_id=team.manager_id,
            active=team.active,
            version=team.version,
        )


class TeamPatch(BaseModel):
    """Fields of a team to change."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    manager_id: UUID | None = None


class OrganisationOut(BaseModel):
    """The provider: its time zone, localities and teams."""

    time_zone: str
    localities: list[LocalityOut]
    teams: list[TeamOut]


@organisation_router.post("/localities", status_code=status.HTTP_201_CREATED, summary="Add a locality")
async def add_locality(body: LocalityIn, uow: UoW) -> LocalityOut:
    """A new branch (names are unique: 409 for a second one with the same name)."""
    return LocalityOut.of(await handlers.add_locality(uow, body.name))


@organisation_router.post("/teams", status_code=status.HTTP_201_CREATED, summary="Add a team")
async def add_team(body: TeamIn, uow: UoW) -> TeamOut:
    """A new team in a locality, optionally led by a manager."""
    return TeamOut.of(await handlers.add_team(uow, body.name, body.locality_id, body.manager_id))


@organisation_router.get("/teams/{team_id}", summary="Read a team")
async def get_team(team_id: UUID, uow: UoW, response: Response) -> TeamOut:
    """One team, with its ``ETag``."""
    async with uow:
        team = await uow.organisation.get_team(team_id)
    if team is None:
        raise NotFound(f"No team has id {team_id}.")
    set_etag(response, team.version)
    return TeamOut.of(team)


@organisation_router.patch("/teams/{team_id}", summary="Change a team")
async def change_team(
    team_id: UUID, body: TeamPatch, uow: UoW, response: Response, if_match: IfMatch = None
) -> TeamOut:
    """Rename it or change its manager (``manager_id: null`` leaves it without one). Stale: 412."""
    if "name" in body.model_fields_set and body.name is None:
        raise Invalid.on("body.name", "cannot be cleared")
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    team = await handlers.change_team(uow, team_id, changes, expected_version(if_match))
    set_etag(response, team.version)
    return TeamOut.of(team)


@organisation_router.post("/teams/{team_id}/end", summary="End a team")
async def end_team(team_id: UUID, uow: UoW, response: Response, if_match: IfMatch = None) -> TeamOut:
    """The team is kept on record, ended (409 while active workers are still in it)."""
    team = await handlers.end_team(uow, team_id, expected_version(if_match))
    set_etag(response, team.version)
    return TeamOut.of(team)


@organisation_router.get("/organisation", summary="The provider's organisation")
async def organisation(uow: UoW) -> OrganisationOut:
    """The provider's time zone (plan and show in it), its localities and teams."""
    async with uow:
        localities = await uow.organisation.list_localities()
        teams = await uow.organisation.list_teams()
    return OrganisationOut(
        time_zone=provider_time_zone(),
        localities=[LocalityOut.of(x) for x in localities],
        teams=[TeamOut.of(t) for t in teams],
    )


@organisation_router.get("/workers/{worker_id}/reports", summary="A manager's direct reports")
async def reports(worker_id: UUID, uow: UoW) -> list[UUID]:
    """Ids of the workers whose line manager is this worker."""
    async with uow:
        if await uow.workers.get(worker_id) is None:
            raise NotFound(f"No worker has id {worker_id}.")
        return await uow.organisation.reports_of(worker_id)
