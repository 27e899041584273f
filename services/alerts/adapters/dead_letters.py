"""The operations alerts about dead letters: stored once per original message, listed newest first."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.adapters.tables import dead_letters
from services.alerts.domain.dead_letters import DeadLetter


@dataclass(frozen=True)
class DeadLetterRecord:
    """A stored operations alert."""

    id: UUID
    original_topic: str
    original_partition: int
    original_offset: int
    service: str
    consumer: str
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


class DeadLetterRepository:
    """The ``dead_letters`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def find(self, topic: str, partition: int, offset: int) -> UUID | None:
        """The alert already stored for the message first published at this place, if any."""
        found: UUID | None = await self._session.scalar(
            sa.select(dead_letters.c.id).where(
                dead_letters.c.original_topic == topic,
                dead_letters.c.original_partition == partition,
                dead_letters.c.original_offset == offset,
            )
        )
        return found

    async def add(self, letter: DeadLetter, now: datetime) -> UUID:
        """Store a new operations alert (the unique key refuses a second one for the same message)."""
        alert_id = uuid4()
        await self._session.execute(
            sa.insert(dead_letters).values(id=alert_id, recorded_at=now, **asdict(letter))
        )
        return alert_id

    async def page(self, before: tuple[datetime, UUID] | None, limit: int) -> list[DeadLetterRecord]:
        """Newest first; ``before`` is the (recorded_at, id) of the last one already shown."""
        query = sa.select(dead_letters).order_by(dead_letters.c.recorded_at.desc(), dead_letters.c.id.desc())
        if before is not None:
            at, last = before
            query = query.where(
                sa.or_(
                    dead_letters.c.recorded_at < at,
                    sa.and_(dead_letters.c.recorded_at == at, dead_letters.c.id < last),
                )
            )
        rows = await self._session.execute(query.limit(limit))
        return [DeadLetterRecord(**row._mapping) for row in rows]
