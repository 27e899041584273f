"""The alerts service's unit of work: its repositories in one transaction with the outbox and inbox."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from rounds.infra.unit_of_work import UnitOfWork
from services.alerts.adapters.dead_letters import DeadLetterRepository
from services.alerts.adapters.repository import (
    AlertRepository,
    FeedCursors,
    IncidentRepository,
    NotificationRepository,
    ReadModels,
)
from services.alerts.domain.rules import AlertPolicy


class AlertsUnitOfWork(UnitOfWork):
    """Alerts, notifications, incidents and the read models, with the outbox and inbox."""

    alerts: AlertRepository
    notifications: NotificationRepository
    known: ReadModels
    incidents: IncidentRepository
    feeds: FeedCursors
    dead_letters: DeadLetterRepository
    # The provider's rules and channel switches; the runtime sets it from the settings.
    policy: AlertPolicy = AlertPolicy()
    # Told after a commit that queued notifications; the runtime sets it to the runner's wake.
    notifications_queued: Callable[[], None] | None = None

    async def commit(self) -> None:
        """Commit; then, if notifications were queued, tell the runner so it sends them at once."""
        await super().commit()
        if self.notifications.queued and self.notifications_queued is not None:
            self.notifications.queued = 0
            self.notifications_queued()

    def _open_repositories(self, session: AsyncSession) -> None:
        self.alerts = AlertRepository(session)
        self.notifications = NotificationRepository(session)
        self.known = ReadModels(session)
        self.incidents = IncidentRepository(session)
        self.feeds = FeedCursors(session)
        self.dead_letters = DeadLetterRepository(session)
