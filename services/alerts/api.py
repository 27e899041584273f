"""The alerts service's HTTP routes. Alert rules, escalation and notifications come with the alerts issue."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["alerts"])
