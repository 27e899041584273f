"""When a planning run has been abandoned: its process stopped before it could finish or fail it."""

from __future__ import annotations

from datetime import datetime, timedelta

# Beyond its time limit a run still loads the day, saves and announces; two minutes covers that
# on a busy machine, so a run another replica is still finishing is never failed under it.
ABANDON_GRACE = timedelta(minutes=2)
ABANDONED_ERROR = "Interrupted: the rota service stopped before this run finished. Start a new run."


def is_abandoned(status: str, created_at: datetime, time_limit_s: float, now: datetime) -> bool:
    """Whether a queued or running run can no longer be finishing anywhere."""
    if status not in ("queued", "running"):
        return False
    return now - created_at > timedelta(seconds=time_limit_s) + ABANDON_GRACE
