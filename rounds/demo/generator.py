"""Generate a realistic synthetic home care provider from a seed (pure: no I/O, no clock).

``generate("small", seed=7, as_of=date(2026, 11, 23))`` always returns the same provider: every random
choice comes from one :class:`random.Random` seeded with ``seed``, and every date is counted from
``as_of`` (the day the demo starts; the CLI passes today). The shape follows what English home care
providers look like:

- a branch per locality with a registered manager, coordinators (about one per 40 staff), senior care
  workers leading teams of about 15, a few nurses, and care workers on permanent (hours), zero-hours,
  bank or fixed-term contracts, most of them women, some recruited from abroad;
- workers live around the branch's towns and villages and drive (rural branches) or also walk, cycle
  and take the bus (towns); their weekly shifts (early, late, split) fall inside the 7-day service
  from 07:00 to 22:00, and their hours are what their contract says;
- individuals (about 0.9 per member of staff: in England about as many people receive home care as
  work in it) are mostly over 65, with a care package from one morning call to
  four calls a day with two of them double-ups (hoist transfers), tasks per visit, the skills visits
  need (medication, PEG feeding, catheter care...), preferred times, carer gender, refused workers,
  key people with consent, channel, language and quiet hours, and access notes for some homes;
- every combination of skills a locality's visits need is held by at least three of its visiting
  workers, so the rota has a feasible start.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import TypeVar

from rounds.demo import vocabulary as words
from rounds.demo.geography import ALL_LOCALITIES, STREETS, LocalityPlace, Settlement
from rounds.demo.model import (
    SERVICE_END,
    SERVICE_START,
    AccessNotes,
    Address,
    Dbs,
    Individual,
    KeyPerson,
    Locality,
    Need,
    OnCallShift,
    Plan,
    PlanVisit,
    Point,
    Preferences,
    PreferredTime,
    ProfessionalRegistration,
    Provider,
    Risk,
    Shift,
    Team,
    Training,
    Worker,
)

T = TypeVar("T")

PROVIDER_NAME = "Dales and Coast Home Care"
TIME_ZONE = "Europe/London"
#: Individuals supported per member of staff (about 12 hours of care a week each; mornings are the limit).
INDIVIDUALS_PER_WORKER = 0.9
#: A locality gets at least this many staff, so each branch can run.
MIN_BRANCH_STAFF = 12
#: Every set of skills a locality's visits need is held by at least this many of its visiting workers.
MIN_SKILL_HOLDERS = 3


@dataclass(frozen=True)
class Size:
    """How big a provider to make: ``workers`` staff across the first ``localities`` localities."""

    name: str
    workers: int
    localities: int


SIZES: dict[str, Size] = {
    size.name: size
    for size in (
        Size("tiny", 12, 1),
        Size("small", 50, 1),
        Size("medium", 500, 4),
        Size("large", 2_000, 13),
        Size("national", 10_000, len(ALL_LOCALITIES)),
    )
}


def size_named(name: str) -> Size:
    """The :class:`Size` called ``name``; ``ValueError`` listing the sizes otherwise."""
    try:
        return SIZES[name]
    except KeyError:
        raise ValueError(f"unknown size {name!r}; choose one of: {', '.join(SIZES)}") from None


def generate(size: str | Size, seed: int, as_of: date) -> Provider:
    """A whole provider of ``size``, the same for the same ``seed`` and ``as_of``."""
    chosen = size_named(size) if isinstance(size, str) else size
    if chosen.workers < MIN_BRANCH_STAFF * chosen.localities:
        raise ValueError(
            f"{chosen.workers} workers cannot staff {chosen.localities} localities "
            f"(at least {MIN_BRANCH_STAFF} each)"
        )
    if not 1 <= chosen.localities <= len(ALL_LOCALITIES):
        raise ValueError(f"localities must be between 1 and {len(ALL_LOCALITIES)}")
    return _Builder(chosen, seed, as_of).build()


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def nhs_check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when no valid number starts with them."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 10:
        return None
    return 0 if check == 11 else check


class _Builder:
    """One generation run: the random source, the day counted from, and counters for refs."""

    def __init__(self, size: Size, seed: int, as_of: date) -> None:
        # Not for security: a seeded generator is the point (the same seed, the same provider).
        self.rng = random.Random(seed)  # noqa: S311
        self.size = size
        self.seed = seed
        self.as_of = as_of
        self.places = ALL_LOCALITIES[: size.localities]
        #: Visiting workers rostered on each weekday so far, per locality and shift pattern.
        self.day_cover: dict[str, list[int]] = {}
        #: Shift patterns given so far, per locality.
        self.pattern_count: dict[str, dict[str, int]] = {}

    # -- small helpers -------------------------------------------------------------------------
    def pick(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def weighted(self, options: Sequence[tuple[T, float]]) -> T:
        return self.rng.choices([o for o, _ in options], [w for _, w in options])[0]

    def days_ago(self, low: int, high: int) -> date:
        return self.as_of - timedelta(days=self.rng.randint(low, high))

    def near(self, settlement: Settlement) -> Point:
        """A point around ``settlement``, spread as its size suggests."""
        km_north = self.rng.gauss(0.0, settlement.spread_km)
        km_east = self.rng.gauss(0.0, settlement.spread_km)
        lat = settlement.lat + km_north / 111.0
        lon = settlement.lon + km_east / (111.32 * math.cos(math.radians(settlement.lat)))
        return Point(round(lat, 6), round(lon, 6))

    def settlement_in(self, place: LocalityPlace) -> Settlement:
        # Most people cared for live in the towns; villages still get their share (a power below 1).
        return self.rng.choices(place.settlements, [s.population**0.85 for s in place.settlements])[0]

    def mobile(self) -> str:
        return f"07700 900{self.rng.randrange(1000):03d}"

    def landline(self) -> str:
        return f"01632 960{self.rng.randrange(1000):03d}"

    # -- the provider ---------------------------------------------------------------------------
    def build(self) -> Provider:
        staff = self._staff_per_locality()
        localities = tuple(
            Locality(f"l-{i + 1:02d}", p.name, p.county, Point(p.office.lat, p.office.lon), p.rural)
            for i, p in enumerate(self.places)
        )
        dbs_numbers = iter(self.rng.sample(range(10**11, 10**12), self.size.workers))
        teams: list[Team] = []
        workers: list[Worker] = []
        for place, count in zip(self.places, staff, strict=True):
            branch_teams, branch_workers = self._branch(place, count, len(workers), len(teams), dbs_numbers)
            teams.extend(branch_teams)
            workers.extend(branch_workers)
        counts = [round(n * INDIVIDUALS_PER_WORKER) for n in staff]
        nhs_numbers = iter(self._nhs_numbers(sum(counts)))
        individuals: list[Individual] = []
        for place, count in zip(self.places, counts, strict=True):
            visiting = [w for w in workers if w.locality == place.name and w.visits]
            for _ in range(count):
                individuals.append(self._individual(place, len(individuals) + 1, next(nhs_numbers), visiting))
        workers = self._cover_skills(workers, individuals)
        return Provider(
            name=PROVIDER_NAME,
            size=self.size.name,
            seed=self.seed,
            as_of=self.as_of,
            time_zone=TIME_ZONE,
            localities=localities,
            teams=tuple(teams),
            workers=tuple(workers),
            individuals=tuple(individuals),
            on_call=tuple(self._on_call(workers)),
        )

    def _staff_per_locality(self) -> list[int]:
        """Staff per locality, by population (flattened), each at least a workable branch."""
        weights = [math.sqrt(sum(s.population for s in p.settlements)) for p in self.places]
        spare = self.size.workers - MIN_BRANCH_STAFF * len(self.places)
        shares = [spare * w / sum(weights) for w in weights]
        counts = [MIN_BRANCH_STAFF + math.floor(s) for s in shares]
        # Largest remainder, so the total is exactly what was asked for.
        order = sorted(range(len(shares)), key=lambda i: shares[i] - math.floor(shares[i]), reverse=True)
        for i in order[: self.size.workers - sum(counts)]:
            counts[i] += 1
        return counts

    def _nhs_numbers(self, count: int) -> list[str]:
        """Distinct valid NHS numbers in the 999 range, which NHS Digital keeps for testing."""
        numbers: list[str] = []
        for stem in self.rng.sample(range(10**6), min(10**6, math.ceil(count * 1.2) + 20)):
            first_nine = f"999{stem:06d}"
            check = nhs_check_digit(first_nine)
            if check is not None:
                numbers.append(f"{first_nine}{check}")
                if len(numbers) == count:
                    return numbers
        raise ValueError(f"cannot make {count} distinct NHS numbers")

    # -- staff ----------------------------------------------------------------------------------
    def _branch(
        self, place: LocalityPlace, count: int, worker_offset: int, team_offset: int, dbs: Iterator[int]
    ) -> tuple[list[Team], list[Worker]]:
        """One locality's staff: manager, coordinators, seniors leading teams, nurses, care workers."""
        coordinators = max(1, round(count / 40))
        nurses = round(count * 0.02) if count >= 40 else 0
        seniors = max(1, round(count * 0.1))
        carers = count - 1 - coordinators - nurses - seniors
        roles = (
            ["registered_manager"]
            + ["coordinator"] * coordinators
            + ["senior_care_worker"] * seniors
            + ["nurse"] * nurses
            + ["care_worker"] * carers
        )
        refs = [f"w-{worker_offset + i + 1:05d}" for i in range(count)]
        manager_ref = refs[0]
        coordinator_refs = refs[1 : 1 + coordinators]
        senior_refs = refs[1 + coordinators : 1 + coordinators + seniors]
        team_count = max(1, math.ceil((carers + nurses) / 15))
        teams = [
            Team(
                f"t-{team_offset + t + 1:04d}",
                f"{place.name} team {chr(ord('A') + t % 26)}{'' if t < 26 else t // 26}",
                place.name,
                senior_refs[t % len(senior_refs)],
            )
            for t in range(team_count)
        ]
        workers: list[Worker] = []
        for index, (ref, role) in enumerate(zip(refs, roles, strict=True)):
            if role == "registered_manager":
                team, line_manager = None, None
            elif role == "coordinator":
                team, line_manager = None, manager_ref
            elif role == "senior_care_worker":
                team = next((t for t in teams if t.manager_ref == ref), teams[index % len(teams)])
                line_manager = coordinator_refs[index % len(coordinator_refs)]
            else:
                team = teams[index % len(teams)]
                line_manager = team.manager_ref
            number = next(dbs)
            workers.append(self._worker(place, ref, role, team, line_manager, f"{number:012d}"))
        return teams, workers

    def _worker(
        self, place: LocalityPlace, ref: str, role: str, team: Team | None, line_manager: str | None, dbs: str
    ) -> Worker:
        community = self.weighted([(name, share) for name, share, _ in words.WORKFORCE_COMMUNITIES])
        language = next(lang for name, _, lang in words.WORKFORCE_COMMUNITIES if name == community)
        gender = "female" if self.chance(0.8) else "male"
        female, male = words.YOUNGER[community]
        given = self.pick(female if gender == "female" else male)
        family = self.pick(words.FAMILY_NAMES[community])
        visiting = role in ("care_worker", "senior_care_worker", "nurse")
        contract, hours = self._contract(visiting)
        start = self.days_ago(14, 12 * 365) if self.chance(0.85) else self.days_ago(7, 200)
        service_days = (self.as_of - start).days
        settlement = self.settlement_in(place)
        return Worker(
            ref=ref,
            given_name=given,
            family_name=family,
            gender=gender,
            role=role,
            job_title=_JOB_TITLES[role],
            locality=place.name,
            team_ref=team.ref if team else None,
            line_manager_ref=line_manager,
            skills=self._skills(role),
            training=self._training(role),
            contract_type=contract,
            contracted_hours_per_week=hours,
            start_date=start,
            probation_status=(
                "completed" if service_days > 183 else "extended" if service_days > 150 else "in_progress"
            ),
            induction_status=(
                "completed" if service_days > 84 else "in_progress" if service_days > 7 else "not_started"
            ),
            dbs=self._dbs(dbs, start),
            registrations=self._registrations(role),
            languages=("en", language) if language else ("en",),
            home=self.near(settlement),
            home_settlement=settlement.name,
            transport=self._transport(place, settlement),
            shifts=self._shifts(place.name, visiting, hours),
            phone=self.mobile(),
        )

    def _contract(self, visiting: bool) -> tuple[str, float | None]:
        if not visiting:
            return "permanent", 37.5
        contract = self.weighted(
            [("permanent", 0.60), ("zero_hours", 0.25), ("bank", 0.08), ("fixed_term", 0.07)]
        )
        if contract in ("zero_hours", "bank"):
            return contract, None
        return contract, self.weighted([(16.0, 0.15), (20.0, 0.2), (24.0, 0.2), (30.0, 0.25), (37.5, 0.2)])

    def _skills(self, role: str) -> tuple[str, ...]:
        if role not in ("care_worker", "senior_care_worker", "nurse"):
            return ()
        boost = 1.3 if role == "senior_care_worker" else 1.0
        skills = list(words.BASE_SKILLS)
        if role == "nurse":
            skills += words.NURSING_SKILLS
        skills += [s for s, share in words.SKILL_SHARES if s not in skills and self.chance(share * boost)]
        return tuple(skills)

    def _training(self, role: str) -> tuple[Training, ...]:
        """Mandatory training, mostly current; a few soon due and about 1 in 70 workers lapsed."""
        lapsed = self.chance(0.015)
        out = []
        for index, (name, years) in enumerate(words.MANDATORY_TRAINING):
            span = years * 365
            if lapsed and index == 1:
                achieved = self.days_ago(span + 1, span + 60)
            elif self.chance(0.03):
                achieved = self.days_ago(span - 30, span - 1)  # due within the month
            else:
                achieved = self.days_ago(0, span - 31)
            out.append(Training(name, achieved, achieved + timedelta(days=span), mandatory=True))
        if role in ("senior_care_worker", "nurse"):
            achieved = self.days_ago(0, 300)
            out.append(Training("medication_competency", achieved, achieved + timedelta(days=365), False))
        return tuple(out)

    def _dbs(self, number: str, start: date) -> Dbs:
        # Issued before they started (or soon after a long service's last re-check), re-checked every 3 years.
        issued = max(start - timedelta(days=self.rng.randint(14, 60)), self.days_ago(0, 3 * 365 - 1))
        if self.chance(0.01):
            issued = self.days_ago(3 * 365 + 1, 3 * 365 + 40)  # re-check overdue: compliance shows it
        return Dbs(number, issued, issued + timedelta(days=3 * 365))

    def _registrations(self, role: str) -> tuple[ProfessionalRegistration, ...]:
        if role != "nurse":
            return ()
        year = self.rng.randint(5, 22)
        letter = self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        number = f"{year:02d}{letter}{self.rng.randrange(10_000):04d}E"
        return (
            ProfessionalRegistration("NMC", number, self.as_of + timedelta(days=self.rng.randint(20, 365))),
        )

    def _transport(self, place: LocalityPlace, home: Settlement) -> str:
        if place.rural:
            in_town = home.name == place.office.name
            return self.weighted([("car", 0.88), ("walking", 0.07 if in_town else 0.0), ("bicycle", 0.05)])
        return self.weighted([("car", 0.6), ("public_transport", 0.15), ("walking", 0.15), ("bicycle", 0.1)])

    def _shifts(self, locality: str, visiting: bool, hours: float | None) -> tuple[Shift, ...]:
        if not visiting:
            return tuple(Shift(day, time(9, 0), time(17, 0)) for day in range(5))
        # Zero-hours and bank staff say when they are available; about 2 to 4 days a week.
        target = hours if hours is not None else self.pick((21.0, 28.0, 35.0))
        # Mornings are the peak of home care (everyone gets up), so most shifts cover them; each branch
        # gets the mix in these shares exactly (the next pattern is the one furthest below its share).
        counts = self.pattern_count.setdefault(locality, dict.fromkeys(_PATTERN_SHARES, 0))
        pattern = min(
            _PATTERN_SHARES, key=lambda p: ((counts[p] + 1) / _PATTERN_SHARES[p], self.rng.random())
        )
        counts[pattern] += 1
        blocks = _SHIFT_PATTERNS[pattern]
        daily_hours = sum(_minutes(end) - _minutes(start) for start, end in blocks) / 60
        count = max(1, min(6, round(target / daily_hours)))
        # Spread the branch's staff of each pattern evenly over the week, as a rota manager would, so
        # mornings and evenings are covered alike every day of the 7-day service.
        cover = self.day_cover.setdefault(f"{locality}/{pattern}", [0] * 7)
        days = sorted(sorted(range(7), key=lambda d: (cover[d], self.rng.random()))[:count])
        for day in days:
            cover[day] += 1
        return tuple(Shift(day, start, end) for day in days for start, end in blocks)

    # -- individuals ----------------------------------------------------------------------------
    def _individual(
        self, place: LocalityPlace, number: int, nhs_number: str, visiting: list[Worker]
    ) -> Individual:
        ref = f"i-{number:05d}"
        older = self.chance(0.85)
        age = round(self.rng.triangular(65, 101, 84)) if older else self.rng.randint(18, 64)
        born = self.as_of - timedelta(days=age * 365 + self.rng.randint(0, 364))
        gender = "female" if self.chance(0.62 if older else 0.5) else "male"
        language = self.weighted(words.INDIVIDUAL_LANGUAGES)
        community = _LANGUAGE_COMMUNITY.get(language, "british")
        if older and community == "british":
            given = self.pick(words.OLDER_FEMALE if gender == "female" else words.OLDER_MALE)
        else:
            female, male = words.YOUNGER[community]
            given = self.pick(female if gender == "female" else male)
        family = self.pick(words.FAMILY_NAMES[community])
        settlement = self.settlement_in(place)
        plan, kinds = self._plan(older, place)
        communication = tuple(need for need, share in words.COMMUNICATION_NEEDS if self.chance(share))
        return Individual(
            ref=ref,
            given_name=given,
            family_name=family,
            preferred_name=_NICKNAMES.get(given) if self.chance(0.3) else None,
            gender=gender,
            date_of_birth=born,
            nhs_number=nhs_number,
            phone=self.landline() if self.chance(0.7) else None,
            locality=place.name,
            address=self._address(place, settlement),
            language=language,
            interpreter_needed=language != "en" and self.chance(0.5),
            communication_needs=communication,
            accessible_formats=("large_print",) if any("sighted" in c for c in communication) else (),
            preferences=self._preferences(gender, kinds, visiting),
            key_people=self._key_people(ref, family, older, language),
            plan=plan,
            access_notes=(
                AccessNotes(self.pick(words.ACCESS_NOTES), f"{self.rng.randrange(10_000):04d}")
                if self.chance(0.45)
                else AccessNotes(self.pick(words.ACCESS_NOTES), None)
                if self.chance(0.3)
                else None
            ),
        )

    def _address(self, place: LocalityPlace, settlement: Settlement) -> Address:
        lines = [f"{self.rng.randint(1, 120)} {self.pick(STREETS)}", settlement.name]
        if settlement.spread_km == 0.8 and settlement.name != place.office.name:
            lines.append(place.office.name)  # an urban district: "Headingley, Leeds"
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        postcode = (
            f"{settlement.postcode_district} {self.rng.randint(1, 9)}{self.pick(letters)}{self.pick(letters)}"
        )
        return Address(tuple(lines), postcode, self.near(settlement), settlement.name)

    def _plan(self, older: bool, place: LocalityPlace) -> tuple[Plan, list[str]]:
        """The plan: a package of visit kinds, the needs behind them and the skills they ask for."""
        package, _, kinds = self.rng.choices(words.PACKAGES, [share for _, share, _ in words.PACKAGES])[0]
        if not older and package == "light":
            package, kinds = "moderate", ("morning", "tea")
        needs = [Need("Personal care and getting up")]
        risks = [
            Risk("Falls when mobilising at home", "Walking frame within reach; pendant alarm worn", "medium")
        ]
        extra_skills: dict[str, set[str]] = {}

        def need(skill: str, on: Sequence[str], task: str, text: str, specialist: bool = True) -> None:
            needs.append(Need(text, specialist))
            for kind in on:
                extra_skills.setdefault(kind, set()).add(f"{skill}|{task}")

        bare = [k.rstrip("*") for k in kinds]
        medication = self.chance(0.7)
        if medication:
            administer = self.chance(0.6)
            task = (
                "Administer medication from the blister pack (MAR chart)"
                if administer
                else "Prompt medication"
            )
            need(
                "medication" if administer else "",
                [bare[0], *(["bed"] if "bed" in bare else [])],
                task,
                "Support with medication",
                specialist=administer,
            )
        if package == "complex":
            need(
                "hoist",
                [k.rstrip("*") for k in kinds if k.endswith("*")],
                "Hoist transfer (two carers)",
                "Hoist for all transfers",
            )
            risks.append(Risk("Skin breakdown", "Reposition and check pressure areas each visit", "high"))
            if self.chance(0.2):
                need(
                    "peg_feeding",
                    [b for b in bare if b in ("morning", "lunch", "tea")],
                    "PEG feed and flush as the dietitian's plan says",
                    "Nutrition through a PEG tube",
                )
                risks.append(
                    Risk("Choking and aspiration", "Nil by mouth; upright for 30 minutes after", "high")
                )
            if self.chance(0.2):
                need("end_of_life", bare, "Comfort care as the palliative plan says", "End of life care")
        if self.chance(0.3 if older else 0.1):
            advanced = self.chance(0.5)
            need(
                "dementia" if advanced else "",
                bare,
                "Reassure and orientate to the day",
                "Living with dementia",
                specialist=advanced,
            )
        if self.chance(0.08):
            need(
                "catheter_care",
                [b for b in bare if b in ("morning", "bed")] or bare[:1],
                "Empty and change the catheter bag",
                "Catheter care",
            )
        if self.chance(0.12):
            need("diabetes", bare[:1], "Check blood glucose before breakfast", "Type 2 diabetes, on insulin")
        if self.chance(0.03):
            need("stoma_care", bare[:1], "Change the stoma bag", "Stoma care")
        if self.chance(0.02 if older else 0.1):
            need("epilepsy", bare, "Know where the rescue medication is", "Epilepsy with rescue medication")
        if place.rural and self.chance(0.1):
            risks.append(
                Risk(
                    "Lone working: no mobile signal at the house",
                    "Call the office from the landline on arrival and leaving",
                    "medium",
                )
            )  # 000 P14-P17
        if self.chance(0.03):
            risks.append(
                Risk(
                    "Verbal aggression from a family member",
                    "Two workers if he is present; leave and call on-call if threatened",
                    "high",
                )
            )  # 000 P16
        weekdays = (
            frozenset(range(5))
            if package in ("light", "moderate") and self.chance(0.15)
            else frozenset(range(7))
        )
        network = (("family", "Weekend visits, shopping and laundry"),) if len(weekdays) == 5 else ()
        if not network and self.chance(0.5):
            network = (("family", "Shopping once a week and hospital appointments"),)
        visits = [self._visit(kind, package, weekdays, extra_skills) for kind in kinds]
        if self.chance(0.1):
            visits.append(self._visit("sitting", package, frozenset({1, 4}), extra_skills))
        start = self.days_ago(7, 900)
        plan = Plan(
            package=package,
            start_date=start,
            review_date=self.as_of + timedelta(days=self.rng.randint(10, 180)),
            needs=tuple(needs),
            outcomes=self._outcomes(package),
            risks=tuple(risks),
            visits=tuple(visits),
            network_support=network,
            flexibility="Visit times may move by the flexibility shown; tell them when a carer runs late.",
            monitoring="Coordinator reviews the visit records monthly and at each review date (003 P10).",
            copies_held_by=(
                ("The individual, at home in the care folder", "individual"),
                (PROVIDER_NAME, "provider"),
            ),
        )
        return plan, [v.id for v in visits]

    def _visit(
        self, kind: str, package: str, weekdays: frozenset[int], extra: dict[str, set[str]]
    ) -> PlanVisit:
        double = kind.endswith("*")
        kind = kind.rstrip("*")
        label, earliest, latest, minutes, tasks = words.VISIT_KINDS[kind]
        if package == "light" and kind == "morning":
            minutes = 30
        if double:
            minutes += 15
        slots = range(_minutes(earliest), _minutes(latest) + 1, 15)
        start = self.pick([s for s in slots if s + minutes <= _minutes(SERVICE_END)])
        skills: set[str] = set()
        more: list[str] = []
        for entry in sorted(extra.get(kind, ())):
            skill, task = entry.split("|", 1)
            if skill:
                skills.add(skill)
            more.append(task)
        # Time-critical visits (insulin, PEG, administered medication) get less flexibility.
        flex = 60 if kind == "sitting" else 15 if skills & {"diabetes", "peg_feeding"} else 30
        flex = max(0, min(flex, start - _minutes(SERVICE_START), _minutes(SERVICE_END) - start - minutes))
        chosen = tuple(self.rng.sample(tasks, k=min(len(tasks), self.rng.randint(2, 4))))
        return PlanVisit(
            id=kind,
            name=label,
            weekdays=weekdays,
            preferred_start=_time(start),
            duration_minutes=minutes,
            flexibility_minutes=flex,
            tasks=chosen + tuple(more),
            workers_required=2 if double else 1,
            required_skills=frozenset(skills),
        )

    def _outcomes(self, package: str) -> tuple[str, ...]:
        outcomes = ["Stay living safely in my own home"]
        if package in ("light", "moderate"):
            outcomes.append(
                self.pick(("Keep going to the lunch club on Wednesdays", "Walk to the shop again"))
            )
        else:
            outcomes.append(self.pick(("Be up and dressed by 9 so I can see visitors", "No pressure sores")))
        return tuple(outcomes)

    def _preferences(self, gender: str, kinds: list[str], visiting: list[Worker]) -> Preferences:
        times = tuple(
            PreferredTime(kind, words.VISIT_KINDS[kind][1], words.VISIT_KINDS[kind][2]) for kind in kinds
        )
        carer_gender = None
        if gender == "female" and self.chance(0.3):
            carer_gender = "female"
        elif gender == "male" and self.chance(0.05):
            carer_gender = "male"
        refused: tuple[str, ...] = ()
        if visiting and self.chance(0.04):
            refused = (self.pick(visiting).ref,)
        return Preferences(times, carer_gender, refused, self.pick(words.PREFERENCE_NOTES))

    def _key_people(self, ref: str, family: str, older: bool, language: str) -> tuple[KeyPerson, ...]:
        count = self.weighted([(0, 0.1), (1, 0.45), (2, 0.35), (3, 0.1)])
        people = []
        for index in range(count):
            relationship = self.pick(words.RELATIONSHIPS_OLDER if older else words.RELATIONSHIPS_YOUNGER)
            female = relationship in _FEMALE_RELATIONS or (
                relationship in ("neighbour", "friend") and self.chance(0.6)
            )
            community = _LANGUAGE_COMMUNITY.get(language, "british")
            first_names = words.YOUNGER[community][0 if female else 1]
            same_name = relationship not in ("neighbour", "friend", "daughter", "niece", "granddaughter")
            surname = family if same_name or self.chance(0.4) else self.pick(words.FAMILY_NAMES[community])
            given = self.pick(first_names)
            phone = self.mobile() if self.chance(0.92) else None
            email = (
                f"{given}.{surname}{self.rng.randrange(100)}@example.com".lower().replace("'", "")
                if self.chance(0.6)
                else None
            )
            consent = self.chance(0.75)
            channels = [c for c, ok in (("sms", phone), ("phone", phone), ("email", email)) if ok]
            channel = self.pick(channels) if consent and channels else None
            consent = consent and channel is not None
            lpa = (
                self.weighted(
                    [
                        ("none", 0.55),
                        ("health_and_welfare", 0.25),
                        ("both", 0.1),
                        ("property_and_financial", 0.1),
                    ]
                )
                if index == 0
                else "none"
            )
            quiet = self.pick(words.QUIET_HOURS) if self.chance(0.35) else (None, None)
            people.append(
                KeyPerson(
                    ref=f"{ref}-k{index + 1}",
                    given_name=given,
                    family_name=surname,
                    relationship=relationship,
                    phone=phone,
                    email=email,
                    lasting_power_of_attorney=lpa,
                    is_representative=lpa in ("health_and_welfare", "both")
                    or (index == 0 and self.chance(0.1)),
                    consent_to_be_informed=consent,
                    informed_of=(
                        tuple(t for t in words.INFORMED_OF if self.chance(0.7)) or ("missed_visits",)
                    )
                    if consent
                    else (),
                    preferred_channel=channel,
                    language=language if self.chance(0.8) else "en",
                    quiet_hours_start=quiet[0],
                    quiet_hours_end=quiet[1],
                )
            )
        return tuple(people)

    # -- making it workable -----------------------------------------------------------------------
    def _cover_skills(self, workers: list[Worker], individuals: list[Individual]) -> list[Worker]:
        """Train more visiting workers where too few of a locality's hold a combination of skills it needs.

        The rota sends only workers who hold every skill a visit needs, so what counts is each visit's
        whole set (hoist and epilepsy together), held by enough workers to cover days off and double-ups.
        Those who already hold most of a set learn the rest, as a provider would train its seniors.
        """
        needed: dict[str, set[frozenset[str]]] = {}
        for individual in individuals:
            for visit in individual.plan.visits:
                if visit.required_skills:
                    needed.setdefault(individual.locality, set()).add(visit.required_skills)
        by_ref = {w.ref: w for w in workers}
        for locality, sets in needed.items():
            visiting = [w.ref for w in workers if w.locality == locality and w.visits]
            for skills in sorted(sets, key=lambda s: (len(s), sorted(s))):
                holders = [r for r in visiting if skills <= set(by_ref[r].skills)]
                short = MIN_SKILL_HOLDERS - len(holders)
                if short <= 0:
                    continue
                candidates = [r for r in visiting if r not in holders]
                keys = {r: (len(skills - set(by_ref[r].skills)), self.rng.random()) for r in candidates}
                for ref in sorted(candidates, key=keys.__getitem__)[:short]:
                    worker = by_ref[ref]
                    extra = tuple(sorted(skills - set(worker.skills)))
                    by_ref[ref] = replace(worker, skills=(*worker.skills, *extra))
        return [by_ref[w.ref] for w in workers]

    def _on_call(self, workers: list[Worker]) -> list[OnCallShift]:
        """Out-of-hours on-call for each locality over the coming week (000 P37), by rotation."""
        shifts = []
        for index, place in enumerate(self.places):
            staff = [w for w in workers if w.locality == place.name and w.role in _ON_CALL_ROLES]
            for offset in range(7):
                day = self.as_of + timedelta(days=offset)
                weekend = day.weekday() >= 5
                # People refuses to roster someone who may not work that day (000 P37 with compliance).
                pool = [w.ref for w in staff if w.may_work_on(day)] or [w.ref for w in staff]
                shifts.append(
                    OnCallShift(
                        locality=place.name,
                        worker_ref=pool[(offset + index) % len(pool)],
                        day=day,
                        start=time(9, 0) if weekend else time(17, 0),
                        end=time(9, 0),
                    )
                )
        return shifts


