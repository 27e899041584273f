"""Who may read an individual's access notes and key-safe code (000 P14-P16: entering homes safely).

Key-safe codes open a vulnerable person's front door. Coordinators (and registered managers) may read
them at any time; a worker only during a visit they are allocated to, from a little before its start
to a little after its end; nobody else. Every read is recorded, granted or not.

**Visit windows are data, not claims.** The windows are held by the people service
(``POST /individuals/{id}/visit-windows``); today the rota or a coordinator records them, later a
consumer of rota's allocation events will. A reader cannot widen their own window by what they send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

#: A worker may read the code this long before the visit starts (they may arrive early within the
#: visit's flexibility and must not wait on the doorstep)...
LEAD = timedelta(minutes=30)
#: ...and this long after it ends (to lock up and return the key to the safe after an overrun).
GRACE = timedelta(minutes=30)

COORDINATING_ROLES = frozenset({"coordinator", "registered_manager"})
VISITING_ROLES = frozenset({"care_worker", "senior_care_worker", "nurse", "occupational_therapist"})


@dataclass(frozen=True)
class Reader:
    """Who asks: their id (a worker id for staff) and role, as the gateway vouches for them."""

    id: str
    role: str


@dataclass(frozen=True)
class VisitWindow:
    """A worker's allocated visit to an individual, from ``starts_at`` to ``ends_at`` (UTC)."""

    id: UUID
    individual_id: UUID
    worker_id: UUID
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class AccessDecision:
    """Whether the read is allowed, and why (the reason is recorded in the audit)."""

    granted: bool
    reason: str


def may_read_access_notes(
    reader: Reader, individual_id: UUID, windows: list[VisitWindow], now: datetime
) -> AccessDecision:
    """Decide whether ``reader`` may read ``individual_id``'s access notes at ``now``."""
    if reader.role in COORDINATING_ROLES:
        return AccessDecision(True, f"{reader.role} may read access notes")
    if reader.role not in VISITING_ROLES:
        return AccessDecision(False, f"the {reader.role} role may not read access notes")
    for window in windows:
        if (
            window.individual_id == individual_id
            and str(window.worker_id) == reader.id
            and window.starts_at - LEAD <= now <= window.ends_at + GRACE
        ):
            return AccessDecision(True, f"within visit window {window.id}")
    return AccessDecision(False, "no visit to this individual is allocated to the reader at this time")
