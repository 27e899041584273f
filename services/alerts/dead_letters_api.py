"""``GET /alerts/dead-letters``: the operations alerts about messages a service could not process.

For the people who run the platform (the registered manager, a platform admin): each says which
service gave up on which message (its original topic, partition and offset, and event type) and the
cleaned error, never the message's data. Through the gateway the ``/alerts/**`` read rule lets staff
through and this route narrows it: dead letters have no locality, so a coordinator is refused here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.alerts.adapters.dead_letters import DeadLetterRecord
from services.alerts.api import Caller, Forbidden, Limit, UoW, _decode, _encode, caller

router = APIRouter()

_OPERATORS = {"registered_manager", "platform_admin"}


def operator(actor: Annotated[Caller, Depends(caller)]) -> Caller:
    """Only those who run the platform."""
    if actor.role not in _OPERATORS:
        raise Forbidden("Dead letters are for the registered manager and the platform's administrators.")
    return actor


class DeadLetterOut(BaseModel):
    """One operations alert: a message could not be processed."""

    id: UUID
    title: str
    service: str
    consumer: str
    original_topic: str
    original_partition: int
    original_offset: int
    event_type: str | None
    event_id: str | None
    error: str
    error_type: str | None
    attempts: int | None
    dead_letter_topic: str
    dead_letter_partition: int
    dead_letter_offset: int
    dead_lettered_at: datetime
    recorded_at: datetime

    @classmethod
    def of(cls, record: DeadLetterRecord) -> DeadLetterOut:
        """The API shape of a stored alert."""
        return cls(title=f"A message could not be processed by {record.service}", **vars(record))


class DeadLetterPage(BaseModel):
    """A page of operations alerts and the cursor of the next one (None: no more)."""

    items: list[DeadLetterOut]
    next_cursor: str | None


@router.get("/alerts/dead-letters", tags=["operations"], summary="Messages a service could not process")
async def list_dead_letters(
    uow: UoW,
    _actor: Annotated[Caller, Depends(operator)],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
) -> DeadLetterPage:
    """Newest first: one per dead-lettered message, however often its dead letter was delivered."""
    async with uow:
        found = await uow.dead_letters.page(_decode(cursor), limit + 1)
    page = found[:limit]
    more = len(found) > limit
    return DeadLetterPage(
        items=[DeadLetterOut.of(r) for r in page],
        next_cursor=_encode(page[-1].recorded_at, page[-1].id) if more and page else None,
    )
