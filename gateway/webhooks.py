"""Partner webhooks: subscriptions, signed deliveries, retries (issue 8).

- **What a partner may receive** (:data:`EVENT_SCOPES`): each event type the platform offers to
  partners names the scope that opens it, the same scope that opens the matching API routes
  (``visits:read`` for visit telemetry, ``schedules:read`` for the rota's visits ...). Types not in
  the map (key people's contacts, care plans, risk assessments, incidents, concerns, supervision,
  on-call) are never delivered to partners: they hold more personal data than any partner scope
  opens. Only the partner's provider: a subscription records the partner's provider and a gateway
  serving another provider delivers nothing to it.
- **Signature** (like Stripe's): ``X-Rounds-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
  "<t>.<body>" with the subscription's secret>``. :func:`verify_signature` is the documented check
  (constant-time, with a tolerance on ``t`` against replays).
- **Deliveries** are rows in the gateway's database. The consumer inserts one per (subscription,
  event) — a unique key, so a redelivered event is harmless (the inbox pattern). The dispatcher
  *claims* a due row with one conditional UPDATE (``claimed_until`` in the past), so two gateway
  replicas never send the same delivery at the same time, then sends it and records the outcome.
  Failures back off exponentially (``2**attempts`` seconds, capped at an hour) up to
  ``webhook_max_attempts``, then the delivery is ``failed`` (a partner can redeliver it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rounds.contracts.registry import event_class, registered_events
from rounds.infra.clock import Clock
from rounds.infra.cloudevents import Envelope, MalformedEvent
from rounds.infra.db import UtcDateTime, create_sessions

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Rounds-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_BACKOFF_SECONDS = 3600
CLAIM_SECONDS = 60

# The event types offered to partners, and the scope that opens each (by prefix of the type).
_SCOPE_BY_PREFIX: tuple[tuple[str, str], ...] = (
    ("rounds.visit.scheduled.", "schedules:read"),
    ("rounds.visit.allocated.", "schedules:read"),
    ("rounds.visit.changed.", "schedules:read"),
    ("rounds.visit.cancelled.", "schedules:read"),
    ("rounds.visit.checked_in.", "visits:read"),
    ("rounds.visit.checked_out.", "visits:read"),
    ("rounds.visit.late.", "visits:read"),
    ("rounds.visit.missed.", "visits:read"),
    ("rounds.visit.short.", "visits:read"),
    ("rounds.visit.overrun.", "visits:read"),
    ("rounds.visit.condition_resolved.", "visits:read"),
    ("rounds.visit.task_recorded.", "visits:read"),
    ("rounds.worker.absence.", "workers:read"),
    ("rounds.individual.registered.", "individuals:read"),
    ("rounds.individual.updated.", "individuals:read"),
    ("rounds.individual.status.changed.", "individuals:read"),
    ("rounds.alert.", "alerts:read"),
)


def _event_scopes() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for event in registered_events():
        for prefix, scope in _SCOPE_BY_PREFIX:
            if event.type.startswith(prefix):
                out[event.type] = (scope, event.topic)
                break
    return out


# event type -> (the scope that opens it, its topic)
EVENT_SCOPES: Mapping[str, tuple[str, str]] = _event_scopes()


def event_types_for(scopes: frozenset[str]) -> list[str]:
    """The event types a partner with ``scopes`` may subscribe to."""
    return sorted(t for t, (scope, _) in EVENT_SCOPES.items() if scope in scopes)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Rounds-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """The receiver's check: ``header`` signs exactly ``body`` with ``secret``, and ``t`` is recent.

    This is the recipe in docs/gateway.md; partners can copy it.
    """
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).partition(",v1=")[2]
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))


def backoff_seconds(attempts: int) -> float:
    """Wait after the ``attempts``-th failure: 2, 4, 8 ... seconds, at most an hour."""
    return float(min(MAX_BACKOFF_SECONDS, 2**attempts))


def _new_id(prefix: str) -> str:
    # Time first, so ids sort by creation (the keyset cursor of the deliveries list).
    return f"{prefix}_{int(time.time() * 1000):013x}{secrets.token_hex(6)}"


metadata = sa.MetaData()
subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("client_id", sa.String(200), nullable=False),
    sa.Column("provider", sa.String(200), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("event_types", sa.JSON(), nullable=False),
    sa.Column("scopes", sa.JSON(), nullable=False),
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
)
deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("subscription_id", sa.String(40), nullable=False),
    sa.Column("client_id", sa.String(200), nullable=False),
    sa.Column("event_id", sa.String(200), nullable=False),
    sa.Column("event_type", sa.String(200), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.String(500)),
    sa.Column("last_status", sa.Integer()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime()),
    sa.Column("sent_at", UtcDateTime()),
    sa.Column("claimed_by", sa.String(80)),
    sa.Column("claimed_until", UtcDateTime()),
)


@dataclass(frozen=True)
class Subscription:
    """A partner's wish to receive some event types at a URL."""

    id: str
    client_id: str
    provider: str
    url: str
    event_types: list[str]
    created_at: datetime


