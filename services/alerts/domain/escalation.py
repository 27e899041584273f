"""The on-call chain and when an unacknowledged alert moves up it (000 P37, P39).

Each locality has people on call by level (1 answers first, 2 is their manager, ...) for stretches of
time; provider-wide cover (locality ``*``) backs every locality up. An alert goes to level 1 at once;
if nobody acknowledges it within its severity's window it goes to the next level with a fresh window,
and every step is recorded. When the chain runs out the alert stays with the last person, and the
step says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

PROVIDER_WIDE = "*"


@dataclass(frozen=True)
class OnCallShift:
    """One person on call for a locality at one level between two instants (UTC, end exclusive)."""

    person_id: str
    locality: str
    level: int
    starts_at: datetime
    ends_at: datetime
    name: str = ""

    def covers(self, locality: str, at: datetime) -> bool:
        """Whether this shift answers for ``locality`` at ``at``."""
        return self.locality in (locality, PROVIDER_WIDE) and self.starts_at <= at < self.ends_at


def chain_at(shifts: Sequence[OnCallShift], locality: str, at: datetime) -> list[str]:
    """The people to try in order for ``locality`` at ``at``: by level, the locality's own first.

    A person on call at two levels appears once, at their first place.
    """
    on = [s for s in shifts if s.covers(locality, at)]
    on.sort(key=lambda s: (s.level, s.locality == PROVIDER_WIDE, s.starts_at, s.person_id))
    chain: list[str] = []
    for shift in on:
        if shift.person_id not in chain:
            chain.append(shift.person_id)
    return chain


@dataclass(frozen=True)
class Step:
    """One recorded move of an alert along its chain."""

    level: int  # 1-based place in the chain; 0 when nobody is on call
    owner_id: str | None
    deadline: datetime | None  # None: nobody further to escalate to
    reason: str


def first_step(chain: Sequence[str], now: datetime, window: timedelta) -> Step:
    """Where a new alert goes."""
    if not chain:
        # Look again when the window passes: a shift may start, or the roster may not have arrived yet.
        return Step(0, None, now + window, "nobody is on call for this locality")
    # The last person in the chain has a deadline too: when it passes, the exhausted chain is recorded.
    return Step(1, chain[0], now + window, "on call")


def next_step(level: int, chain: Sequence[str], now: datetime, window: timedelta, late_by: timedelta) -> Step:
    """Where an alert at ``level`` goes when its deadline passed ``late_by`` ago.

    The chain is read afresh (a shift may have changed hands since the alert was raised); the next
    person gets a full window of their own.
    """
    waited = f"not acknowledged within its deadline (checked {int(late_by.total_seconds())}s after it)"
    if level < len(chain):
        following = level + 1
        return Step(following, chain[level], now + window, waited)
    owner = chain[level - 1] if 0 < level <= len(chain) else (chain[-1] if chain else None)
    return Step(level, owner, None, f"{waited}; nobody further in the on-call chain")


def deadline_after_severity_change(
    current: datetime | None, now: datetime, window: timedelta
) -> datetime | None:
    """A more urgent alert never waits longer than its new window (a late visit that became missed).

    An alert with no deadline (acknowledged, or its chain already ran out) keeps none.
    """
    if current is None:
        return None
    tighter = now + window
    return min(tighter, current)
