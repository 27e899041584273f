"""The audit trail: who read or changed whose personal data, when, and why.

Every request under ``/v1`` that the gateway authenticates is personal data (worker records,
individuals, schedules, visits, supervision, alerts), so each gets one record, allowed or refused:

- **who**: the token's subject and role (and the partner's client id), and the caller's address;
- **what**: read or change, the method, the service, the path with its query, the policy's rule;
- **whose**: the worker, individual and locality the path or query names;
- **when**: the gateway's clock, UTC;
- **why**: the purpose the caller gives in ``X-Rounds-Purpose`` (optional) and the basis on which the
  policy let it through or refused it.

The record is written **before** the request goes to the service, and a request whose record cannot
be written is refused (503): nothing is read or changed unaudited. The service's status is appended
afterwards as a separate outcome row (in batches, off the request's path), so neither table is ever
updated. Both are append-only in the
database too (triggers in migration 0001).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.policy import READ_METHODS, Actor, Decision
from rounds.infra.clock import Clock
from rounds.infra.db import UtcDateTime, create_engine, create_sessions
from rounds.infra.migrations import prepare_database
from rounds.infra.problems import Problem

log = logging.getLogger(__name__)

PURPOSE_HEADER = "x-rounds-purpose"
MAX_PURPOSE = 500
MAX_PATH = 2000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
OUTCOME_BATCH_SECONDS = 0.2

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
metadata = sa.MetaData()
audit_records = sa.Table(
    "audit_records",
    metadata,
    sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("actor_subject", sa.String(200), nullable=False),
    sa.Column("actor_role", sa.String(40), nullable=False),
    sa.Column("actor_client_id", sa.String(200)),
    sa.Column("client_address", sa.String(64)),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("service", sa.String(40), nullable=False),
    sa.Column("path", sa.String(MAX_PATH), nullable=False),
    sa.Column("route", sa.String(200)),
    sa.Column("worker_id", sa.String(200)),
    sa.Column("individual_id", sa.String(200)),
    sa.Column("locality", sa.String(400)),
    sa.Column("purpose", sa.String(MAX_PURPOSE)),
    sa.Column("basis", sa.String(500), nullable=False),
    sa.Column("allowed", sa.Boolean(), nullable=False),
)
audit_outcomes = sa.Table(
    "audit_outcomes",
    metadata,
    sa.Column("seq", _SEQ, sa.ForeignKey("audit_records.seq"), primary_key=True),
    sa.Column("status", sa.Integer(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
)


class AuditUnavailable(Problem):
    """The audit trail cannot be written, so the request is not let through."""

    status, slug, title = 503, "audit-unavailable", "Audit trail unavailable"


@dataclass(frozen=True)
class AuditEntry:
    """One read or change of personal data, as the gateway saw it before forwarding it."""

    recorded_at: datetime
    request_id: str
    actor_subject: str
    actor_role: str
    actor_client_id: str | None
    client_address: str | None
    action: str  # "read" or "change"
    method: str
    service: str
    path: str
    route: str | None
    worker_id: str | None
    individual_id: str | None
    locality: str | None
    purpose: str | None
    basis: str
    allowed: bool


def _clip(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


def audit_entry(
    *,
    actor: Actor,
    decision: Decision,
    method: str,
    service: str,
    path: str,
    localities: Sequence[str],
    at: datetime,
    request_id: str,
    client_address: str | None,
    purpose: str | None,
) -> AuditEntry:
    """The record of one request (pure): who, what, whose, when and why."""
    named_localities = sorted({*([decision.resource["locality"]] if "locality" in decision.resource else []),
                               *localities})  # fmt: skip
    return AuditEntry(
        recorded_at=at,
        request_id=request_id[:64],
        actor_subject=actor.subject[:200],
        actor_role=actor.role.value,
        actor_client_id=_clip(actor.client_id, 200),
        client_address=_clip(client_address, 64),
        action="read" if method in READ_METHODS else "change",
        method=method,
        service=service,
        path=path[:MAX_PATH],
        route=decision.rule,
        worker_id=_clip(decision.resource.get("worker_id"), 200),
        individual_id=_clip(decision.resource.get("individual_id"), 200),
        locality=_clip(",".join(named_localities), 400) or None,
        purpose=_clip((purpose or "").strip(), MAX_PURPOSE) or None,
        basis=decision.reason[:500],
        allowed=decision.allowed,
    )


@dataclass(frozen=True)
class AuditFilter:
    """What the registered manager asks the trail for; every field narrows, none widens."""

    worker_id: str | None = None
    individual_id: str | None = None
    actor_subject: str | None = None
    service: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class AuditRecord:
    """A stored entry with its position in the trail and the service's status, when known."""

    seq: int
    entry: AuditEntry
    status: int | None


