"""Why the domain refuses something: plain exceptions that handlers turn into problem details."""

from __future__ import annotations


class RuleBroken(Exception):
    """A request breaks a rule of the policy; ``field`` names what to change, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotAllowed(Exception):
    """The caller is not a party who may do this (004 1.16, 1.25, 1.37-1.38)."""


class AlreadySigned(Exception):
    """A signed record or agreement is immutable; amend it with a new entry instead (004 1.25)."""
