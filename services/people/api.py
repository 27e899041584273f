"""The people service's HTTP routes: parse, call a handler, shape the response."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rounds.infra.problems import NotFound
from rounds.infra.service import unit_of_work_from
from services.people import handlers
from services.people.domain.workers import Worker, WorkerRole
from services.people.unit_of_work import PeopleUnitOfWork

router = APIRouter(tags=["workers"])

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
UoW = Annotated[PeopleUnitOfWork, Depends(unit_of_work_from)]


class WorkerIn(BaseModel):
    """A member of staff to register."""

    model_config = ConfigDict(extra="forbid")

    given_name: Name
    family_name: Name
    role: WorkerRole
    locality: Name = Field(description="The locality (branch) the worker belongs to.")
    skills: list[Skill] = Field(
        default_factory=list, max_length=100, examples=[["personal_care", "medication"]]
    )
    contracted_hours_per_week: float | None = Field(default=None, ge=0, le=80)
    start_date: date | None = None


class WorkerOut(BaseModel):
    """A registered worker."""

    id: UUID
    given_name: str
    family_name: str
    role: WorkerRole
    locality: str
    skills: list[str]
    contracted_hours_per_week: float | None
    start_date: date | None

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
        )


@router.post("/workers", status_code=status.HTTP_201_CREATED, summary="Register a worker")
async def register_worker(body: WorkerIn, uow: UoW, response: Response) -> WorkerOut:
    """Add a member of staff; other services learn of them through ``rounds.worker.registered.v1``."""
    worker = await handlers.register_worker(uow, handlers.RegisterWorker(**body.model_dump()))
    response.headers["Location"] = f"workers/{worker.id}"
    return WorkerOut.of(worker)


@router.get("/workers/{worker_id}", summary="Read a worker")
async def get_worker(worker_id: UUID, uow: UoW) -> WorkerOut:
    """One worker by id."""
    async with uow:
        worker = await uow.workers.get(worker_id)
    if worker is None:
        raise NotFound(f"No worker has id {worker_id}.")
    return WorkerOut.of(worker)


@router.get("/workers", summary="List workers")
async def list_workers(
    uow: UoW,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[WorkerOut]:
    """Workers by name, a page at a time."""
    async with uow:
        workers = await uow.workers.list(limit=limit, offset=offset)
    return [WorkerOut.of(worker) for worker in workers]
