"""The compliance sweeper: every few minutes, announce what newly fell due soon or overdue.

It keeps no state of its own: what has been announced is in the database (``compliance_notices``),
claimed in the same transaction as the outbox event that announces it. So a restart resumes where
the last sweep stopped, and any number of replicas may sweep at once: each notice leaves once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from rounds.infra.db import is_database_outage
from services.supervision import handlers
from services.supervision.unit_of_work import SupervisionUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did."""

    workers: int
    announced: int
    failed: int


class ComplianceSweeper:
    """Assesses every supervisee in pages of ``page_size`` and announces the new notices."""

    def __init__(
        self,
        new_uow: Callable[[], SupervisionUnitOfWork],
        *,
        due_soon_days: int,
        every_seconds: float,
        page_size: int = 200,
    ) -> None:
        self._new_uow = new_uow
        self._due_soon_days = due_soon_days
        self._every_seconds = every_seconds
        self._page_size = page_size

    async def sweep(self) -> SweepResult:
        """One pass over every worker, a page at a time; a worker (or a page that cannot be read) that
        fails is logged and retried on the next pass.

        A database outage ends the pass at once (the next one starts over): nothing was half-done,
        as each worker's claims and events commit together.
        """
        workers = announced = failed = 0
        after: UUID | None = None
        while True:
            async with self._new_uow() as uow:
                page = await uow.supervisees.ids_after(after, self._page_size)
            workers += len(page)
            try:
                result = await handlers.announce_compliance(
                    self._new_uow, page, due_soon_days=self._due_soon_days
                )
                announced += result.notices
                failed += len(result.failed)
            except Exception as exc:
                if is_database_outage(exc):
                    raise
                failed += len(page)
                log.exception("compliance notices for %d workers from %s failed", len(page), page[0])
            if len(page) < self._page_size:
                return SweepResult(workers, announced, failed)
            after = page[-1]

    async def run(self) -> None:
        """Sweep, wait, sweep again, until cancelled."""
        while True:
            try:
                result = await self.sweep()
                if result.announced or result.failed:
                    log.info(
                        "compliance sweep: %d workers, %d notices, %d failed",
                        result.workers,
                        result.announced,
                        result.failed,
                    )
            except Exception:
                log.warning(
                    "compliance sweep stopped early; retrying in %ss", self._every_seconds, exc_info=True
                )
            await asyncio.sleep(self._every_seconds)
