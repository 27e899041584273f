"""The visit monitor's rules: which conditions fall due when, as pure functions of a visit's state.

Conditions (000 P14-P16 lone working, P37 on-call, P39 respond promptly):

- ``late``: nobody has checked in by planned start + ``late_after``;
- ``missed``: nobody has checked in by planned start + ``missed_after``, or by the planned end of the
  visit when that comes first (never before ``late``): the visit's window has closed;
- ``overrun``: a worker stayed beyond the planned duration + ``overrun_after`` (raised live while they
  are still inside, or at check-out from the times recorded);
- ``overdue``: a worker checked in and has not checked out by the planned end + ``overdue_grace``
  (a welfare check). A worker who arrived late is given the planned duration from their arrival, so
  the check follows their real visit rather than the plan they could not keep;
- ``short``: at check-out, the worker stayed less than ``short_share`` of the planned duration.

Once anyone has checked in, ``missed`` no longer falls due, and ``late`` neither once every worker a
double-up needs is there (one worker alone cannot do a two-person transfer); the check-in carries how
late it was, and check-ins after a raised ``late``/``missed`` resolve them. A check-out resolves
``overdue``. The runner persists what was raised, so each (visit, condition) is raised once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from services.visits.domain.visits import Attendance, VisitState

CONDITIONS: tuple[str, ...] = ("late", "missed", "short", "overrun", "overdue")

#: The key under which a provider-wide threshold set is stored (per visit type sets override it).
PROVIDER_WIDE = "*"


@dataclass(frozen=True)
class Thresholds:
    """When each condition is raised; the defaults are the provider's unless a visit type overrides."""

    late_after: timedelta = timedelta(minutes=15)
    missed_after: timedelta = timedelta(minutes=60)
    short_share: float = 0.75
    overrun_after: timedelta = timedelta(minutes=15)
    overdue_grace: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if self.late_after < timedelta(0) or self.overrun_after < timedelta(0):
            raise ValueError("thresholds cannot be negative")
        if self.overdue_grace < timedelta(0):
            raise ValueError("thresholds cannot be negative")
        if self.missed_after < self.late_after:
            raise ValueError("missed_after cannot be shorter than late_after")
        if not 0.0 < self.short_share <= 1.0:
            raise ValueError("short_share is a share of the planned time: more than 0, at most 1")


@dataclass(frozen=True)
class ThresholdBook:
    """The provider's thresholds and the visit types that differ from them."""

    provider: Thresholds
    by_visit_type: dict[str, Thresholds]

    def for_type(self, service_type: str) -> Thresholds:
        """The thresholds that apply to a visit of ``service_type``."""
        return self.by_visit_type.get(service_type, self.provider)


@dataclass(frozen=True)
class Due:
    """A condition and the instant its threshold passes (or passed) for one visit."""

    condition: str
    deadline: datetime
    threshold_minutes: float
    workers_concerned: tuple[UUID, ...]
    detail: str
    stayed_minutes: float | None = None
    planned_minutes: float | None = None
    worker_id: UUID | None = None


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 2)


def _local(instant: datetime, zone: str) -> str:
    # People read times in the provider's zone, not UTC (a 08:00 visit on a BST day is 07:00Z).
    return instant.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def pending(state: VisitState, thresholds: Thresholds) -> list[Due]:
    """Every live condition not yet raised that would fall due if nothing more happened, with its deadline."""
    if state.visit.cancelled:
        return []
    found = [*_arrival_conditions(state, thresholds), *_presence_conditions(state, thresholds)]
    return [due for due in found if due.condition not in state.raised]


def due_at(state: VisitState, thresholds: Thresholds, now: datetime) -> list[Due]:
    """The live conditions whose threshold has passed by ``now`` (the runner raises these)."""
    return sorted(
        (due for due in pending(state, thresholds) if due.deadline <= now), key=lambda d: d.deadline
    )


def next_deadline(state: VisitState, thresholds: Thresholds) -> datetime | None:
    """When the runner must look at this visit next (None: nothing more can fall due by time alone)."""
    deadlines = [due.deadline for due in pending(state, thresholds)]
    return min(deadlines) if deadlines else None


