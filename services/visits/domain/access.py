"""Who may see and act on a visit: the relationship rules only the visits service can apply.

The gateway has checked the caller's role against the route; here the caller's relationship to the
visit decides (000 P18, P20: a worker knows and records their own visits, nobody else's).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.visits.domain.errors import NotAllowed
from services.visits.domain.visits import ExpectedVisit

#: Staff who see visits across a provider (a coordinator only in their localities).
OVERSEERS = frozenset({"registered_manager", "partner_system"})


@dataclass(frozen=True)
class Caller:
    """The caller as ``X-Rounds-Actor`` names them."""

    subject: str
    role: str
    worker_id: UUID | None = None
    localities: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        """How records and the read audit name the caller."""
        return f"{self.role}:{self.worker_id or self.subject}"


def worker_recording(caller: Caller) -> UUID:
    """The worker a doorstep record is made by: only a care worker records, as themself."""
    if caller.role != "care_worker" or caller.worker_id is None:
        raise NotAllowed("Only the care worker allocated to a visit records at its doorstep.")
    return caller.worker_id


def may_read(caller: Caller, visit: ExpectedVisit) -> None:
    """A worker reads their allocated visits, a coordinator their localities', overseers any."""
    if caller.role in OVERSEERS:
        return
    if caller.role == "coordinator" and visit.locality in caller.localities:
        return
    if (
        caller.role == "care_worker"
        and caller.worker_id is not None
        and visit.is_allocated_to(caller.worker_id)
    ):
        return
    raise NotAllowed("This visit is not one of yours to see.")


def may_amend(caller: Caller, visit: ExpectedVisit) -> None:
    """Corrections are made by the coordinator of the locality or a registered manager."""
    if caller.role == "registered_manager":
        return
    if caller.role == "coordinator" and visit.locality in caller.localities:
        return
    raise NotAllowed("Only the locality's coordinator or a registered manager amends visit records.")


def may_read_locality(caller: Caller, locality: str) -> None:
    """A locality's day is for its coordinators and the provider's overseers."""
    if caller.role in OVERSEERS or (caller.role == "coordinator" and locality in caller.localities):
        return
    raise NotAllowed(f"The visits of {locality!r} are not yours to see.")


def may_read_worker(caller: Caller, worker_id: UUID) -> None:
    """A worker reads their own day; coordinators and overseers any worker's (the gateway narrows)."""
    if caller.role == "care_worker" and caller.worker_id != worker_id:
        raise NotAllowed("A care worker sees only their own visits.")
    if caller.role not in ("care_worker", "coordinator", *OVERSEERS):
        raise NotAllowed("This worker's visits are not yours to see.")


def may_manage(caller: Caller) -> None:
    """Thresholds and NFC tags are set by coordinators and registered managers."""
    if caller.role not in ("coordinator", "registered_manager"):
        raise NotAllowed("Only coordinators and registered managers change monitor thresholds and tags.")