_JOB_TITLES = {
    "registered_manager": "Registered Manager",
    "coordinator": "Care Coordinator",
    "senior_care_worker": "Senior Care Worker",
    "nurse": "Registered Nurse",
    "care_worker": "Care Worker",
}
_SHIFT_PATTERNS: dict[str, tuple[tuple[time, time], ...]] = {
    "early": ((time(7, 0), time(14, 30)),),
    "late": ((time(14, 30), time(22, 0)),),
    "split": ((time(7, 0), time(11, 0)), (time(16, 30), time(22, 0))),
}
_PATTERN_SHARES = {"early": 0.45, "split": 0.4, "late": 0.15}
_ON_CALL_ROLES = frozenset({"registered_manager", "coordinator", "senior_care_worker"})
_LANGUAGE_COMMUNITY = {"pl": "polish", "ur": "south_asian", "pa": "south_asian", "bn": "south_asian"}
_FEMALE_RELATIONS = frozenset({"daughter", "niece", "granddaughter", "wife", "mother", "sister"})
_NICKNAMES = {
    "Margaret": "Peggy", "Dorothy": "Dot", "William": "Bill", "Kenneth": "Ken", "Albert": "Bert",
    "Patricia": "Pat", "Barbara": "Babs", "Ronald": "Ron", "Harold": "Harry", "Winifred": "Winnie",
    "Frederick": "Fred", "Geoffrey": "Geoff", "Leslie": "Les", "Raymond": "Ray", "Stanley": "Stan",
}  # fmt: skip
