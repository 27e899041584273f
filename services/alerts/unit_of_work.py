"""The alerts service's unit of work."""

from __future__ import annotations

from rounds.infra.unit_of_work import UnitOfWork


class AlertsUnitOfWork(UnitOfWork):
    """The alerts repositories in one transaction with its outbox and inbox (none of its own yet)."""