def _arrival_conditions(state: VisitState, thresholds: Thresholds) -> list[Due]:
    visit = state.visit
    arrived = len(state.attendances)
    # A double-up needs both workers (two-person moving and handling): one alone is still late.
    if arrived >= max(1, visit.workers_required):
        return []
    waiting_for = tuple(w for w in visit.workers if w not in state.attendances)
    late = visit.planned_start + thresholds.late_after
    # The window closes at the planned end: nobody arriving by then means the visit did not happen.
    missed = max(late, min(visit.planned_start + thresholds.missed_after, visit.planned_end))
    start = _local(visit.planned_start, visit.time_zone)
    found = [
        Due(
            "late",
            late,
            _minutes(thresholds.late_after),
            waiting_for,
            f"No check-in {_minutes(thresholds.late_after):g} minutes after the planned start at {start}."
            if not arrived
            else f"Only {arrived} of {visit.workers_required} workers checked in "
            f"{_minutes(thresholds.late_after):g} minutes after the planned start at {start}.",
        )
    ]
    if not arrived:
        found.append(
            Due(
                "missed",
                missed,
                _minutes(missed - visit.planned_start),
                waiting_for,
                f"No check-in by {_local(missed, visit.time_zone)} for the visit planned at {start}: "
                "treat the visit as missed until someone arrives.",
            )
        )
    return found


def _presence_conditions(state: VisitState, thresholds: Thresholds) -> list[Due]:
    visit = state.visit
    inside = [a for a in state.attendances.values() if a.open]
    if not inside:
        return []
    planned = visit.planned_duration
    # The first arrival sets the clock for the visit; a double-up's second worker joins it.
    arrived = min(a.checked_in_at for a in inside)
    overrun = arrived + planned + thresholds.overrun_after
    overdue = max(visit.planned_end, arrived + planned) + thresholds.overdue_grace
    who = tuple(a.worker_id for a in inside)
    return [
        Due(
            "overrun",
            overrun,
            _minutes(thresholds.overrun_after),
            who,
            f"Still at the visit {_minutes(thresholds.overrun_after):g} minutes past its planned "
            f"{_minutes(planned):g} minutes (checked in at {_local(arrived, visit.time_zone)}).",
            stayed_minutes=_minutes(planned + thresholds.overrun_after),
            planned_minutes=_minutes(planned),
        ),
        Due(
            "overdue",
            overdue,
            _minutes(thresholds.overdue_grace),
            who,
            f"Checked in at {_local(arrived, visit.time_zone)} and not checked out by "
            f"{_local(overdue, visit.time_zone)}: check on the worker's welfare now.",
        ),
    ]


def at_check_out(state: VisitState, leaving: Attendance, thresholds: Thresholds) -> list[Due]:
    """``short`` or ``overrun`` decided by a check-out's recorded times (not yet raised on the visit)."""
    stayed = leaving.stayed()
    if stayed is None:
        return []
    planned = state.visit.planned_duration
    found: list[Due] = []
    zone = state.visit.time_zone
    left_at = leaving.checked_out_at or leaving.checked_in_at
    if stayed < planned * thresholds.short_share and "short" not in state.raised:
        found.append(
            Due(
                "short",
                left_at,
                _minutes(planned * thresholds.short_share),
                (leaving.worker_id,),
                f"Stayed {_minutes(stayed):g} of {_minutes(planned):g} planned minutes (less than "
                f"{thresholds.short_share:.0%}); checked out at {_local(left_at, zone)}.",
                stayed_minutes=_minutes(stayed),
                planned_minutes=_minutes(planned),
                worker_id=leaving.worker_id,
            )
        )
    if stayed > planned + thresholds.overrun_after and "overrun" not in state.raised:
        found.append(
            Due(
                "overrun",
                leaving.checked_in_at + planned + thresholds.overrun_after,
                _minutes(thresholds.overrun_after),
                (leaving.worker_id,),
                f"Stayed {_minutes(stayed):g} minutes against {_minutes(planned):g} planned.",
                stayed_minutes=_minutes(stayed),
                planned_minutes=_minutes(planned),
                worker_id=leaving.worker_id,
            )
        )
    return found


def resolved_by_check_in(state_after: VisitState) -> list[str]:
    """Raised conditions a check-in ends: ``missed`` once anyone is there, ``late`` once all are."""
    arrived = len(state_after.attendances)
    ended = {"missed"} if arrived else set()
    if arrived >= max(1, state_after.visit.workers_required):
        ended.add("late")
    return [c.condition for c in state_after.open_conditions() if c.condition in ended]


def resolved_by_check_out(state_after: VisitState) -> list[str]:
    """``overdue`` ends once nobody is left inside."""
    if any(a.open for a in state_after.attendances.values()):
        return []
    return [c.condition for c in state_after.open_conditions() if c.condition == "overdue"]
