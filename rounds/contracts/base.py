"""The base of every event contract."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """A fact that happened, published to ``topic`` keyed by the field named ``key_field``.

    ``type`` is the CloudEvents type and carries the version (``rounds.worker.registered.v1``):
    adding an optional field keeps the version; any other change is a new class with a new version.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    topic: ClassVar[str]
    key_field: ClassVar[str]

    def key(self) -> str:
        """The partition key: the aggregate whose order matters for this event."""
        return str(getattr(self, self.key_field))
