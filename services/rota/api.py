"""The rota service's HTTP routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from rounds.infra.problems import NotFound
from rounds.infra.service import unit_of_work_from
from services.rota.domain.workforce import RotaWorker
from services.rota.unit_of_work import RotaUnitOfWork

router = APIRouter(tags=["workforce"])
UoW = Annotated[RotaUnitOfWork, Depends(unit_of_work_from)]


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


@router.get("/workers", summary="List the workers the rota can plan with")
async def list_workers(
    uow: UoW,
    locality: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[RotaWorkerOut]:
    """Workers by name, optionally in one locality."""
    async with uow:
        workers = await uow.workers.list(locality=locality, limit=limit, offset=offset)
    return [RotaWorkerOut.of(worker) for worker in workers]
