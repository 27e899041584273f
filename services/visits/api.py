"""The visits service's HTTP routes.

Check-in and check-out telemetry, visit records and the monitor come with the visits issue.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["visits"])
