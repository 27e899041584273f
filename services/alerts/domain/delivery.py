"""Delivery of one notification: queued, sent, delivered or failed, retried with back-off.

A channel either hands the message over (``sent``; a webhook that answers 2xx or the log channel
counts as ``delivered`` at once), fails for a while (a timeout, a 5xx, a busy SMTP server: try again
later, waiting twice as long each time up to a cap), or fails for good (a 4xx, a rejected address:
no retry). After the last attempt the notification is ``failed`` and shows in the failures list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class DeliveryStatus(StrEnum):
    """The contract's ``NotificationStatus``, plus ``withheld`` kept only inside the service."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    WITHHELD = "withheld"  # consent, preference or no channel: recorded with its reason, never sent


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing channel is tried."""

    max_attempts: int = 5
    first_wait: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    longest_wait: timedelta = timedelta(minutes=30)

    def wait_after(self, attempts: int) -> timedelta:
        """The pause after the ``attempts``-th failed attempt (1-based)."""
        wait = self.first_wait * (self.factor ** max(0, attempts - 1))
        return min(wait, self.longest_wait)


@dataclass(frozen=True)
class Outcome:
    """What one attempt on a channel came to."""

    ok: bool
    delivered: bool = False  # the far end confirmed (webhook 2xx, log) rather than merely accepted
    permanent: bool = False  # retrying cannot help (4xx, a refused address)
    error: str | None = None
    provider_id: str | None = None  # e.g. an SMS provider's message id, for delivery receipts


@dataclass(frozen=True)
class Next:
    """Where a notification goes after an attempt."""

    status: DeliveryStatus
    retry_at: datetime | None
    error: str | None


def after_attempt(outcome: Outcome, attempts: int, now: datetime, policy: RetryPolicy) -> Next:
    """The notification's status after its ``attempts``-th attempt ended in ``outcome``."""
    if outcome.ok:
        return Next(DeliveryStatus.DELIVERED if outcome.delivered else DeliveryStatus.SENT, None, None)
    if outcome.permanent or attempts >= policy.max_attempts:
        why = "permanent failure" if outcome.permanent else f"gave up after {attempts} attempts"
        return Next(DeliveryStatus.FAILED, None, f"{why}: {outcome.error}")
    return Next(DeliveryStatus.QUEUED, now + policy.wait_after(attempts), outcome.error)


def receipt(current: DeliveryStatus, delivered: bool) -> DeliveryStatus | None:
    """The status a provider's delivery receipt moves a sent notification to (None: ignore it)."""
    if current is not DeliveryStatus.SENT:
        return None  # late or repeated receipts never move a final status back
    return DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED
