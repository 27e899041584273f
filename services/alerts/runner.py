"""The background work of the alerts service: escalate what nobody acknowledged, send what is due.

All its state is in the database (deadlines, queued notifications, leases), so a restarted replica
catches up on everything that fell due while it was down, and two replicas never take the same step:
escalation is claimed by the alert's revision, a send by a lease on the notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from opentelemetry import trace

from rounds.infra.clock import Clock
from rounds.infra.db import is_database_outage
from services.alerts import handlers
from services.alerts.adapters.channels import Channel, LogChannel, OutgoingMessage
from services.alerts.adapters.feed import PartnerFeed, change_payload
from services.alerts.adapters.repository import NotificationRecord
from services.alerts.domain.delivery import DeliveryStatus, Outcome, RetryPolicy, after_attempt
from services.alerts.domain.recipients import ChannelName
from services.alerts.unit_of_work import AlertsUnitOfWork

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class AlertRunner:
    """Escalation and dispatch, one :meth:`tick` at a time (tests call it with a frozen clock)."""

    def __init__(
        self,
        unit_of_work: Callable[[], AlertsUnitOfWork],
        clock: Clock,
        channels: Mapping[ChannelName, Channel],
        retry: RetryPolicy,
        batch_size: int = 100,
        lease: timedelta = timedelta(seconds=60),
        feed: PartnerFeed | None = None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._channels = dict(channels)
        self._fallback = LogChannel()
        self._retry = retry
        self._batch = batch_size
        self._lease = lease
        self._feed = feed
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A notification was queued: tick now rather than at the end of the interval."""
        self._wake.set()

    async def run(self, interval: float) -> None:
        """Tick every ``interval`` or as soon as :meth:`wake` is called, waiting out a database outage.

        Woken, a page is handed to its channel moments after its alert is stored instead of up to an
        interval later (issue 11: threshold -> notification dispatched p99 <= 2 s). Retries, escalation
        deadlines and the other replicas' queued work are still found by the interval's tick.
        """
        while True:
            self._wake.clear()  # a wake during the tick calls for another one straight after
            try:
                await self.tick()
            except Exception as exc:
                if not is_database_outage(exc):
                    log.exception("alerts runner tick failed")
                else:
                    log.warning("alerts runner waiting for the database: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)

    async def tick(self) -> tuple[int, int]:
        """Escalate every due alert and attempt every due notification; returns (escalated, attempted).

        The partner feed, when one is configured, is pushed after them.
        """
        counts = await self.escalate_due(), await self.dispatch_due()
        await self.push_feed()
        return counts

    async def push_feed(self) -> int:
        """Send the partner feed the changes after its cursor; returns how many it accepted.

        One replica holds the feed at a time (a lease); the cursor moves only after a 2xx, so a failed
        or unanswered batch is sent again on the next tick.
        """
        if self._feed is None:
            return 0
        now = self._clock.now()
        async with self._unit_of_work() as uow:
            cursor = await uow.feeds.claim(self._feed.name, now, now + self._lease)
            await uow.commit()
        if cursor is None:
            return 0
        async with self._unit_of_work() as uow:
            found = await uow.alerts.changes_after(cursor, None, self._batch)
        changes = [change_payload(entry, locality, severity) for entry, locality, severity in found]
        outcome = await self._feed.push(changes) if changes else None
        accepted = bool(outcome and outcome.ok)
        async with self._unit_of_work() as uow:
            await uow.feeds.release(
                self._feed.name, found[-1][0].id if accepted else cursor, outcome.error if outcome else None
            )
            await uow.commit()
        return len(changes) if accepted else 0

    async def escalate_due(self) -> int:
        """One step up the chain for each open alert past its deadline."""
        now = self._clock.now()
        async with self._unit_of_work() as uow:
            due = await uow.alerts.due_for_escalation(now, self._batch)
        moved = 0
        for alert_id in due:
            async with self._unit_of_work() as uow:
                if await handlers.escalate(uow, alert_id, uow.policy, now):
                    await uow.commit()
                    moved += 1
        return moved

    async def dispatch_due(self) -> int:
        """One attempt for each queued notification whose time has come."""
        now = self._clock.now()
        async with self._unit_of_work() as uow:
            due = await uow.notifications.due(now, self._batch)
        attempted = 0
        for notification_id in due:
            async with self._unit_of_work() as uow:
                if not await uow.notifications.claim(notification_id, now, now + self._lease):
                    continue  # another replica holds it
                record = await uow.notifications.get(notification_id)
                await uow.commit()
            assert record is not None
            outcome = await self._send(record)
            await self._settle(record, outcome)
            attempted += 1
        return attempted

    async def _send(self, record: NotificationRecord) -> Outcome:
        channel = self._channels.get(ChannelName(record.channel), self._fallback)
        message = OutgoingMessage(
            notification_id=str(record.id),
            recipient_kind=record.recipient_kind,
            recipient_id=record.recipient_id,
            address=record.address or "",
            message_kind=record.message_kind,
            language=record.language,
            subject=record.subject,
            body=record.body,
            alert_id=str(record.alert_id) if record.alert_id else None,
        )
        with tracer.start_as_current_span(
            f"notify {record.channel}", attributes={"rounds.attempt": record.attempts}
        ):
            try:
                return await channel.send(message)
            except Exception as exc:  # a channel's bug must not stop the others
                log.exception("channel %s raised", record.channel)
                return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])

    async def _settle(self, record: NotificationRecord, outcome: Outcome) -> None:
        now = self._clock.now()
        step = after_attempt(outcome, record.attempts, now, self._retry)
        values: dict[str, object] = {
            "status": step.status.value,
            "lease_until": None,
            "last_error": step.error,
            "next_attempt_at": step.retry_at,
            "updated_at": now,
        }
        if outcome.provider_id:
            values["provider_id"] = outcome.provider_id
        if step.status in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED):
            values["sent_at"] = now
            handlers.alert_latency.record(
                max(0.0, (now - record.source_time).total_seconds()),
                {"stage": "dispatched", "channel": record.channel},
            )
        if step.status is DeliveryStatus.DELIVERED:
            values["delivered_at"] = now
        async with self._unit_of_work() as uow:
            await uow.notifications.change(record.id, **values)
            if record.alert_id is not None and step.status is not DeliveryStatus.QUEUED:
                await uow.alerts.record(
                    record.alert_id,
                    now,
                    f"notification_{step.status.value}",
                    recipient_id=record.recipient_id,
                    channel=record.channel,
                    attempts=record.attempts,
                    error=step.error,
                )
            await handlers.publish_notification_status(uow, record.id, now)
            await uow.commit()
