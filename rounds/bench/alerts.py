"""``rounds bench alerts``: alert latency through the real broker (it lives with the alerts service)."""

from __future__ import annotations

from services.alerts.bench import register

__all__ = ["register"]
