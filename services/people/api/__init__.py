"""The people service's HTTP routes: parse, call a handler, shape the response."""

from __future__ import annotations

from fastapi import APIRouter

from services.people.api import workers

router = APIRouter()
router.include_router(workers.router)
router.include_router(workers.organisation_router)
