"""Ways a notification leaves: signed webhook, SMTP e-mail, SMS through a provider, and the log.

Each channel turns one message into an :class:`Outcome` and never raises for a delivery problem: a
timeout or a busy server is a failure worth retrying, a refusal (4xx, an unknown mailbox) is
permanent. The dispatcher decides what happens next.

Webhook signature (partners verify it with :func:`verify_signature`): the header
``X-Rounds-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the shared
secret>``; a receiver refuses a timestamp more than five minutes from its clock (replays) and uses
``X-Rounds-Notification`` as the idempotency key (a retry after a lost answer repeats it).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

import httpx

from rounds.infra.clock import Clock
from services.alerts.domain.delivery import Outcome

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Rounds-Signature"
NOTIFICATION_HEADER = "X-Rounds-Notification"


@dataclass(frozen=True)
class OutgoingMessage:
    """What a channel needs to send one notification."""

    notification_id: str
    recipient_kind: str
    recipient_id: str
    address: str
    message_kind: str
    language: str
    subject: str
    body: str
    alert_id: str | None = None


class Channel(Protocol):
    """Sends one message."""

    async def send(self, message: OutgoingMessage) -> Outcome: ...


class LogChannel:
    """The embedded default: the message goes to the service log (and counts as delivered)."""

    async def send(self, message: OutgoingMessage) -> Outcome:
        log.info(
            "notification %s to %s %s (%s, %s): %s | %s",
            message.notification_id,
            message.recipient_kind,
            message.recipient_id,
            message.message_kind,
            message.language,
            message.subject,
            message.body,
        )
        return Outcome(ok=True, delivered=True)


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: bytes, header: str, body: bytes, now: datetime, tolerance: timedelta = timedelta(minutes=5)
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` recently enough (for partner receivers)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def _transient_status(status: int) -> bool:
    return status in (408, 425, 429) or status >= 500


class WebhookChannel:
    """POSTs a signed JSON message to a partner app (worker app, family app, on-call pager)."""

    def __init__(self, url: str, secret: bytes, client: httpx.AsyncClient, clock: Clock) -> None:
        self._url = url
        self._secret = secret
        self._client = client
        self._clock = clock

    async def send(self, message: OutgoingMessage) -> Outcome:
        body = json.dumps(
            {
                "notification_id": message.notification_id,
                "alert_id": message.alert_id,
                "recipient": {"kind": message.recipient_kind, "id": message.recipient_id},
                "kind": message.message_kind,
                "language": message.language,
                "subject": message.subject,
                "body": message.body,
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, int(self._clock.now().timestamp()), body),
            NOTIFICATION_HEADER: message.notification_id,
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Outcome(ok=False, error=f"webhook unreachable: {type(exc).__name__}: {exc}"[:500])
        if response.is_success:
            return Outcome(ok=True, delivered=True)
        return Outcome(
            ok=False,
            permanent=not _transient_status(response.status_code),
            error=f"webhook answered {response.status_code}",
        )


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand e-mail over."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


class EmailChannel:
    """Hands the message to an SMTP server (``sent``: the server accepted it for delivery)."""

    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def send(self, message: OutgoingMessage) -> Outcome:
        email = EmailMessage()
        email["From"] = self._server.sender
        email["To"] = message.address
        email["Subject"] = message.subject
        email["Content-Language"] = message.language
        email["X-Rounds-Notification"] = message.notification_id
        email.set_content(message.body)
        try:
            await asyncio.to_thread(self._deliver, email)
        except smtplib.SMTPRecipientsRefused as exc:
            return Outcome(ok=False, permanent=True, error=f"recipient refused: {exc.recipients}"[:500])
        except smtplib.SMTPResponseException as exc:
            return Outcome(
                ok=False,
                permanent=500 <= exc.smtp_code < 600,
                error=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
            )
        except (smtplib.SMTPException, OSError) as exc:
            return Outcome(ok=False, error=f"SMTP unreachable: {type(exc).__name__}: {exc}"[:500])
        return Outcome(ok=True)

    def _deliver(self, email: EmailMessage) -> None:
        server = self._server
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout) as smtp:
            if server.starttls:
                smtp.starttls()
            if server.username and server.password:
                smtp.login(server.username, server.password)
            smtp.send_message(email)


@dataclass(frozen=True)
class SmsReceipt:
    """A provider's answer to a submitted text."""

    accepted: bool
    provider_id: str | None = None
    permanent: bool = False
    error: str | None = None


class SmsProvider(Protocol):
    """A company that sends texts; delivery receipts come back through the notifications API."""

    async def submit(self, to: str, text: str, reference: str) -> SmsReceipt: ...


class HttpSmsProvider:
    """A generic JSON-over-HTTP SMS gateway: ``POST {to, text, reference}`` answers ``{"id": ...}``."""

    def __init__(self, url: str, token: str | None, client: httpx.AsyncClient) -> None:
        self._url = url
        self._token = token
        self._client = client

    async def submit(self, to: str, text: str, reference: str) -> SmsReceipt:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = await self._client.post(
                self._url, json={"to": to, "text": text, "reference": reference}, headers=headers
            )
        except httpx.HTTPError as exc:
            return SmsReceipt(False, error=f"SMS provider unreachable: {type(exc).__name__}")
        if response.is_success:
            try:
                provider_id = str(response.json()["id"])
            except (ValueError, KeyError, TypeError):
                provider_id = None
            return SmsReceipt(True, provider_id)
        return SmsReceipt(
            False,
            permanent=not _transient_status(response.status_code),
            error=f"SMS provider answered {response.status_code}",
        )


class SmsChannel:
    """Texts the message through an :class:`SmsProvider` (``sent`` until the receipt arrives)."""

    # One SMS segment of GSM-7 is 160 characters; three segments is plenty for these messages.
    max_length = 480

    def __init__(self, provider: SmsProvider) -> None:
        self._provider = provider

    async def send(self, message: OutgoingMessage) -> Outcome:
        text = message.body[: self.max_length]
        receipt = await self._provider.submit(message.address, text, message.notification_id)
        if receipt.accepted:
            return Outcome(ok=True, provider_id=receipt.provider_id)
        return Outcome(ok=False, permanent=receipt.permanent, error=receipt.error)
