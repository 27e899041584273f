"""The record of a supervision meeting (004 1.24-1.32, appendix 2).

The supervisor records during the meeting (004 1.25). The record covers the review of the previous
meeting's tasks, the DBS-change question (004 1.27, appendix 2 item 6), the management, evaluation
and development, and support functions (each with tasks, by whom and by what date), and any conflict
or disagreement. Everyone in the meeting signs it. Where they fail to agree, the record says what
they disagree on, how it will be resolved and by when (004 1.32, appendix 1). Any change clears the
signatures given so far, so everyone signs the same content; once all have signed, the record is
immutable and a correction is a new record that amends it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from services.supervision.domain.errors import AlreadySigned, NotAllowed, RuleBroken


class SupervisionFunction(StrEnum):
    """The functions of supervision that actions belong to (004 1.6, appendix 2 items 7-9)."""

    MANAGEMENT = "management"
    DEVELOPMENT = "development"
    SUPPORT = "support"


@dataclass(frozen=True)
class Action:
    """A task agreed in supervision: what, by whom and by what date (004 appendix 2, 1.30)."""

    function: SupervisionFunction
    description: str
    owner_id: UUID
    due_on: date


@dataclass(frozen=True)
class DbsChangeAnswer:
    """004 1.27, appendix 2 item 6: the manager asks whether anything changed since the DBS check."""

    asked: bool
    change_reported: bool
    details: str | None = None


@dataclass(frozen=True)
class Disagreement:
    """004 1.32: what the two fail to agree on, how it will be resolved, and the timescale."""

    raised_by: UUID
    about: str
    how_to_resolve: str
    resolve_by: date


@dataclass(frozen=True)
class RecordContent:
    """What the meeting covered, in the order of the appendix 2 form."""

    meeting_on: date
    duration_minutes: int
    previous_actions_review: str
    dbs_change: DbsChangeAnswer
    management: str
    development: str
    support: str
    conflicts: str = ""
    pdp_reviewed: bool = False
    leave_dates: str = ""
    next_appraisal_review_on: date | None = None
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class SupervisionRecord:
    """The jointly signed record of one session; an amendment is a new record."""

    id: UUID
    session_id: UUID
    supervisor_id: UUID
    supervisee_ids: tuple[UUID, ...]
    content: RecordContent
    created_at: datetime
    version: int = 1
    signatures: dict[UUID, datetime] = field(default_factory=dict)
    disagreement: Disagreement | None = None
    amends_id: UUID | None = None

    @property
    def parties(self) -> tuple[UUID, ...]:
        """Everyone who signs: the supervisor and each member of staff supervised."""
        return (self.supervisor_id, *self.supervisee_ids)

    @property
    def signed(self) -> bool:
        """Whether everyone has signed: the record is then the agreed record (004 1.25)."""
        return all(party in self.signatures for party in self.parties)

    def _changed(self, **changes: object) -> SupervisionRecord:
        if self.signed:
            raise AlreadySigned("a signed record is never changed; write an amendment that refers to it")
        return replace(self, version=self.version + 1, signatures={}, **changes)  # type: ignore[arg-type]

    def revised(self, content: RecordContent, by: UUID) -> SupervisionRecord:
        """The record with new content, written by the supervisor (004 1.25); signatures start again."""
        if by != self.supervisor_id:
            raise NotAllowed("the supervisor records supervision (004 1.25)")
        check_content(content, self.parties)
        return self._changed(content=content)

    def with_disagreement(self, disagreement: Disagreement, *, today: date) -> SupervisionRecord:
        """The record with the disagreement set out (004 1.32); everyone signs it again."""
        if disagreement.raised_by not in self.parties:
            raise NotAllowed("only those in the meeting record a disagreement with its record")
        if not disagreement.about.strip():
            raise RuleBroken("about", "say what is not agreed (004 1.32)")
        if not disagreement.how_to_resolve.strip():
            raise RuleBroken("how_to_resolve", "say how the matter should be resolved (004 1.32)")
        if disagreement.resolve_by < today:
            raise RuleBroken("resolve_by", "the timescale for resolving it cannot be in the past (004 1.32)")
        return self._changed(disagreement=disagreement)

    def signed_by(self, signer_id: UUID, at: datetime) -> SupervisionRecord:
        """The record with ``signer_id``'s signature on its current version."""
        if signer_id not in self.parties:
            raise NotAllowed("only those in the meeting sign its record (004 1.25)")
        if signer_id in self.signatures:
            raise AlreadySigned("this version of the record already carries that signature")
        return replace(self, signatures={**self.signatures, signer_id: at})


def check_content(content: RecordContent, parties: tuple[UUID, ...]) -> None:
    """The appendix 2 form, filled in enough to be a record."""
    if not content.dbs_change.asked:
        raise RuleBroken(
            "dbs_change.asked",
            "managers must ask whether anything changed since the original DBS check "
            "(004 1.27, appendix 2 item 6)",
        )
    if content.dbs_change.change_reported and not (content.dbs_change.details or "").strip():
        raise RuleBroken("dbs_change.details", "record what changed since the DBS check (004 1.27)")
    if content.duration_minutes <= 0:
        raise RuleBroken("duration_minutes", "how long the meeting lasted, in minutes")
    for index, action in enumerate(content.actions):
        if not action.description.strip():
            raise RuleBroken(f"actions.{index}.description", "say what the task is (004 appendix 2)")
        if action.owner_id not in parties:
            raise RuleBroken(f"actions.{index}.owner_id", "tasks are owned by someone in the meeting")
        if action.due_on < content.meeting_on:
            raise RuleBroken(
                f"actions.{index}.due_on", "a task cannot be due before the meeting that agreed it"
            )
