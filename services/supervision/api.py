"""The supervision service's HTTP routes.

Agreements, sessions and the compliance engine come with the supervision issue.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["supervision"])
