"""The day ``rounds bench day`` plays (pure): N visits of demo branches, scripted, then compressed in time.

A national provider's day is many branches' days. Each branch here is a copy of the demo generator's
``medium`` provider (about 1,160 visits on a weekday), its visits given to its visiting workers in
turn, and its day scripted by :func:`rounds.demo.day.script_day` (the same script ``rounds simulate``
replays: lateness, durations, refused tasks, offline batches, missed visits, a worker who never
checks out, one SOS and one incident per branch). Nobody rings in sick: without the rota nothing
would repair their visits. The last branch takes a seeded sample of the template's visits, so
``--visits`` can be any number.

The day is then *compressed*: every instant of it (planned starts and ends, device times, the
moment each record is sent) is mapped onto the real clock ``speed`` times faster, from ``start``.
The monitor runs on the real clock, so its thresholds are divided by the same speed
(:func:`compressed_thresholds`): a 30-minute visit lasts 30 min / speed, a visit is late 15 min /
speed after its planned start, and the platform sees the whole day as it would, only faster.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rounds.demo.day import ActionKind, DayRates, ScheduledVisit, WorkerAction, planned_visits, script_day
from rounds.demo.generator import generate
from rounds.demo.model import Provider
from rounds.simulate.driver import record_id, request_for
from services.visits.domain.geo import Point
from services.visits.domain.visits import ExpectedVisit

#: The demo size each branch copies.
BRANCH_SIZE = "medium"
#: Visiting roles: those the rota sends to homes.
VISITING_ROLES = frozenset({"care_worker", "senior_care_worker", "nurse"})
#: The day starts here on the simulated clock (before the earliest check-in of a 07:00 visit).
DAY_ORIGIN = time(6, 40)
#: The platform's default thresholds (minutes), compressed with the day.
THRESHOLD_MINUTES = {"late_after": 15.0, "missed_after": 60.0, "overrun_after": 15.0, "overdue_grace": 30.0}


@dataclass(frozen=True, slots=True)
class Send:
    """One record a worker's app sends, ``due_s`` seconds after the compressed day starts.

    The request is built when it is sent (:meth:`request`): a national day holds millions of these.
    """

    due_s: float
    worker_id: str
    record_id: str
    action: WorkerAction  # on the real clock

    @property
    def kind(self) -> str:
        """The kind of record (``check_in``, ``task_done``...)."""
        return self.action.kind.value

    def request(self) -> tuple[str, dict[str, Any]]:
        """The gateway path and JSON body of the record."""
        request = request_for(self.action, self.record_id)
        if request is None:  # chains() leaves out what is not a record
            raise ValueError(f"{self.action.kind} is not sent to the visits service")
        return request


@dataclass
class ScriptedDay:
    """The whole day, on the simulated clock: visits per branch and what every app does."""

    day: date
    seed: int
    run: str
    branches: list[tuple[list[ScheduledVisit], tuple[WorkerAction, ...]]] = field(default_factory=list)
    worker_ids: dict[tuple[int, str], str] = field(default_factory=dict)
    missed: set[str] = field(default_factory=set)
    never_checked_out: set[str] = field(default_factory=set)
    expected: Counter[str] = field(default_factory=Counter)

    @property
    def visits(self) -> int:
        """How many visits the day has."""
        return sum(len(visits) for visits, _ in self.branches)

    @property
    def records(self) -> int:
        """How many records the apps send."""
        return sum(len(actions) for _, actions in self.branches)

    def uuid_of(self, visit_id: str | None) -> str:
        """The visit's id in this run (unique per run: a shared broker keeps earlier runs' events)."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rounds-bench-day/{self.run}/{visit_id}"))

    def span(self) -> tuple[datetime, datetime]:
        """The day's origin and the instant its last record is sent (simulated clock)."""
        zone = ZoneInfo("Europe/London")
        origin = datetime.combine(self.day, DAY_ORIGIN, zone).astimezone(UTC)
        last = max((a.sent_at for _, actions in self.branches for a in actions), default=origin)
        return origin, last


def _allocated(visits: list[ScheduledVisit], workers: list[str], branch: int) -> list[ScheduledVisit]:
    """The branch's visits (ids ``<branch>/<template id>``), given to its visiting workers in turn.

    The ids, and so each visit's fate in the script, are the same in every run of the same day and
    seed; :meth:`ScriptedDay.uuid_of` makes them unique per run where they leave the script.
    """
    turn = 0
    out: list[ScheduledVisit] = []
    for visit in sorted(visits, key=lambda v: (v.planned_start, v.visit_id)):
        refs = tuple(workers[(turn + k) % len(workers)] for k in range(visit.workers_required))
        turn += visit.workers_required
        out.append(replace(visit, visit_id=f"{branch}/{visit.visit_id}", worker_refs=refs))
    return out


