"""Realistic generated days of home care, for tests, the benchmark and the simulator.

A day looks like a British home care branch: individuals clustered in localities a few kilometres
across, four visit rounds (morning, lunch, tea, bed) with the morning the busiest, about one visit in
seven a double-up needing a hoist, medication prompts needing a trained worker, a few individuals
asking for a female carer or refusing a worker, and workers on early, late or split shifts. Each
individual already knows the carers last week's rota sent them (continuity).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from services.rota.domain.geo import Location
from services.rota.domain.greedy import GreedyEngine
from services.rota.domain.planning import PlanningProblem, PlanVisit, PlanWorker, Weights
from services.rota.domain.travel import StraightLineTravel, TravelTimes

_ROUNDS = [  # (earliest preferred start, latest preferred start, share of visits, durations)
    (7 * 60 + 30, 10 * 60 + 30, 0.32, (30, 30, 45)),
    (11 * 60 + 30, 14 * 60, 0.24, (15, 30)),
    (16 * 60, 18 * 60, 0.22, (15, 30)),
    (18 * 60 + 45, 21 * 60, 0.22, (15, 30, 30)),
]
_SHIFTS = [  # (share, free intervals): the morning rush is staffed hardest, as branches do
    (0.50, ((7 * 60, 14 * 60 + 30),)),
    (0.30, ((14 * 60, 22 * 60 + 30),)),
    (0.20, ((7 * 60, 11 * 60), (16 * 60, 22 * 60 + 30))),
]
VISITS_PER_LOCALITY = 250


def generated_day(
    workers: int,
    visits: int,
    *,
    seed: int = 1,
    travel: TravelTimes | None = None,
    weights: Weights | None = None,
    epoch: datetime = datetime(2026, 11, 23, tzinfo=UTC),
) -> PlanningProblem:
    """A day with about ``visits`` visits and ``workers`` workers, split into localities of ~250 visits."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    localities = max(1, round(visits / VISITS_PER_LOCALITY))
    names = [f"locality-{i + 1}" for i in range(localities)]
    centres = {
        name: Location(53.80 + 0.09 * (i % 3), -1.55 + 0.15 * (i // 3)) for i, name in enumerate(names)
    }

    def near(centre: Location, km: float) -> Location:
        return Location(centre.lat + rng.uniform(-km, km) / 111.0, centre.lon + rng.uniform(-km, km) / 66.0)

    plan_workers: list[PlanWorker] = []
    for i in range(workers):
        locality = names[i % localities]
        shifts = rng.choices([s for _, s in _SHIFTS], weights=[w for w, _ in _SHIFTS])[0]
        skills = {"personal_care"}
        if rng.random() < 0.75:
            skills.add("medication")
        if rng.random() < 0.5:
            skills.add("hoist")
        plan_workers.append(
            PlanWorker(
                id=_uuid(rng),
                locality=locality,
                home=near(centres[locality], 3.0),
                skills=frozenset(skills),
                gender="female" if rng.random() < 0.8 else "male",
                transport="car" if rng.random() < 0.85 else "walk",
                shifts=shifts,
                max_working_minutes=540,
                contracted_minutes=450,
            )
        )
    by_locality = {name: [w for w in plan_workers if w.locality == name] for name in names}
    plan_visits: list[PlanVisit] = []
    while len(plan_visits) < visits:
        locality = names[len(plan_visits) % localities]
        individual = _uuid(rng)
        home = near(centres[locality], 2.5)
        female_only = rng.random() < 0.1
        local = by_locality[locality] or plan_workers
        refused = frozenset({rng.choice(local).id}) if rng.random() < 0.05 else frozenset()
        double_up = rng.random() < 0.15
        for earliest, latest, share, durations in _ROUNDS:
            if len(plan_visits) >= visits or rng.random() > share * 4 * 0.9:
                continue
            skills = {"personal_care"}
            if rng.random() < 0.3:
                skills.add("medication")
            if double_up:
                skills.add("hoist")
            preferred_start = rng.randrange(earliest, latest + 1, 15)
            flex = rng.choice((15, 30, 30, 45))
            plan_visits.append(
                PlanVisit(
                    id=_uuid(rng),
                    individual_id=individual,
                    locality=locality,
                    location=home,
                    window_start=preferred_start - flex,
                    window_end=preferred_start + flex,
                    preferred_start=preferred_start,
                    duration=rng.choice(durations),
                    workers_required=2 if double_up else 1,
                    required_skills=frozenset(skills),
                    carer_gender="female" if female_only else None,
                    refused_workers=refused,
                )
            )
    problem = PlanningProblem(epoch, plan_visits, plan_workers, travel or StraightLineTravel(), weights)
    return problem.with_visits(_with_known_carers(problem, rng))


def _with_known_carers(problem: PlanningProblem, rng: random.Random) -> list[PlanVisit]:
    """The visits with the carers each individual knows: those last week's rota sent.

    Last week is the same day with every visit up to half an hour earlier or later, planned by the
    greedy engine; one more local carer who once covered is added. So continuity is possible for
    most visits but not free: today's times differ, and the workforce has to be arranged for it.
    """
    last_week = problem.with_visits(
        [
            replace(
                v,
                window_start=v.window_start + shift,
                window_end=v.window_end + shift,
                preferred_start=v.preferred_start + shift,
            )
            for v in problem.visits
            for shift in [rng.choice((-30, -15, 0, 15, 30))]
        ]
    )
    plan = GreedyEngine().allocate(last_week)
    known: dict[UUID, set[UUID]] = {}
    for allocation in plan.allocations:
        individual = problem.visit[allocation.visit_id].individual_id
        known.setdefault(individual, set()).add(allocation.worker_id)
    local = {
        name: [w.id for w in problem.workers if w.locality == name]
        for name in {v.locality for v in problem.visits}
    }
    for visit in problem.visits:
        if local[visit.locality]:
            known.setdefault(visit.individual_id, set()).add(rng.choice(local[visit.locality]))
    return [replace(v, known_workers=frozenset(known.get(v.individual_id, ()))) for v in problem.visits]


def _uuid(rng: random.Random) -> UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
