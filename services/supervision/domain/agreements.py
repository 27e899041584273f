"""Supervision agreements (004 1.11-1.12, appendix 1; 000 P24).

The supervisor and the supervisee agree frequency, duration, venue and expectations, both sign, and
review it by a date. A review is a new agreement: once both sign it, the one before is superseded.
A signed agreement is never edited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from services.supervision.domain.compliance import MAX_SESSION_MINUTES, AgreementState, Frequency
from services.supervision.domain.errors import AlreadySigned, NotAllowed, RuleBroken

# 004 appendix 1, "Expectations and responsibilities", as the policy words them.
DEFAULT_EXPECTATIONS: tuple[str, ...] = (
    "That the supervision sessions will be uninterrupted",
    "That all issues are discussed openly and honestly",
    "That agreed action points will be implemented and feedback given",
    "That confidentiality will be maintained unless there is a need to refer issues outside of the "
    "supervision session",
    "That a record of each supervision session will be kept and an agreed jointly signed copy given to "
    "staff being supervised; where the two fail to agree on the content, the reasons, how the matter "
    "should be resolved and a specified timescale are recorded",
)


class AgreementStatus(StrEnum):
    """Where an agreement stands."""

    AWAITING_SIGNATURES = "awaiting_signatures"
    ACTIVE = "active"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class SupervisionAgreement:
    """One written supervision agreement between a supervisor and a member of staff."""

    id: UUID
    supervisee_id: UUID
    supervisor_id: UUID
    frequency: Frequency
    duration_minutes: int
    venue: str
    agreed_on: date
    review_on: date
    team: str | None = None
    expectations: tuple[str, ...] = DEFAULT_EXPECTATIONS
    supervisee_signed_at: datetime | None = None
    supervisor_signed_at: datetime | None = None
    status: AgreementStatus = AgreementStatus.AWAITING_SIGNATURES
    replaces_id: UUID | None = None
    created_at: datetime | None = None

    @staticmethod
    def draft(
        *,
        id: UUID,
        supervisee_id: UUID,
        supervisor_id: UUID,
        frequency: Frequency,
        duration_minutes: int,
        venue: str,
        agreed_on: date,
        review_on: date,
        team: str | None,
        expectations: tuple[str, ...],
        replaces_id: UUID | None,
        created_at: datetime,
    ) -> SupervisionAgreement:
        """A new agreement awaiting both signatures, checked against the policy."""
        if supervisor_id == supervisee_id:
            raise RuleBroken("supervisor_id", "a worker cannot supervise themselves (004 1.9)")
        if not 15 <= duration_minutes <= MAX_SESSION_MINUTES:
            raise RuleBroken(
                "duration_minutes",
                f"sessions should not normally be more than 1½ hours (004 1.18): "
                f"agree 15 to {MAX_SESSION_MINUTES}",
            )
        if review_on <= agreed_on:
            raise RuleBroken(
                "review_on", "the review date must come after the date of the agreement (004 1.12)"
            )
        if not venue.strip():
            raise RuleBroken("venue", "the supervisor arranges a venue free from interruptions (004 1.15)")
        return SupervisionAgreement(
            id=id,
            supervisee_id=supervisee_id,
            supervisor_id=supervisor_id,
            frequency=frequency,
            duration_minutes=duration_minutes,
            venue=venue.strip(),
            agreed_on=agreed_on,
            review_on=review_on,
            team=team,
            expectations=expectations or DEFAULT_EXPECTATIONS,
            replaces_id=replaces_id,
            created_at=created_at,
        )

    @property
    def parties(self) -> tuple[UUID, UUID]:
        """The two who sign."""
        return (self.supervisee_id, self.supervisor_id)

    def signed_by(self, signer_id: UUID, at: datetime) -> SupervisionAgreement:
        """The agreement with ``signer_id``'s signature; active once both have signed."""
        if signer_id not in self.parties:
            raise NotAllowed(
                "only the supervisor and the member of staff sign their agreement (004 appendix 1)"
            )
        if self.status is not AgreementStatus.AWAITING_SIGNATURES:
            raise AlreadySigned("this agreement is already signed by both; review it with a new agreement")
        if signer_id == self.supervisee_id:
            if self.supervisee_signed_at is not None:
                raise AlreadySigned("the member of staff has already signed this agreement")
            signed = replace(self, supervisee_signed_at=at)
        else:
            if self.supervisor_signed_at is not None:
                raise AlreadySigned("the supervisor has already signed this agreement")
            signed = replace(self, supervisor_signed_at=at)
        if signed.supervisee_signed_at is not None and signed.supervisor_signed_at is not None:
            return replace(signed, status=AgreementStatus.ACTIVE)
        return signed

    def superseded(self) -> SupervisionAgreement:
        """This agreement after its review has been signed by both."""
        return replace(self, status=AgreementStatus.SUPERSEDED)

    def signed_on(self) -> datetime | None:
        """When the second signature landed, if both have."""
        if self.supervisee_signed_at is None or self.supervisor_signed_at is None:
            return None
        return max(self.supervisee_signed_at, self.supervisor_signed_at)

    def for_rules(self, signed_on_local: date | None) -> AgreementState:
        """What the compliance engine needs."""
        return AgreementState(signed_on_local, self.review_on, self.frequency)
