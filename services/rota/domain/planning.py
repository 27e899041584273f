"""A planning problem and its plan: what every allocation engine reads and writes (001 P5).

Times inside a problem are whole minutes since ``epoch`` (an aware UTC instant, usually local
midnight of the planned day), so engines and the validator do integer arithmetic only.

Definitions shared by the validator and every engine (and documented here once):

* A visit fits a worker's shift when it starts at or after the shift's start and ends at or before
  its end; travel from and to home is the worker's commute and is costed, not timed.
* Working time = visit durations + travel between consecutive visits of the day (hard daily limit).
* A continuous stretch of work ends when the idle time between arriving at the next visit and
  starting it (or between two visits, after travel) is at least ``break_minutes``; no stretch may
  last longer than ``max_continuous_minutes`` (Working Time Regulations 1998 reg. 12: a 20 minute
  rest break when the working day is longer than six hours).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from services.rota.domain.geo import Location
from services.rota.domain.travel import TravelTimes


@dataclass(frozen=True)
class PlanWorker:
    """A worker as a planning problem sees them for one period."""

    id: UUID
    locality: str
    home: Location
    skills: frozenset[str] = frozenset()
    gender: str | None = None
    transport: str = "car"
    shifts: tuple[tuple[int, int], ...] = ()  # (start, end) minutes when the worker is available
    absences: tuple[tuple[int, int], ...] = ()  # (start, end) minutes when they are not (sick, leave)
    max_working_minutes: int = 600  # hard limit per period
    contracted_minutes: int | None = None  # beyond this is overtime (soft)
    max_continuous_minutes: int = 360
    break_minutes: int = 20


@dataclass(frozen=True)
class PlanVisit:
    """A visit to allocate: ``workers_required`` workers start together within the window."""

    id: UUID
    individual_id: UUID
    locality: str
    location: Location
    window_start: int  # earliest start (minutes since epoch)
    window_end: int  # latest start
    preferred_start: int
    duration: int
    workers_required: int = 1
    required_skills: frozenset[str] = frozenset()
    carer_gender: str | None = None
    refused_workers: frozenset[UUID] = frozenset()
    known_workers: frozenset[UUID] = frozenset()  # continuity: workers the individual already knows


@dataclass(frozen=True)
class Weights:
    """Soft costs a coordinator can tune (per unit); hard rules are never traded against them."""

    travel_minute: int = 1
    lateness_minute: int = 1  # per minute away from the preferred start, inside the window
    unknown_worker: int = 300  # continuity: a visit by a worker the individual does not know yet
    overtime_minute: int = 2  # beyond contracted minutes (balance of workload)
    unallocated_visit: int = 100_000

    def tunable(self) -> dict[str, int]:
        """The soft costs a coordinator may set (leaving a visit out is never one of them)."""
        return {
            "travel_minute": self.travel_minute,
            "lateness_minute": self.lateness_minute,
            "unknown_worker": self.unknown_worker,
            "overtime_minute": self.overtime_minute,
        }


@dataclass(frozen=True)
class Allocation:
    """One worker doing one visit from ``start`` (a double-up has two allocations with one start)."""

    visit_id: UUID
    worker_id: UUID
    start: int


@dataclass
class Plan:
    """Allocations, and for each visit left unallocated the reason it could not be placed."""

    allocations: list[Allocation] = field(default_factory=list)
    unallocated: dict[UUID, str] = field(default_factory=dict)

    def by_worker(self) -> dict[UUID, list[Allocation]]:
        """Each worker's allocations in start order."""
        routes: dict[UUID, list[Allocation]] = {}
        for allocation in sorted(self.allocations, key=lambda a: (a.start, str(a.visit_id))):
            routes.setdefault(allocation.worker_id, []).append(allocation)
        return routes

    def by_visit(self) -> dict[UUID, list[Allocation]]:
        """Each visit's allocations."""
        visits: dict[UUID, list[Allocation]] = {}
        for allocation in self.allocations:
            visits.setdefault(allocation.visit_id, []).append(allocation)
        return visits


