"""Every known event type, for decoding and for the JSON Schema export."""

from __future__ import annotations

from typing import Any

from rounds.contracts.base import Event
from rounds.contracts.people import WorkerRegistered

_EVENTS: tuple[type[Event], ...] = (WorkerRegistered,)


def registered_events() -> tuple[type[Event], ...]:
    """All event classes the platform knows."""
    return _EVENTS


def event_class(event_type: str) -> type[Event] | None:
    """The class for a CloudEvents type, or None for a type this version does not know."""
    return next((cls for cls in _EVENTS if cls.type == event_type), None)


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every event's data, by CloudEvents type."""
    return {cls.type: cls.model_json_schema() for cls in _EVENTS}