@dataclass(frozen=True)
class Delivery:
    """One event on its way to one subscription."""

    id: str
    subscription_id: str
    event_id: str
    event_type: str
    status: str  # queued, sent, failed
    attempts: int
    last_error: str | None
    last_status: int | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


def _subscription(row: sa.RowMapping | Mapping[str, Any]) -> Subscription:
    return Subscription(
        id=row["id"],
        client_id=row["client_id"],
        provider=row["provider"],
        url=row["url"],
        event_types=list(row["event_types"]),
        created_at=row["created_at"],
    )


def _delivery(row: sa.RowMapping) -> Delivery:
    return Delivery(**{name: row[name] for name in Delivery.__dataclass_fields__})


class WebhookStore:
    """Subscriptions and deliveries in the gateway's database."""

    def __init__(self, engine: AsyncEngine, clock: Clock, *, max_attempts: int = 8) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = create_sessions(engine)
        self.clock = clock
        self.max_attempts = max_attempts

    async def subscribe(
        self, *, client_id: str, provider: str, scopes: frozenset[str], url: str, event_types: Sequence[str]
    ) -> tuple[Subscription, str]:
        """Store a subscription; returns it and its new secret (shown to the partner once)."""
        secret = "whsec_" + secrets.token_urlsafe(32)
        row = {
            "id": _new_id("sub"),
            "client_id": client_id,
            "provider": provider,
            "url": url,
            "event_types": sorted(set(event_types)),
            "scopes": sorted(scopes),
            "secret": secret,
            "created_at": self.clock.now(),
            "active": True,
        }
        async with self._sessions.begin() as session:
            await session.execute(subscriptions.insert().values(**row))
        return _subscription(row), secret

    async def subscriptions(self, client_id: str | None) -> list[Subscription]:
        """Active subscriptions of ``client_id`` (all partners' when ``None``), oldest first."""
        statement = sa.select(subscriptions).where(subscriptions.c.active).order_by(subscriptions.c.id)
        if client_id is not None:
            statement = statement.where(subscriptions.c.client_id == client_id)
        async with self._sessions() as session:
            return [_subscription(r) for r in (await session.execute(statement)).mappings()]

    async def unsubscribe(self, subscription_id: str, client_id: str | None) -> bool:
        """Deactivate a subscription (its deliveries stay visible); False when it is not the caller's."""
        statement = (
            sa.update(subscriptions)
            .where(subscriptions.c.id == subscription_id, subscriptions.c.active)
            .values(active=False)
        )
        if client_id is not None:
            statement = statement.where(subscriptions.c.client_id == client_id)
        async with self._sessions.begin() as session:
            return bool((await session.execute(statement)).rowcount == 1)  # type: ignore[attr-defined]

    async def active_subscriptions(self) -> Sequence[Mapping[str, Any]]:
        """Every active subscription, as rows."""
        async with self._sessions() as session:
            result = await session.execute(sa.select(subscriptions).where(subscriptions.c.active))
            return [dict(row) for row in result.mappings()]

    async def enqueue(
        self,
        envelope: Envelope,
        *,
        provider: str | None,
        active: Sequence[Mapping[str, Any]] | None = None,
    ) -> int:
        """Queue ``envelope`` for every subscription that asked for its type and may see it.

        ``active``: the active subscriptions when the caller has just read them (one read serves a
        batch of events); read here otherwise. Idempotent: a (subscription, event) pair is queued
        once however often the event arrives.
        """
        needed = EVENT_SCOPES.get(envelope.type)
        if needed is None:
            return 0
        if active is None:
            active = await self.active_subscriptions()
        rows = [
            row
            for row in active
            if envelope.type in row["event_types"]
            and needed[0] in row["scopes"]
            and (provider is None or row["provider"] == provider)  # never another provider's partner
        ]
        if not rows:
            return 0  # most events (every app record) interest no partner: nothing more to do
        contract = event_class(envelope.type)
        try:
            # Through the contract: only its fields go out, never anything extra a producer added.
            data = contract.model_validate_json(envelope.data).model_dump(mode="json") if contract else None
        except ValidationError as exc:
            log.warning(
                "webhook consumer skipped %s %s: not its contract: %s", envelope.type, envelope.id, exc
            )
            return 0
        if data is None:
            return 0
        body = json.dumps(
            {
                "id": envelope.id,
                "type": envelope.type,
                "source": envelope.source,
                "time": envelope.time.isoformat(),
                "data": data,
            },
            separators=(",", ":"),
        )
        queued = 0
        for row in rows:
            try:
                async with self._sessions.begin() as session:
                    await session.execute(
                        deliveries.insert().values(
                            id=_new_id("dlv"),
                            subscription_id=row["id"],
                            client_id=row["client_id"],
                            event_id=envelope.id,
                            event_type=envelope.type,
                            body=body,
                            status="queued",
                            attempts=0,
                            created_at=self.clock.now(),
                            next_attempt_at=self.clock.now(),
                        )
                    )
                queued += 1
            except sa.exc.IntegrityError:
                pass  # already queued: the broker redelivered the event
        return queued

    async def deliveries(
        self, client_id: str | None, *, status: str | None = None, before: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """Deliveries of ``client_id`` (everyone's when ``None``), newest first, keyset by id."""
        d = deliveries.c
        statement = sa.select(deliveries).order_by(d.id.desc()).limit(limit)
        if client_id is not None:
            statement = statement.where(d.client_id == client_id)
        if status is not None:
            statement = statement.where(d.status == status)
        if before is not None:
            statement = statement.where(d.id < before)
        async with self._sessions() as session:
            return [_delivery(r) for r in (await session.execute(statement)).mappings()]

    async def redeliver(self, delivery_id: str, client_id: str | None) -> Delivery | None:
        """Queue a delivery again now (a fresh round of attempts); ``None`` when not the caller's."""
        statement = (
            sa.update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(status="queued", attempts=0, next_attempt_at=self.clock.now(), claimed_until=None)
        )
        if client_id is not None:
            statement = statement.where(deliveries.c.client_id == client_id)
        async with self._sessions.begin() as session:
            if (await session.execute(statement)).rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = (
                await session.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id))
            ).mappings()
            return _delivery(row.one())

    async def claim_due(self, worker: str, *, batch: int = 20) -> list[dict[str, Any]]:
        """Claim up to ``batch`` due deliveries for ``worker``: each by one conditional UPDATE.

        A row is claimed only when nobody holds it (``claimed_until`` empty or past), so two replicas
        racing for the same row get it once: the loser's UPDATE matches no row.
        """
        now = self.clock.now()
        d = deliveries.c
        async with self._sessions() as session:
            candidates = (
                (
                    await session.execute(
                        sa.select(d.id)
                        .where(d.status == "queued", d.next_attempt_at <= now)
                        .where(sa.or_(d.claimed_until.is_(None), d.claimed_until < now))
                        .order_by(d.next_attempt_at)
                        .limit(batch)
                    )
                )
                .scalars()
                .all()
            )
        claimed = []
        until = now + timedelta(seconds=CLAIM_SECONDS)
        for delivery_id in candidates:
            async with self._sessions.begin() as session:
                result = await session.execute(
                    sa.update(deliveries)
                    .where(d.id == delivery_id, d.status == "queued")
                    .where(sa.or_(d.claimed_until.is_(None), d.claimed_until < now))
                    .values(claimed_by=worker, claimed_until=until)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another dispatcher has it
                row = (
                    (
                        await session.execute(
                            sa.select(
                                deliveries,
                                subscriptions.c.url,
                                subscriptions.c.secret,
                                subscriptions.c.active,
                            )
                            .join(subscriptions, subscriptions.c.id == d.subscription_id)
                            .where(d.id == delivery_id)
                        )
                    )
                    .mappings()
                    .one()
                )
                claimed.append(dict(row))
        return claimed

    async def record_attempt(
        self, delivery_id: str, worker: str, *, status: int | None, error: str | None
    ) -> None:
        """Note one attempt's outcome: sent, queued again after a back-off, or failed for good."""
        now = self.clock.now()
        d = deliveries.c
        async with self._sessions.begin() as session:
            attempts = (
                await session.execute(sa.select(d.attempts).where(d.id == delivery_id))
            ).scalar_one() + 1
            values: dict[str, Any] = {
                "attempts": attempts,
                "last_status": status,
                "last_error": None if error is None else error[:500],
                "claimed_by": None,
                "claimed_until": None,
            }
            if error is None:
                values.update(status="sent", sent_at=now, next_attempt_at=None)
            elif attempts >= self.max_attempts:
                values.update(status="failed", next_attempt_at=None)
            else:
                values.update(next_attempt_at=now + timedelta(seconds=backoff_seconds(attempts)))
            # Only the holder of the claim records (a claim that expired mid-send was taken over).
            await session.execute(
                sa.update(deliveries).where(d.id == delivery_id, d.claimed_by == worker).values(**values)
            )


class Dispatcher:
    """Sends due deliveries, signed, and records each attempt."""

    def __init__(
        self,
        store: WebhookStore,
        client: httpx.AsyncClient,
        *,
        timeout: float = 10.0,
        name: str | None = None,
    ) -> None:
        self._store = store
        self._client = client
        self._timeout = timeout
        self.name = name or f"dispatcher-{secrets.token_hex(4)}"

    async def run_once(self) -> int:
        """Send what is due now; returns how many attempts were made."""
        claimed = await self._store.claim_due(self.name)
        # The batch's receivers are independent: one slow partner must not hold up the others.
        await asyncio.gather(*(self._send(row) for row in claimed))
        return len(claimed)

    async def _send(self, row: Mapping[str, Any]) -> None:
        if not row["active"]:
            await self._store.record_attempt(row["id"], self.name, status=None, error="subscription deleted")
            return
        body = row["body"].encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(row["secret"], body, int(time.time())),
            "X-Rounds-Delivery": row["id"],
            "X-Rounds-Event-Id": row["event_id"],
            "X-Rounds-Event-Type": row["event_type"],
            "User-Agent": "Rounds-Webhooks/1",
        }
        try:
            response = await self._client.post(
                row["url"], content=body, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            await self._store.record_attempt(
                row["id"], self.name, status=None, error=f"{type(exc).__name__}: {exc}"
            )
            return
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        await self._store.record_attempt(row["id"], self.name, status=response.status_code, error=error)

    async def run(self, poll_seconds: float) -> None:
        """Send due deliveries until cancelled."""
        while True:
            try:
                sent = await self.run_once()
            except (sa.exc.SQLAlchemyError, OSError) as exc:
                log.warning("webhook dispatcher %s: %r", self.name, exc)
                sent = 0
            if not sent:
                await asyncio.sleep(poll_seconds)


class WebhookConsumer:
    """The gateway's consumer group on the event topics partners may receive."""

    group_id = "rounds.gateway.webhooks"

    def __init__(
        self,
        store: WebhookStore,
        bootstrap_servers: str,
        *,
        provider: str | None,
        session_timeout_ms: int = 6000,
    ) -> None:
        self._store = store
        self._bootstrap = bootstrap_servers
        self._provider = provider
        self._session_timeout_ms = session_timeout_ms
        self.assigned = False

    @property
    def topics(self) -> list[str]:
        """The topics carrying event types offered to partners."""
        return sorted({topic for _, topic in EVENT_SCOPES.values()})

    async def run(self) -> None:
        """Consume until cancelled, reconnecting while the broker is away."""
        while True:
            consumer = AIOKafkaConsumer(
                *self.topics,
                bootstrap_servers=self._bootstrap,
                group_id=self.group_id,
                enable_auto_commit=False,
                auto_offset_reset="latest",
                session_timeout_ms=self._session_timeout_ms,
                heartbeat_interval_ms=max(100, self._session_timeout_ms // 6),
            )
            try:
                await consumer.start()
                while True:
                    batches = await consumer.getmany(timeout_ms=500)
                    self.assigned = bool(consumer.assignment())
                    # Read once per batch: most events interest no partner, and this is all they cost.
                    active = await self._store.active_subscriptions() if batches else []
                    for partition, records in batches.items():
                        for record in records:
                            await self._handle(
                                record.topic, record.key, list(record.headers or []), record.value, active
                            )
                        # Committed after the deliveries are stored: a crash replays, the unique key dedups.
                        await consumer.commit({partition: records[-1].offset + 1})
            except (KafkaError, OSError) as exc:
                log.warning("webhook consumer lost the broker, reconnecting: %r", exc)
                await asyncio.sleep(1.0)
            finally:
                self.assigned = False
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _handle(
        self,
        topic: str,
        key: bytes | None,
        headers: list[Any],
        value: bytes | None,
        active: Sequence[Mapping[str, Any]],
    ) -> None:
        try:
            envelope = Envelope.from_kafka(topic=topic, key=key, headers=headers, value=value)
        except MalformedEvent as exc:
            log.warning("webhook consumer skipped a malformed event on %s: %s", topic, exc)
            return
        await self._store.enqueue(envelope, provider=self._provider, active=active)
