"""Retention (issue 12): the schedule per record type, and the run that anonymises what is past it."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from services.people.api.common import UoW
from services.people.domain.retention import SCHEDULE
from services.people.handlers import retention as handlers

router = APIRouter(tags=["retention"])


class RetentionRuleOut(BaseModel):
    """How long one kind of record is kept, what happens then, and why."""

    record: str
    kept_for: str
    then: str
    basis: str


class RetentionRunOut(BaseModel):
    """What a run did: the day it judged by, whom it anonymised, and how many it left alone."""

    run_on: date
    anonymised: list[UUID]
    still_retained: int
    already_anonymised: int


@router.get("/retention-schedule", summary="How long each kind of record is kept")
async def retention_schedule() -> list[RetentionRuleOut]:
    """The retention schedule of the people service, one rule per kind of record (see docs/people.md)."""
    return [RetentionRuleOut(**vars(rule)) for rule in SCHEDULE]


@router.post("/retention-runs", summary="Anonymise individuals whose retention has run out")
async def run_retention(uow: UoW) -> RetentionRunOut:
    """Anonymise every individual whose care ended more than 8 years before today (the provider's day by
    the service clock), announcing ``rounds.individual.anonymised.v1`` for each. Idempotent: run it daily
    from a scheduler; a second run the same day anonymises nobody."""
    run = await handlers.run_retention(uow)
    return RetentionRunOut(**vars(run))
