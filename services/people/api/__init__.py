"""The people service's HTTP routes: parse, call a handler, shape the response."""

from __future__ import annotations

from fastapi import APIRouter

from services.people.api import (
    availability,
    export,
    fhir,
    individuals,
    oncall,
    plans,
    risk,
    workers,
)

router = APIRouter()
for part in (
    workers.router,
    workers.organisation_router,
    individuals.router,
    individuals.key_people_router,
    individuals.access_router,
    plans.router,
    oncall.router,
    availability.router,
    risk.router,
    fhir.router,
    export.router,
):
    router.include_router(part)