class PlanningProblem:
    """Visits and workers of one period (and usually one locality), with travel times between them."""

    def __init__(
        self,
        epoch: datetime,
        visits: Sequence[PlanVisit],
        workers: Sequence[PlanWorker],
        travel: TravelTimes,
        weights: Weights | None = None,
    ) -> None:
        if epoch.tzinfo is None:
            raise ValueError("a planning epoch must be an aware datetime")
        self.epoch = epoch
        self.visits = list(visits)
        self.workers = list(workers)
        self.travel = travel
        self.weights = weights or Weights()
        self.visit = {v.id: v for v in self.visits}
        self.worker = {w.id: w for w in self.workers}
        # Node order: visits, then workers' homes; matrices are computed once per transport mode.
        self.places: list[Location] = [v.location for v in self.visits] + [w.home for w in self.workers]
        self.visit_node = {v.id: i for i, v in enumerate(self.visits)}
        self.home_node = {w.id: len(self.visits) + i for i, w in enumerate(self.workers)}
        self._matrices: dict[str, list[list[int]]] = {}

    def matrix(self, mode: str) -> list[list[int]]:
        """Travel minutes between all nodes for ``mode``, computed on first use."""
        if mode not in self._matrices:
            self._matrices[mode] = self.travel.matrix(self.places, mode)
        return self._matrices[mode]

    def travel_between(self, worker: PlanWorker, from_visit: UUID, to_visit: UUID) -> int:
        """Minutes ``worker`` needs from one visit to the next."""
        return self.matrix(worker.transport)[self.visit_node[from_visit]][self.visit_node[to_visit]]

    def commute(self, worker: PlanWorker, visit: UUID, *, home_first: bool) -> int:
        """Minutes between ``worker``'s home and ``visit`` (home to visit when ``home_first``)."""
        m = self.matrix(worker.transport)
        home, node = self.home_node[worker.id], self.visit_node[visit]
        return m[home][node] if home_first else m[node][home]

    def at(self, minute: int) -> datetime:
        """The instant of ``minute``."""
        return self.epoch + timedelta(minutes=minute)

    def minute_of(self, instant: datetime) -> int:
        """Minutes since the epoch of an aware ``instant``, rounded down."""
        return int((instant - self.epoch).total_seconds() // 60)

    def with_workers(self, workers: Sequence[PlanWorker]) -> PlanningProblem:
        """The same visits with changed workers (same ids and homes, e.g. an absence added).

        Travel matrices are shared, not recomputed: the places are the same, and a repair has to
        answer in seconds.
        """
        if [w.id for w in workers] != [w.id for w in self.workers] or any(
            a.home != b.home or a.transport != b.transport for a, b in zip(workers, self.workers, strict=True)
        ):
            raise ValueError("with_workers keeps the same workers in the same order and homes")
        problem = PlanningProblem(self.epoch, self.visits, workers, self.travel, self.weights)
        problem._matrices = self._matrices
        return problem

    def with_visits(self, visits: Sequence[PlanVisit]) -> PlanningProblem:
        """The same workers with changed visits at the same places, in the same order.

        Travel matrices are shared, not recomputed.
        """
        if [v.location for v in visits] != [v.location for v in self.visits]:
            raise ValueError("with_visits keeps the visits' places in the same order")
        problem = PlanningProblem(self.epoch, visits, self.workers, self.travel, self.weights)
        problem._matrices = self._matrices
        return problem

    def restricted(self, keep: Callable[[PlanVisit], bool], workers: Sequence[PlanWorker]) -> PlanningProblem:
        """A smaller problem with the visits ``keep`` selects and ``workers``."""
        return PlanningProblem(
            self.epoch, [v for v in self.visits if keep(v)], workers, self.travel, self.weights
        )


def eligible(worker: PlanWorker, visit: PlanVisit) -> bool:
    """Whether ``worker`` may be sent to ``visit`` at all (skills, gender, refusal, locality)."""
    return (
        visit.required_skills <= worker.skills
        and (visit.carer_gender is None or visit.carer_gender == worker.gender)
        and worker.id not in visit.refused_workers
        and worker.locality == visit.locality
    )


def free_intervals(worker: PlanWorker) -> list[tuple[int, int]]:
    """The worker's shifts with their absences cut out."""
    free: list[tuple[int, int]] = []
    for start, end in sorted(worker.shifts):
        pieces = [(start, end)]
        for a_start, a_end in worker.absences:
            pieces = [
                part
                for s, e in pieces
                for part in ((s, min(e, a_start)), (max(s, a_end), e))
                if part[0] < part[1]
            ]
        free.extend(pieces)
    return free
