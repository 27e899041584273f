"""Every known event type, for decoding and for the JSON Schema export.

Each module of this package declares its service's events; they are found here by importing every
module of the package, so adding a contract means adding a class and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

import rounds.contracts
from rounds.contracts.base import Event


@cache
def registered_events() -> tuple[type[Event], ...]:
    """All event classes the platform knows, ordered by type."""
    for module in pkgutil.iter_modules(rounds.contracts.__path__):
        importlib.import_module(f"rounds.contracts.{module.name}")
    found: dict[str, type[Event]] = {}
    pending = list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        # Only the package's own contracts: tests may subclass Event for their own purposes.
        if cls.__module__.startswith("rounds.contracts.") and "type" in vars(cls):
            if cls.type in found and found[cls.type] is not cls:
                raise TypeError(f"two contracts claim the event type {cls.type}")
            found[cls.type] = cls
    return tuple(found[t] for t in sorted(found))


def event_class(event_type: str) -> type[Event] | None:
    """The class for a CloudEvents type, or None for a type this version does not know."""
    return next((cls for cls in registered_events() if cls.type == event_type), None)


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every event's data, by CloudEvents type."""
    return {cls.type: cls.model_json_schema() for cls in registered_events()}
