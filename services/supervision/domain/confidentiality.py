"""Who may read a worker's supervision records (004 1.37-1.38, appendix 1 "Records of Supervision").

Supervision records are confidential: the member of staff, their supervisor and the supervisor's
line manager (who "has a right of access on behalf of the Directorate") may read them. Anyone else
reads them only through a recorded share, made with the member of staff's consent or, where consent
was not given or not possible, with the reason explained to them (004 1.38). Every read is audited.

The caller's identity is an explicit argument for now; the gateway will supply it once it
authenticates callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from services.supervision.domain.errors import NotAllowed, RuleBroken


class AccessBasis(StrEnum):
    """Why a reader may see the records (kept with each audited read)."""

    SELF = "self"
    SUPERVISOR = "supervisor"
    SUPERVISORS_LINE_MANAGER = "supervisors_line_manager"
    SHARED_WITH_CONSENT = "shared_with_consent"
    SHARED_WITH_REASON = "shared_with_reason"
    DENIED = "denied"


@dataclass(frozen=True)
class RecordShare:
    """Records of ``worker_id`` shared with ``shared_with`` for ``purpose`` (004 1.37-1.38)."""

    id: UUID
    worker_id: UUID
    shared_with: UUID
    purpose: str
    consent_given: bool
    reason: str | None
    shared_by: UUID
    shared_at: datetime
    until: date | None = None

    def open_on(self, today: date) -> bool:
        """Whether the share still gives access on ``today``."""
        return self.until is None or today <= self.until


@dataclass(frozen=True)
class Readers:
    """The people around a worker's records: their supervisors (current and those who wrote
    records) and each of those supervisors' line managers."""

    worker_id: UUID
    supervisors: frozenset[UUID]
    supervisors_line_managers: frozenset[UUID]


def access_basis(caller: UUID, readers: Readers, shares: list[RecordShare], today: date) -> AccessBasis:
    """Why ``caller`` may read ``readers.worker_id``'s supervision records, or DENIED."""
    if caller == readers.worker_id:
        return AccessBasis.SELF
    if caller in readers.supervisors:
        return AccessBasis.SUPERVISOR
    if caller in readers.supervisors_line_managers:
        return AccessBasis.SUPERVISORS_LINE_MANAGER
    for share in shares:
        if share.shared_with == caller and share.open_on(today):
            return AccessBasis.SHARED_WITH_CONSENT if share.consent_given else AccessBasis.SHARED_WITH_REASON
    return AccessBasis.DENIED


def check_share(share: RecordShare, readers: Readers) -> None:
    """Sharing beyond the three is recorded with consent or the reason (004 1.38)."""
    if share.shared_by not in readers.supervisors | readers.supervisors_line_managers:
        raise NotAllowed("only the supervisor or the supervisor's line manager shares supervision records")
    if share.shared_with == share.worker_id:
        raise RuleBroken("shared_with", "the member of staff already sees their own records")
    if not share.purpose.strip():
        raise RuleBroken(
            "purpose", "say why the records are shared, e.g. audit or a disciplinary procedure (004 1.37)"
        )
    if not share.consent_given and not (share.reason or "").strip():
        raise RuleBroken(
            "reason",
            "without the member of staff's consent, record the reason that was explained to them (004 1.38)",
        )
