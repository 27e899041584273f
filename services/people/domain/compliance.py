"""Whether a worker may be sent out on a given day (000 P1, P6; 004 HCPC registration and DBS re-checks).

The rule is pure: the worker's record and a local calendar day in, a verdict with its reasons out.

**Expiry dates.** Every ``expires_on`` (training, registration) and the DBS ``recheck_due`` is read as
*the first day it no longer counts*: on the expiry day itself the worker may not work. Certificates
rarely say whether they lapse at the start or the end of their date, and a visit at 07:00 on that day
would otherwise depend on the answer; we take the reading that never sends an unchecked worker into
someone's home, and show the date to coordinators so they can renew in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.people.domain.workers import EmploymentStatus, Worker, WorkerRole

#: Roles that must hold a current professional registration, and the bodies that count for each.
REGISTRATION_REQUIRED: dict[WorkerRole, frozenset[str]] = {
    WorkerRole.NURSE: frozenset({"NMC"}),
    WorkerRole.OCCUPATIONAL_THERAPIST: frozenset({"HCPC"}),  # 004: "Registration with the HCPC is required"
}


@dataclass(frozen=True)
class ComplianceVerdict:
    """Whether the worker may work on ``day`` and, when not, every reason why (stable codes)."""

    day: date
    may_work: bool
    reasons: tuple[str, ...]


def is_current(expires_on: date | None, day: date) -> bool:
    """Whether something with this expiry date still counts on ``day`` (no expiry: always)."""
    return expires_on is None or day < expires_on


def compliance_on(worker: Worker, day: date) -> ComplianceVerdict:
    """The verdict for ``worker`` on the local calendar day ``day``."""
    reasons: list[str] = []
    if worker.status is EmploymentStatus.ENDED and (worker.ended_on is None or worker.ended_on <= day):
        reasons.append("employment_ended")
    if worker.start_date is not None and day < worker.start_date:
        reasons.append("not_started")
    reasons.extend(_registration_reasons(worker, day))
    reasons.extend(_dbs_reasons(worker, day))
    reasons.extend(
        f"mandatory_training_expired:{c.name}"
        for c in worker.competencies
        if c.mandatory and not is_current(c.expires_on, day)
    )
    return ComplianceVerdict(day=day, may_work=not reasons, reasons=tuple(reasons))


def _registration_reasons(worker: Worker, day: date) -> list[str]:
    bodies = REGISTRATION_REQUIRED.get(worker.role)
    if not bodies:
        return []
    held = [r for r in worker.registrations if r.body.upper() in bodies]
    if not held:
        return ["registration_missing"]
    if not any(is_current(r.expires_on, day) for r in held):
        return ["registration_expired"]
    return []


def _dbs_reasons(worker: Worker, day: date) -> list[str]:
    # Everyone who enters individuals' homes is in regulated activity: an enhanced DBS is required.
    if worker.dbs is None:
        return ["dbs_missing"]
    if not is_current(worker.dbs.recheck_due, day):
        return ["dbs_recheck_overdue"]
    return []
