"""Event contracts shared by every service: typed, versioned, past-tense facts.

Services import these models, never each other. JSON Schema for every event comes from
:func:`rounds.contracts.registry.json_schemas`.
"""

from rounds.contracts.base import Event
from rounds.contracts.people import WorkerRegistered
from rounds.contracts.registry import event_class, json_schemas, registered_events

__all__ = ["Event", "WorkerRegistered", "event_class", "json_schemas", "registered_events"]
