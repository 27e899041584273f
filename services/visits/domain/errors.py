"""Why the domain refuses something: plain exceptions that handlers turn into problem details."""

from __future__ import annotations


class RuleBroken(Exception):
    """The request breaks a rule (422); ``field`` names what to change, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class StateConflict(Exception):
    """The request clashes with the visit's state (409), e.g. a check-in for a cancelled visit."""


class NotAllowed(Exception):
    """The caller may not act on this visit (403), e.g. a worker not allocated to it."""
