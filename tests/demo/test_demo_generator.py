"""The demo provider generator: reproducible, the right size, and shaped like a real provider."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date

import pytest

from rounds.demo.generator import (
    INDIVIDUALS_PER_WORKER,
    MIN_SKILL_HOLDERS,
    SIZES,
    Size,
    generate,
    nhs_check_digit,
)
from rounds.demo.geography import ALL_LOCALITIES
from rounds.demo.model import SERVICE_END, SERVICE_START, Provider
from services.people.domain.individuals import normalise_nhs_number

AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="module")
def medium() -> Provider:
    return generate("medium", seed=7, as_of=AS_OF)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    north = (lat1 - lat2) * 111.0
    east = (lon1 - lon2) * 111.32 * math.cos(math.radians(lat1))
    return math.hypot(north, east)


def _minutes(value: object) -> int:
    return value.hour * 60 + value.minute  # type: ignore[attr-defined,no-any-return]


def test_same_seed_and_day_give_the_same_provider() -> None:
    assert generate("small", 7, AS_OF) == generate("small", 7, AS_OF)


def test_another_seed_gives_another_provider() -> None:
    first, second = generate("small", 7, AS_OF), generate("small", 8, AS_OF)
    assert [w.family_name for w in first.workers] != [w.family_name for w in second.workers]
    assert {i.nhs_number for i in first.individuals} != {i.nhs_number for i in second.individuals}


@pytest.mark.parametrize("name", ["tiny", "small", "medium"])
def test_each_size_has_exactly_its_workers_and_about_0_9_individuals_each(name: str) -> None:
    provider = generate(name, 1, AS_OF)
    size = SIZES[name]
    assert len(provider.workers) == size.workers
    assert len(provider.localities) == size.localities
    assert abs(len(provider.individuals) - size.workers * INDIVIDUALS_PER_WORKER) <= size.localities


def test_sizes_run_from_a_small_branch_to_a_national_provider() -> None:
    assert SIZES["small"].workers == 50
    assert SIZES["national"].workers == 10_000
    assert SIZES["national"].localities == len(ALL_LOCALITIES)


def test_unknown_size_and_understaffed_branches_are_refused() -> None:
    with pytest.raises(ValueError, match="choose one of"):
        generate("huge", 1, AS_OF)
    with pytest.raises(ValueError, match="cannot staff"):
        generate(Size("odd", 20, 3), 1, AS_OF)


def test_homes_and_bases_are_near_their_locality_in_england(medium: Provider) -> None:
    offices = {locality.name: locality.office for locality in medium.localities}
    points = [(i.locality, i.address.location) for i in medium.individuals]
    points += [(w.locality, w.home) for w in medium.workers]
    for locality, point in points:
        assert 53.0 < point.lat < 55.0
        assert -3.0 < point.lon < 0.0
        office = offices[locality]
        assert _km(point.lat, point.lon, office.lat, office.lon) < 40, (locality, point)


def test_every_visit_with_its_flexibility_fits_the_7_day_service_hours(medium: Provider) -> None:
    for individual in medium.individuals:
        for visit in individual.plan.visits:
            assert visit.earliest_start >= _minutes(SERVICE_START)
            assert visit.latest_end <= _minutes(SERVICE_END)
            assert visit.weekdays <= medium.service_days
            assert visit.tasks
    weekdays = {d for i in medium.individuals for v in i.plan.visits for d in v.weekdays}
    assert weekdays == set(range(7))


def test_double_ups_exist_and_need_the_hoist(medium: Provider) -> None:
    doubles = [v for i in medium.individuals for v in i.plan.visits if v.workers_required == 2]
    assert len(doubles) > 50
    assert all("hoist" in v.required_skills for v in doubles)
    assert {v.workers_required for i in medium.individuals for v in i.plan.visits} == {1, 2}


def test_every_set_of_skills_a_visit_needs_is_held_whole_by_enough_workers(medium: Provider) -> None:
    needed: dict[str, set[frozenset[str]]] = defaultdict(set)
    for individual in medium.individuals:
        for visit in individual.plan.visits:
            needed[individual.locality].add(visit.required_skills)
    assert {"medication", "hoist", "peg_feeding"} <= set().union(*needed["Harrogate"])
    assert any(len(skills) >= 3 for skills in needed["Harrogate"])
    for locality, sets in needed.items():
        visiting = [set(w.skills) for w in medium.workers if w.locality == locality and w.visits]
        for skills in sets:
            assert sum(skills <= held for held in visiting) >= MIN_SKILL_HOLDERS, (locality, skills)


def test_care_demanded_leaves_room_for_travel_in_the_hours_rostered(medium: Provider) -> None:
    for locality in medium.localities:
        demand = sum(
            v.duration_minutes * len(v.weekdays) * v.workers_required
            for i in medium.individuals
            if i.locality == locality.name
            for v in i.plan.visits
        )
        supply = sum(
            w.weekly_shift_minutes for w in medium.workers if w.locality == locality.name and w.visits
        )
        assert 0.3 < demand / supply < 0.8, locality.name


def test_shifts_are_in_service_hours_and_match_contracted_hours(medium: Provider) -> None:
    for worker in medium.workers:
        assert worker.shifts
        for shift in worker.shifts:
            assert SERVICE_START <= shift.start < shift.end <= SERVICE_END
        if worker.visits and worker.contracted_hours_per_week:
            assert abs(worker.weekly_shift_minutes / 60 - worker.contracted_hours_per_week) <= 8


def test_workforce_looks_like_home_care(medium: Provider) -> None:
    roles = Counter(w.role for w in medium.workers)
    assert roles["registered_manager"] == len(medium.localities)
    assert roles["care_worker"] > 0.75 * len(medium.workers)
    genders = Counter(w.gender for w in medium.workers)
    assert 0.7 < genders["female"] / len(medium.workers) < 0.9
    contracts = Counter(w.contract_type for w in medium.workers)
    assert contracts["zero_hours"] > 0.15 * len(medium.workers)
    assert {w.transport for w in medium.workers} >= {"car", "walking", "bicycle"}
    assert all(w.contracted_hours_per_week is None for w in medium.workers if w.contract_type == "zero_hours")


def test_line_managers_and_team_managers_are_in_the_same_locality(medium: Provider) -> None:
    by_ref = {w.ref: w for w in medium.workers}
    for worker in medium.workers:
        if worker.role == "registered_manager":
            assert worker.line_manager_ref is None
            continue
        manager = by_ref[worker.line_manager_ref or ""]
        assert manager.locality == worker.locality
        # Managers come before their reports, so a loader can create them in order.
        assert manager.ref < worker.ref
    for team in medium.teams:
        assert by_ref[team.manager_ref or ""].role == "senior_care_worker"


def test_natural_keys_the_loader_relies_on_are_unique_and_valid(medium: Provider) -> None:
    numbers = [i.nhs_number for i in medium.individuals]
    assert len(set(numbers)) == len(numbers)
    assert all(normalise_nhs_number(n) == n and n.startswith("999") for n in numbers)
    certificates = [w.dbs.certificate_number for w in medium.workers]
    assert len(set(certificates)) == len(certificates)


def test_check_digit_matches_the_nhs_rule() -> None:
    assert nhs_check_digit("943476591") == 9  # NHS Digital's published example, 943 476 5919
    assert normalise_nhs_number("9434765919") == "9434765919"


def test_preferences_and_key_people_are_consistent(medium: Provider) -> None:
    visiting = {w.ref: w for w in medium.workers if w.visits}
    refused = [(i, r) for i in medium.individuals for r in i.preferences.refused_worker_refs]
    assert refused
    for individual, ref in refused:
        assert visiting[ref].locality == individual.locality
    assert any(i.preferences.carer_gender == "female" for i in medium.individuals)
    people = [k for i in medium.individuals for k in i.key_people]
    assert any(k.quiet_hours_start for k in people)
    assert any(k.language != "en" for k in people)
    for person in people:
        if person.consent_to_be_informed:
            assert person.informed_of
            contact = person.email if person.preferred_channel == "email" else person.phone
            assert contact, person
        else:
            assert not person.informed_of
            assert person.preferred_channel is None


def test_on_call_covers_every_locality_every_night_of_the_week(medium: Provider) -> None:
    by_ref = {w.ref: w for w in medium.workers}
    for locality in medium.localities:
        shifts = [s for s in medium.on_call if s.locality == locality.name]
        assert sorted(s.day.toordinal() - AS_OF.toordinal() for s in shifts) == list(range(7))
        assert all(by_ref[s.worker_ref].locality == locality.name for s in shifts)


def test_on_call_staff_may_work_the_day_they_are_on_call(medium: Provider) -> None:
    by_ref = {w.ref: w for w in medium.workers}
    assert all(by_ref[s.worker_ref].may_work_on(s.day) for s in medium.on_call)
    lapsed = [w for w in medium.workers if not w.may_work_on(AS_OF)]
    # A few lapsed workers, as compliance dashboards would show, but not many.
    assert 0 < len(lapsed) < 0.05 * len(medium.workers)


def test_natural_keys_do_not_depend_on_the_day_so_a_later_load_skips_what_exists() -> None:
    today, later = generate("small", 7, AS_OF), generate("small", 7, date(2027, 3, 1))
    assert [i.nhs_number for i in today.individuals] == [i.nhs_number for i in later.individuals]
    assert [w.dbs.certificate_number for w in today.workers] == [
        w.dbs.certificate_number for w in later.workers
    ]


def test_each_branch_has_staff_on_shift_every_day_in_about_equal_numbers(medium: Provider) -> None:
    for locality in medium.localities:
        per_day = Counter(
            day
            for w in medium.workers
            if w.locality == locality.name and w.visits
            for day in {shift.weekday for shift in w.shifts}
        )
        assert set(per_day) == set(range(7))
        # Each of the three shift patterns is spread evenly, so days differ by at most one per pattern.
        assert max(per_day.values()) - min(per_day.values()) <= 3, (locality.name, per_day)


#: Minutes of travel to allow for each visit when judging whether a branch can staff its peaks.
TRAVEL_PER_VISIT = 20


@pytest.mark.parametrize(("first", "last"), [(7, 11), (16, 22)], ids=["morning", "evening"])
def test_the_morning_and_evening_peaks_can_be_staffed_with_travel(
    medium: Provider, first: int, last: int
) -> None:
    for locality in medium.localities:
        for weekday in range(7):
            demand = sum(
                (visit.duration_minutes + TRAVEL_PER_VISIT) * visit.workers_required
                for individual, visit in medium.visits_on(weekday)
                if individual.locality == locality.name and first <= visit.preferred_start.hour < last
            )
            supply = sum(
                max(0, min(s.end.hour, last) - max(s.start.hour, first)) * 60
                for w in medium.workers
                if w.locality == locality.name and w.visits
                for s in w.shifts
                if s.weekday == weekday
            )
            assert demand <= 0.95 * supply, (locality.name, weekday, demand, supply)