class AuditLog:
    """Appends to and reads the gateway's audit trail (its own database)."""

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._sessions: async_sessionmaker[AsyncSession] = create_sessions(engine)
        self.clock = clock
        self._pending: list[dict[str, Any]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._queued: list[tuple[AuditEntry, asyncio.Future[int]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, entry: AuditEntry) -> int:
        """Append ``entry`` and return its sequence number; :class:`AuditUnavailable` when it cannot.

        Group commit: entries that arrive while a write is under way go together in the next one
        transaction, and each caller still waits until its own entry is committed. One request alone
        is written at once; under load one commit serves many requests.
        """
        written: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queued.append((entry, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        return await written

    async def _write_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                async with self._sessions.begin() as session:
                    result = await session.execute(
                        audit_records.insert().returning(audit_records.c.seq, sort_by_parameter_order=True),
                        [vars(entry) for entry, _ in batch],
                    )
                    seqs = [int(seq) for seq in result.scalars()]
            except (sa.exc.SQLAlchemyError, OSError) as exc:
                log.error("audit trail not writable, refusing %d requests: %r", len(batch), exc)
                _refuse(batch, exc)
                continue
            except BaseException as exc:  # cancelled at shutdown: nobody may wait for ever
                _refuse(batch + self._queued, exc)
                self._queued = []
                raise
            for (_, written), seq in zip(batch, seqs, strict=True):
                if not written.done():  # its caller may have gone; the record stands all the same
                    written.set_result(seq)

    async def record_outcome(self, seq: int, status: int) -> None:
        """Note the status request ``seq`` ended with; written with others shortly after (best effort).

        The request itself was recorded before it went on; its outcome need not hold up the answer,
        so outcomes are batched: one commit for all that ended within ``OUTCOME_BATCH_SECONDS``.
        """
        self._pending.append({"seq": seq, "status": status, "recorded_at": self.clock.now()})
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(OUTCOME_BATCH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        """Write the outcomes noted so far."""
        async with self._flush_lock:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                async with self._sessions.begin() as session:
                    await session.execute(audit_outcomes.insert(), batch)
            except (sa.exc.SQLAlchemyError, OSError) as exc:
                log.warning("could not record %d request outcomes: %r", len(batch), exc)

    async def query(self, wanted: AuditFilter) -> list[AuditRecord]:
        """Records matching ``wanted``, newest first, at most ``wanted.limit``."""
        await self.flush()  # so a reader sees the outcomes of requests that have ended
        r, o = audit_records.c, audit_outcomes.c
        statement = (
            sa.select(audit_records, o.status)
            .select_from(audit_records.outerjoin(audit_outcomes, r.seq == o.seq))
            .order_by(r.seq.desc())
            .limit(wanted.limit)
        )
        conditions: list[Any] = []
        if wanted.worker_id is not None:
            conditions.append(r.worker_id == wanted.worker_id)
        if wanted.individual_id is not None:
            conditions.append(r.individual_id == wanted.individual_id)
        if wanted.actor_subject is not None:
            conditions.append(r.actor_subject == wanted.actor_subject)
        if wanted.service is not None:
            conditions.append(r.service == wanted.service)
        if wanted.since is not None:
            conditions.append(r.recorded_at >= wanted.since)
        if wanted.until is not None:
            conditions.append(r.recorded_at < wanted.until)
        if wanted.before_seq is not None:
            conditions.append(r.seq < wanted.before_seq)
        if conditions:
            statement = statement.where(*conditions)
        async with self._sessions() as session:
            rows = (await session.execute(statement)).mappings().all()
        fields = set(AuditEntry.__dataclass_fields__)
        return [
            AuditRecord(
                seq=int(row["seq"]),
                entry=AuditEntry(**{name: row[name] for name in fields}),
                status=row["status"],
            )
            for row in rows
        ]

    async def is_reachable(self) -> bool:
        """Whether the audit database answers (for the gateway's readiness)."""
        try:
            async with self._engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
            return True
        except (sa.exc.SQLAlchemyError, OSError):
            return False

    async def close(self) -> None:
        """Write the records and outcomes still pending and release the database connections."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                await self._writer
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()
        await self._engine.dispose()


def _refuse(batch: Sequence[tuple[AuditEntry, asyncio.Future[int]]], cause: BaseException) -> None:
    """Fail the requests of ``batch`` whose entries could not be written, as unaudited ones."""
    for _, written in batch:
        if written.done():
            continue
        unavailable = AuditUnavailable(
            "The gateway cannot record this request in the audit trail, so it did not send it on. "
            "Nothing was read or changed. Try again shortly.",
            headers={"Retry-After": "5"},
        )
        unavailable.__cause__ = cause
        written.set_exception(unavailable)


def _upgrade(url: str) -> None:
    prepare_database(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


async def open_audit_log(url: str, clock: Clock) -> AuditLog:
    """Bring the audit database to the newest schema and open it.

    Alembic runs its own event loop, so the migration runs in a worker thread.
    """
    await asyncio.to_thread(_upgrade, url)
    return AuditLog(create_engine(url), clock)
