"""The unit of work: one database transaction holding a state change and the events it causes."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rounds.contracts.base import Event
from rounds.infra.clock import Clock
from rounds.infra.cloudevents import Envelope
from rounds.infra.messaging_tables import inbox, outbox
from rounds.infra.telemetry import inject_traceparent


class UnitOfWork:
    """Begin with ``async with``; ``publish`` events; ``commit`` writes state and outbox together.

    Services subclass it to add their repositories in :meth:`_open_repositories`. Leaving the block
    without a commit rolls everything back, events included.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        source: str,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self.clock = clock
        self._source = source
        self._on_commit = on_commit
        self._pending: list[Envelope] = []
        self.session: AsyncSession

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._pending = []
        self._open_repositories(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.session.rollback()
        await self.session.close()

    def _open_repositories(self, session: AsyncSession) -> None:
        """Attach the service's repositories to ``session``; the base has none."""

    def publish(self, event: Event) -> Envelope:
        """Queue ``event`` to leave through the outbox when this unit of work commits."""
        envelope = Envelope.wrap(
            event, source=self._source, time=self.clock.now(), trace_headers=inject_traceparent()
        )
        self._pending.append(envelope)
        return envelope

    async def already_processed(self, consumer: str, event_id: str) -> bool:
        """Whether ``consumer`` has already handled the event with this id (the inbox)."""
        found = await self.session.execute(
            sa.select(inbox.c.event_id).where(inbox.c.consumer == consumer, inbox.c.event_id == event_id)
        )
        return found.first() is not None

    async def mark_processed(self, consumer: str, envelope: Envelope) -> None:
        """Record in the inbox that ``consumer`` handled ``envelope``; commits with the handler's work."""
        await self.session.execute(
            sa.insert(inbox).values(
                consumer=consumer,
                event_id=envelope.id,
                event_type=envelope.type,
                processed_at=self.clock.now(),
            )
        )

    async def commit(self) -> None:
        """Write the pending events to the outbox and commit them with the state change."""
        if self._pending:
            await self.session.execute(
                sa.insert(outbox),
                [
                    {
                        "event_id": envelope.id,
                        "topic": envelope.topic,
                        "key": envelope.key,
                        "type": envelope.type,
                        "source": envelope.source,
                        "subject": envelope.subject,
                        "time": envelope.time,
                        "data": envelope.data,
                        "trace_headers": envelope.trace_headers,
                    }
                    for envelope in self._pending
                ],
            )
        await self.session.commit()
        published, self._pending = bool(self._pending), []
        if published:
            self._on_commit()
