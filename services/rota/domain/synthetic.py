"""Realistic generated days of home care, for tests, the benchmark and the simulator.

A day looks like a British home care branch: individuals clustered in localities a few kilometres
across, four visit rounds (morning, lunch, tea, bed) with the morning the busiest, about one visit in
seven a double-up needing a hoist, medication prompts needing a trained worker, a few individuals
asking for a female carer or refusing a worker, and workers on early, late or split shifts.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from uuid import UUID

from services.rota.domain.geo import Location
from services.rota.domain.planning import PlanningProblem, PlanVisit, PlanWorker, Weights
from services.rota.domain.travel import StraightLineTravel, TravelTimes

_ROUNDS = [  # (preferred start minute of day, share of visits, durations)
    (8 * 60, 0.32, (30, 45, 45)),
    (12 * 60 + 30, 0.24, (15, 30, 30)),
    (16 * 60 + 45, 0.22, (15, 30, 30)),
    (20 * 60, 0.22, (30, 30, 45)),
]
_SHIFTS = [  # (share, free intervals)
    (0.45, ((7 * 60, 14 * 60 + 30),)),
    (0.35, ((14 * 60, 22 * 60 + 30),)),
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
        known = frozenset(w.id for w in rng.sample(local, min(3, len(local))))
        double_up = rng.random() < 0.15
        for preferred, share, durations in _ROUNDS:
            if len(plan_visits) >= visits or rng.random() > share * 4 * 0.9:
                continue
            skills = {"personal_care"}
            if rng.random() < 0.3:
                skills.add("medication")
            if double_up:
                skills.add("hoist")
            preferred_start = preferred + rng.choice((-60, -45, -30, -15, 0, 15, 30, 45, 60, 75))
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
                    known_workers=known,
                )
            )
    return PlanningProblem(epoch, plan_visits, plan_workers, travel or StraightLineTravel(), weights)


def _uuid(rng: random.Random) -> UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