def script(
    visits: int,
    seed: int,
    day: date,
    run: str,
    provider: Provider | None = None,
    rates: DayRates | None = None,
) -> ScriptedDay:
    """The day of ``visits`` visits: whole branches, then a seeded sample of one for the rest."""
    provider = provider or generate(BRANCH_SIZE, seed, day)
    template = planned_visits(provider, day)
    workers = sorted(w.ref for w in provider.workers if w.role in VISITING_ROLES)
    scripted = ScriptedDay(day=day, seed=seed, run=run)
    left, branch = visits, 0
    while left > 0:
        chosen = template
        if left < len(template):
            chosen = random.Random(f"{seed}/sample/{left}").sample(template, left)  # noqa: S311 - not security
        branch_visits = _allocated(chosen, workers, branch)
        day_script = script_day(provider, day, branch_visits, seed + branch, rates, pinned={"sick": None})
        scripted.branches.append((branch_visits, day_script.actions))
        scripted.missed |= set(day_script.missed)
        scripted.never_checked_out |= set(day_script.never_checked_out)
        scripted.expected.update(day_script.expected)
        for ref in workers:
            scripted.worker_ids[(branch, ref)] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run}/{branch}/{ref}"))
        left -= len(chosen)
        branch += 1
    return scripted


@dataclass(frozen=True)
class Compression:
    """The simulated day's ``origin`` at real ``start``, ``speed`` times faster."""

    origin: datetime
    start: datetime
    speed: float

    def real(self, simulated: datetime) -> datetime:
        """The real instant of a simulated one."""
        return self.start + (simulated - self.origin) / self.speed

    def offset_s(self, simulated: datetime) -> float:
        """Seconds after the real start."""
        return (simulated - self.origin).total_seconds() / self.speed


def compressed_thresholds(speed: float) -> dict[str, float]:
    """The monitor's thresholds in real minutes for a day running ``speed`` times faster."""
    return {name: minutes / speed for name, minutes in THRESHOLD_MINUTES.items()}


def expected_visits(day: ScriptedDay, provider: Provider, clock: Compression) -> list[ExpectedVisit]:
    """The visits to seed into the visits service, as the rota would have announced them, compressed."""
    individuals = {i.ref: i for i in provider.individuals}
    written = clock.start - timedelta(days=1)
    out: list[ExpectedVisit] = []
    for branch, (visits, _) in enumerate(day.branches):
        for visit in visits:
            individual = individuals[visit.individual_ref]
            start = clock.real(visit.planned_start)
            end = clock.real(visit.planned_start + timedelta(minutes=visit.duration_minutes))
            home = individual.address.location
            out.append(
                ExpectedVisit(
                    visit_id=uuid.UUID(day.uuid_of(visit.visit_id)),
                    individual_id=uuid.uuid5(
                        uuid.NAMESPACE_URL, f"{day.run}/{branch}/{visit.individual_ref}"
                    ),
                    package_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{day.run}/{branch}/{visit.individual_ref}/p"),
                    locality=f"Branch {branch + 1}",
                    local_date=start.astimezone(ZoneInfo("Europe/London")).date(),
                    time_zone="Europe/London",
                    service_type="personal_care",
                    planned_start=start,
                    planned_end=end,
                    window_start=start,
                    window_end=start + (end - start) / 2,
                    tasks=visit.tasks,
                    workers_required=visit.workers_required,
                    workers=tuple(uuid.UUID(day.worker_ids[(branch, ref)]) for ref in visit.worker_refs),
                    address=", ".join(individual.address.lines),
                    cancelled=False,
                    rota_updated_at=written,
                    home=Point(home.lat, home.lon),
                )
            )
    return out


def chains(day: ScriptedDay, clock: Compression) -> list[list[Send]]:
    """What each worker's app sends for each visit, in order; chains ordered by their first record.

    Record ids are the simulator's (:func:`rounds.simulate.driver.record_id`) of the run's visit ids:
    an app sending a record again sends the same id, and no two runs share one.
    """
    out: dict[tuple[str | None, str, int], list[Send]] = {}
    for branch, (_, actions) in enumerate(day.branches):
        counters: Counter[tuple[str | None, str, str]] = Counter()
        for action in actions:
            if action.kind is ActionKind.REPORT_SICK:
                continue
            key = (action.visit_id, action.worker_ref, action.kind.value)
            counters[key] += 1
            moved = replace(
                action,
                at=clock.real(action.at),
                sent_at=clock.real(action.sent_at),
                visit_id=day.uuid_of(action.visit_id),
            )
            rid = record_id(day.day, day.seed + branch, moved, counters[key])
            send = Send(
                clock.offset_s(action.sent_at), day.worker_ids[(branch, action.worker_ref)], rid, moved
            )
            out.setdefault((action.visit_id, action.worker_ref, branch), []).append(send)
    return sorted(out.values(), key=lambda chain: chain[0].due_s)
