"""The day's delivery in figures: punctuality, time delivered against planned, missed visits.

Per locality and per worker, for one local day of the provider (001 P11-P16: indicators of the work).
A visit is *punctual* when its first check-in came no later than its late threshold; *delivered*
minutes are the sum of each worker's stay (a double-up delivers two workers' time against two
workers' planned time); a visit is *missed* when nobody checked in and its missed deadline passed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.visits.domain.monitor import ThresholdBook, pending
from services.visits.domain.visits import VisitState


@dataclass
class Tally:
    """The figures of one locality or one worker."""

    visits: int = 0
    delivered: int = 0
    punctual: int = 0
    missed: int = 0
    lateness_minutes: list[float] = field(default_factory=list)
    planned_minutes: float = 0.0
    delivered_minutes: float = 0.0

    @property
    def punctuality(self) -> float | None:
        """Share of delivered visits that started on time."""
        return round(self.punctual / self.delivered, 4) if self.delivered else None

    @property
    def delivered_share(self) -> float | None:
        """Minutes delivered over minutes planned (of visits that were due)."""
        return round(self.delivered_minutes / self.planned_minutes, 4) if self.planned_minutes else None

    @property
    def mean_lateness_minutes(self) -> float | None:
        """Average minutes after planned start of the first check-in (negative: early)."""
        if not self.lateness_minutes:
            return None
        return round(sum(self.lateness_minutes) / len(self.lateness_minutes), 2)


@dataclass(frozen=True)
class DailyReport:
    """The day per locality and per worker."""

    by_locality: dict[str, Tally]
    by_worker: dict[str, Tally]


def _missed(state: VisitState, book: ThresholdBook, now: datetime) -> bool:
    if state.attendances:
        return False
    if "missed" in state.raised:
        return True
    thresholds = book.for_type(state.visit.service_type)
    return any(d.condition == "missed" and d.deadline <= now for d in pending(state, thresholds))


def daily(states: list[VisitState], book: ThresholdBook, now: datetime) -> DailyReport:
    """Tally a day's visits (cancelled ones are left out: they were not due)."""
    localities: dict[str, Tally] = defaultdict(Tally)
    workers: dict[str, Tally] = defaultdict(Tally)
    for state in states:
        visit = state.visit
        if visit.cancelled:
            continue
        late_after = book.for_type(visit.service_type).late_after
        missed = _missed(state, book, now)
        planned = visit.planned_duration.total_seconds() / 60
        area = localities[visit.locality]
        area.visits += 1
        area.missed += missed
        area.planned_minutes += planned * max(1, len(visit.workers))
        first = state.first_check_in
        if first is not None:
            area.delivered += 1
            area.punctual += first - visit.planned_start <= late_after
            area.lateness_minutes.append((first - visit.planned_start).total_seconds() / 60)
        for worker_id in visit.workers:
            mine = workers[str(worker_id)]
            mine.visits += 1
            mine.planned_minutes += planned
            attendance = state.attendances.get(worker_id)
            if attendance is None:
                mine.missed += missed
                continue
            mine.delivered += 1
            lateness = attendance.checked_in_at - visit.planned_start
            mine.punctual += lateness <= late_after
            mine.lateness_minutes.append(lateness.total_seconds() / 60)
            stayed = attendance.stayed() or timedelta(0)
            mine.delivered_minutes += stayed.total_seconds() / 60
            area.delivered_minutes += stayed.total_seconds() / 60
    return DailyReport(by_locality=dict(localities), by_worker=dict(workers))
