"""What the rota does with each command and incoming event."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from typing import Any, Protocol
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from rounds.contracts.people import (
    CarePlanAgreed,
    GeoPoint,
    IndividualAnonymised,
    IndividualRegistered,
    IndividualStatusChanged,
    IndividualUpdated,
    WorkerComplianceChanged,
    WorkerRegistered,
    WorkerUpdated,
)
from rounds.contracts.rota import (
    ChangeReason,
    VisitAllocated,
    VisitCancelled,
    VisitChanged,
    VisitScheduled,
    WorkerScheduleChanged,
)
from rounds.infra.problems import Conflict, NotFound, Problem
from services.rota.domain.day import DayChanges, apply_plan, current_plan, planning_day
from services.rota.domain.geo import Location
from services.rota.domain.indicators import indicators
from services.rota.domain.packages import CARER_GENDERS, CarePackage, PackageRuleBroken, RecurringVisit
from services.rota.domain.planning import Allocation, Plan, PlanningProblem, Weights
from services.rota.domain.plans import (
    AgreedPlan,
    Individual,
    carer_gender,
    package_from_plan,
    plan_package_id,
    with_status,
)
from services.rota.domain.rules import MoveVerdict, check_move, hard_violations
from services.rota.domain.runs import ABANDONED_ERROR, is_abandoned
from services.rota.domain.travel import DEFAULT_SPEEDS_KMH, TravelTimes
from services.rota.domain.visits import Regeneration, Visit, VisitStatus, generate_visits, regenerate
from services.rota.domain.workforce import PlanningProfile, RotaWorker
from services.rota.unit_of_work import RotaUnitOfWork

log = logging.getLogger(__name__)

IndividualRecord = IndividualRegistered | IndividualUpdated


async def record_worker(uow: RotaUnitOfWork, event: WorkerRegistered, occurred_at: datetime) -> None:
    """Keep the rota's copy of a worker; runs inside the consumer's unit of work."""
    if await _already_newer(uow, event.worker_id, event.version):
        return
    await uow.workers.save(
        RotaWorker(
            id=event.worker_id,
            given_name=event.given_name,
            family_name=event.family_name,
            role=event.role,
            locality=event.locality,
            skills=list(event.skills),
            contracted_hours_per_week=event.contracted_hours_per_week,
            known_since=occurred_at,
            version=event.version,
        )
    )
    await _learn_profile(uow, event.worker_id, event.gender, event.home_base, event.transport_mode)
    if event.may_work is False:
        await _set_profile(uow, event.worker_id, may_work=False)


async def _already_newer(uow: RotaUnitOfWork, worker_id: UUID, version: int) -> bool:
    known = await uow.workers.get(worker_id)
    return known is not None and known.version >= version


async def update_worker(uow: RotaUnitOfWork, event: WorkerUpdated) -> None:
    """A worker's record changed: skills, locality, hours, and the day they stop working (001 P5)."""
    known = await uow.workers.get(event.worker_id)
    if known is not None and known.version >= event.version:
        return  # a redelivery, or an older record arriving late (people's versions only move forward)
    await uow.workers.save(
        RotaWorker(
            id=event.worker_id,
            given_name=event.given_name,
            family_name=event.family_name,
            role=event.role,
            locality=event.locality,
            skills=list(event.skills),
            contracted_hours_per_week=event.contracted_hours_per_week,
            known_since=known.known_since if known else uow.clock.now(),
            version=event.version,
        )
    )
    await _learn_profile(uow, event.worker_id, event.gender, event.home_base, event.transport_mode)
    ended = event.ended_on if event.status == "ended" else None
    await _set_profile(uow, event.worker_id, ended_on=ended)


async def record_compliance(uow: RotaUnitOfWork, event: WorkerComplianceChanged) -> None:
    """A worker who may not work (registration, DBS, mandatory training) is not planned (000 P1)."""
    await _set_profile(uow, event.worker_id, may_work=event.may_work)


async def _learn_profile(
    uow: RotaUnitOfWork, worker_id: UUID, gender: str | None, home: GeoPoint | None, transport: str | None
) -> None:
    """Facts people knows about how a worker travels; hours stay the coordinator's (planning profile)."""
    changes: dict[str, Any] = {}
    if gender in CARER_GENDERS:
        changes["gender"] = gender
    if home is not None:
        changes["home"] = Location(home.lat, home.lon)
    if transport in DEFAULT_SPEEDS_KMH:
        changes["transport"] = transport
    if changes:
        await _set_profile(uow, worker_id, **changes)


async def _set_profile(uow: RotaUnitOfWork, worker_id: UUID, **changes: Any) -> None:
    profile = await uow.planning.get(worker_id) or PlanningProfile()
    updated = replace(profile, **changes)
    if updated != profile:
        await uow.planning.save(worker_id, updated, uow.clock.now())


class InvalidRequest(Problem):
    """A request that is well formed but breaks a rule of the rota (names the field and the reason)."""

    status, slug, title = 422, "validation-error", "Request is not valid"


class MoveRefused(Problem):
    """A manual move that breaks a hard rule, or soft rules without a reason."""

    status, slug, title = 409, "move-refused", "The move breaks rules"


@dataclass(frozen=True)
class RotaConfig:
    """What handlers need beyond the unit of work: the zone, the horizon, travel and engines."""

    time_zone: str
    horizon_days: int
    travel: TravelTimes
    engines: dict[str, AllocationEngine]
    continuity_days: int = 28


class AllocationEngine(Protocol):
    """Any engine: greedy, OR-Tools routing, or a future one."""

    name: str

    def allocate(self, problem: PlanningProblem, time_limit_s: float = ..., keep: Plan | None = ...) -> Plan:
        """A plan for ``problem``."""
        ...


def _snapshot(visit: Visit, zone: str, address: str = "") -> dict[str, Any]:
    start = visit.allocated_start or visit.planned_start
    return {
        "visit_id": visit.id,
        "individual_id": visit.individual_id,
        "package_id": visit.package_id,
        "locality": visit.locality,
        "local_date": visit.local_date,
        "time_zone": zone,
        "planned_start": start,
        "planned_end": start + timedelta(minutes=visit.duration_minutes),
        "window_start": visit.window_start,
        "window_end": visit.window_end,
        "tasks": list(visit.tasks),
        "workers_required": visit.workers_required,
        "workers": list(visit.workers),
        "address": address,
        "location": {"lat": visit.location.lat, "lon": visit.location.lon},
        "visit_kind": visit.line_id,
    }


async def _announce_workers(
    uow: RotaUnitOfWork,
    config: RotaConfig,
    local_date: date,
    workers: dict[UUID, tuple[set[UUID], set[UUID], set[UUID]]],
    reason: ChangeReason,
) -> None:
    """000 P45: each worker whose day changed gets one event with the new version of their day."""
    if not workers:
        return
    day = await uow.visits.of_day(local_date)
    for worker_id, (added, removed, moved) in sorted(workers.items(), key=lambda kv: str(kv[0])):
        theirs = [v.id for v in day if worker_id in v.workers and v.status is VisitStatus.SCHEDULED]
        version = await uow.schedules.bump(worker_id, local_date, theirs)
        uow.publish(
            WorkerScheduleChanged(
                worker_id=worker_id,
                local_date=local_date,
                time_zone=config.time_zone,
                schedule_version=version,
                visits_added=sorted(added, key=str),
                visits_removed=sorted(removed, key=str),
                visits_moved=sorted(moved, key=str),
                reason=reason,
            )
        )


def _check_package(package: CarePackage) -> None:
    try:
        package.check()
    except PackageRuleBroken as broken:
        raise InvalidRequest(
            f"The package cannot be planned: {broken.reason}.",
            errors=[{"field": f"body.{broken.field}", "reason": broken.reason}],
        ) from broken


async def create_package(uow: RotaUnitOfWork, config: RotaConfig, package: CarePackage) -> list[Visit]:
    """Store a new package, generate its visits over the horizon and announce them (000 P18)."""
    _check_package(package)
    async with uow:
        if await uow.packages.get(package.id) is not None:
            raise Conflict(f"Package {package.id} exists already; PUT it to change it.")
        visits = await _create_package(uow, config, package)
        await uow.commit()
    return visits


async def replace_package(uow: RotaUnitOfWork, config: RotaConfig, package: CarePackage) -> Regeneration:
    """A new version of a package: future visits are regenerated, the past is left alone (000 P44)."""
    _check_package(package)
    async with uow:
        current = await uow.packages.get(package.id)
        if current is None:
            raise NotFound(f"There is no package {package.id}.")
        result = await _replace_package(uow, config, replace(package, version=current.version + 1))
        await uow.commit()
    return result


async def _create_package(uow: RotaUnitOfWork, config: RotaConfig, package: CarePackage) -> list[Visit]:
    """Inside an open unit of work: save a new package and schedule its visits to the horizon."""
    now = uow.clock.now()
    await uow.packages.save(package, now)
    today = now.astimezone(ZoneInfo(config.time_zone)).date()
    horizon = today + timedelta(days=config.horizon_days)
    visits = [v for v in generate_visits(package, today, horizon, config.time_zone) if v.window_start > now]
    await uow.visits.save(visits)
    for visit in visits:
        uow.publish(VisitScheduled(**_snapshot(visit, config.time_zone, package.address)))
    await _fill_planned_days(uow, config, package.locality, {v.local_date for v in visits})
    return visits


async def _replace_package(
    uow: RotaUnitOfWork, config: RotaConfig, package: CarePackage, reason: ChangeReason = "package_changed"
) -> Regeneration:
    """Inside an open unit of work: save ``package`` (its new version) and regenerate future visits."""
    now = uow.clock.now()
    await uow.packages.save(package, now)
    horizon = now.astimezone(ZoneInfo(config.time_zone)).date() + timedelta(days=config.horizon_days)
    existing = await uow.visits.of_package(package.id)
    old = {v.id: v for v in existing}
    result = regenerate(existing, package, now, horizon, config.time_zone)
    await uow.visits.save(result.added + result.changed + result.cancelled)
    days: dict[date, dict[UUID, tuple[set[UUID], set[UUID], set[UUID]]]] = {}
    for visit in result.added:
        uow.publish(VisitScheduled(**_snapshot(visit, config.time_zone, package.address)))
    for visit in result.changed:
        before = old[visit.id]
        uow.publish(
            VisitChanged(
                **_snapshot(visit, config.time_zone, package.address),
                previous_planned_start=before.allocated_start or before.planned_start,
                reason=reason,
            )
        )
        for worker in before.workers:
            entry = days.setdefault(visit.local_date, {}).setdefault(worker, (set(), set(), set()))
            (entry[2] if worker in visit.workers else entry[1]).add(visit.id)
    for visit in result.cancelled:
        before = old[visit.id]
        uow.publish(
            VisitCancelled(
                **{**_snapshot(before, config.time_zone, package.address), "workers": list(before.workers)},
                reason=reason,
            )
        )
        for worker in before.workers:
            days.setdefault(visit.local_date, {}).setdefault(worker, (set(), set(), set()))[1].add(visit.id)
    await uow.session.flush()
    for local_date, workers in sorted(days.items()):
        await _announce_workers(uow, config, local_date, workers, reason)
    await _fill_planned_days(
        uow, config, package.locality, {v.local_date for v in result.added + result.changed}
    )
    return result


async def _fill_planned_days(uow: RotaUnitOfWork, config: RotaConfig, locality: str, days: set[date]) -> None:
    """Repair: a day already planned takes new or changed visits into its gaps; nobody else moves.

    A day nobody planned yet is left to its planning run. Visits that fit nowhere stay unallocated
    for the coordinator (the run's indicators and the next run say why).
    """
    for day in sorted(days):
        problem, visits = await _load_day(uow, config, locality, day)
        plan = current_plan(problem, visits)
        if not plan.allocations:
            continue
        filled = config.engines["greedy"].allocate(problem, 0.0, plan)
        await _save_plan(uow, config, problem, visits, filled, "repair")


async def extend_horizon(uow: RotaUnitOfWork, config: RotaConfig) -> int:
    """Generate every package's visits up to today + the horizon (run daily); the number added."""
    added = 0
    async with uow:
        for package in await uow.packages.all():
            # The same version regenerated: only days that came into the horizon add visits.
            added += len((await _replace_package(uow, config, package)).added)
        await uow.commit()
    return added


async def fail_abandoned_runs(uow: RotaUnitOfWork) -> int:
    """Fail the runs a stopped process left queued or running, so coordinators see it; how many."""
    async with uow:
        now = uow.clock.now()
        abandoned = [
            run
            for run in await uow.runs.unfinished()
            if is_abandoned(run["status"], run["created_at"], run["time_limit_s"], now)
        ]
        for run in abandoned:
            await uow.runs.update(run["id"], status="failed", error=ABANDONED_ERROR, finished_at=now)
        await uow.commit()
    return len(abandoned)


# ---- people's events: individuals and their agreed plans ------------------------------------------


async def _derive_package(
    uow: RotaUnitOfWork,
    config: RotaConfig,
    individual: Individual | None,
    plan: AgreedPlan | None,
    reason: ChangeReason,
) -> None:
    """(Re)build the individual's package once both their record and an agreed plan are known."""
    if individual is None or plan is None:
        return  # the other half has not arrived yet; its event will build the package
    current = await uow.packages.get(plan_package_id(individual.id))
    package = package_from_plan(individual, plan, current.version + 1 if current else 1)
    try:
        package.check()
    except PackageRuleBroken as broken:
        # Raised to the consumer: the event is retried, then dead-lettered with this reason.
        raise ValueError(f"plan {plan.plan_id} v{plan.version} cannot be planned: {broken}") from broken
    if current is None:
        await _create_package(uow, config, package)
    else:
        await _replace_package(uow, config, package, reason)


async def record_individual(uow: RotaUnitOfWork, config: RotaConfig, event: IndividualRecord) -> None:
    """Keep the rota's copy of an individual (newest version wins) and re-derive their package."""
    if await uow.individuals.version(event.individual_id) >= event.version:
        return  # a redelivery, an older record, or one anonymised since (the row keeps that version)
    known, plan = await uow.individuals.get(event.individual_id)
    individual = Individual(
        id=event.individual_id,
        version=event.version,
        locality=event.locality,
        location=Location(event.location.lat, event.location.lon),
        address=event.address,
        carer_gender=carer_gender(event.carer_gender),
        refused_workers=frozenset(event.refused_worker_ids),
        paused_from=known.paused_from if known else None,
        paused_until=known.paused_until if known else None,
    )
    # A record whose status differs from what the rota knows acts from now (a status event says when).
    individual = with_status(individual, event.status, uow.clock.now())
    await uow.individuals.save(event.individual_id, individual, plan)
    await _derive_package(uow, config, individual, plan, "package_changed")


async def record_status(uow: RotaUnitOfWork, config: RotaConfig, event: IndividualStatusChanged) -> None:
    """000 P43: visits pause from ``effective_at`` while the individual is away and resume on return."""
    known, plan = await uow.individuals.get(event.individual_id)
    if known is None:
        log.warning("status of unknown individual %s ignored until their record arrives", event.individual_id)
        return
    if known.version >= event.version:
        return
    individual = replace(with_status(known, event.status, event.effective_at), version=event.version)
    await uow.individuals.save(event.individual_id, individual, plan)
    await _derive_package(uow, config, individual, plan, "individual_status")


#: What replaces a removed address: the same placeholder people writes (docs/people.md, retention).
REMOVED = "(anonymised)"
#: Decimal places a home's coordinates keep once anonymised, as in people: a district, not a house.
LOCATION_DECIMALS = 1


async def anonymise_individual(uow: RotaUnitOfWork, event: IndividualAnonymised) -> None:
    """Retention ran out (docs/people.md, 000 K66): the rota's copies lose the address and exact home.

    The record, the packages and every visit (history included) keep their ids, times and workers;
    the address becomes the placeholder and coordinates keep one decimal. Nothing is announced: the
    individual's care ended years ago. The record takes the event's version, so an older record
    arriving later is ignored; a redelivery finds that version and changes nothing.
    """
    if await uow.individuals.version(event.individual_id) >= event.version:
        return
    await uow.individuals.anonymise(
        event.individual_id, event.version, event.locality, REMOVED, LOCATION_DECIMALS
    )
    await uow.packages.anonymise(event.individual_id, REMOVED, LOCATION_DECIMALS)
    await uow.visits.anonymise(event.individual_id, LOCATION_DECIMALS)


async def record_plan(uow: RotaUnitOfWork, config: RotaConfig, event: CarePlanAgreed) -> None:
    """An agreed plan version becomes the individual's package; future visits follow (003 P14, P30)."""
    individual, plan = await uow.individuals.get(event.individual_id)
    if plan is not None and plan.version >= event.version:
        return
    try:
        lines = tuple(
            RecurringVisit(
                id=line.id,
                weekdays=frozenset(line.weekdays),
                preferred_start=time_of_day.fromisoformat(line.preferred_start),
                duration_minutes=line.duration_minutes,
                flexibility_minutes=line.flexibility_minutes,
                tasks=tuple(line.tasks),
                workers_required=line.workers_required,
                required_skills=frozenset(s.strip().lower() for s in line.required_skills),
            )
            for line in event.visits
        )
    except ValueError as bad:
        raise ValueError(f"plan {event.plan_id} v{event.version} has a bad visit time: {bad}") from bad
    agreed = AgreedPlan(
        plan_id=event.plan_id,
        version=event.version,
        start_date=event.start_date,
        end_date=event.end_date,
        visits=lines,
    )
    await uow.individuals.save(event.individual_id, individual, agreed)
    await _derive_package(uow, config, individual, agreed, "package_changed")


async def save_planning_profile(
    uow: RotaUnitOfWork, worker_id: UUID, profile: PlanningProfile, given: set[str]
) -> None:
    """Record how a worker can be planned (until people publishes it)."""
    async with uow:
        if await uow.workers.get(worker_id) is None:
            raise NotFound(f"The rota does not know worker {worker_id} yet.")
        current = await uow.planning.get(worker_id)
        # Absences, compliance and an end date came from elsewhere: a new timetable keeps them.
        saved = current.with_hours(profile, given) if current else profile
        await uow.planning.save(worker_id, saved, uow.clock.now())
        await uow.commit()


async def start_planning_run(
    uow: RotaUnitOfWork,
    config: RotaConfig,
    locality: str,
    local_date: date,
    engine: str,
    time_limit_s: float,
    weights: Weights | None = None,
) -> UUID:
    """Queue a planning run; it runs in the background (see :func:`execute_planning_run`).

    ``weights`` are the soft costs the coordinator chose for this run; ``None`` keeps the defaults.
    """
    if engine not in config.engines:
        raise InvalidRequest(
            f"Unknown engine {engine!r}.",
            errors=[{"field": "body.engine", "reason": f"must be one of {sorted(config.engines)}"}],
        )
    run_id = uuid4()
    chosen = weights.tunable() if weights is not None else None
    async with uow:
        await uow.runs.add(run_id, locality, local_date, engine, time_limit_s, uow.clock.now(), chosen)
        await uow.commit()
    return run_id


async def _load_day(
    uow: RotaUnitOfWork, config: RotaConfig, locality: str, local_date: date, weights: Weights | None = None
) -> tuple[PlanningProblem, list[Visit]]:
    visits = [v for v in await uow.visits.of_day(local_date, locality) if v.status is VisitStatus.SCHEDULED]
    workers = await uow.planning.of_locality(locality)
    known = await uow.visits.known_workers(
        locality, local_date - timedelta(days=config.continuity_days), local_date - timedelta(days=1)
    )
    problem = planning_day(local_date, config.time_zone, visits, workers, known, config.travel, weights)
    return problem, visits


async def _save_plan(
    uow: RotaUnitOfWork,
    config: RotaConfig,
    problem: PlanningProblem,
    visits: list[Visit],
    plan: Plan,
    reason: ChangeReason,
    override_reason: str | None = None,
) -> DayChanges:
    changes = apply_plan(problem, visits, plan)
    await uow.visits.save([after for _, after in changes.visits])
    addresses = await uow.packages.addresses({after.package_id for _, after in changes.visits})
    for before, after in changes.visits:
        uow.publish(
            VisitAllocated(
                **_snapshot(after, config.time_zone, addresses.get(after.package_id, "")),
                previous_workers=list(before.workers),
                reason=reason,
                override_reason=override_reason,
            )
        )
    await uow.session.flush()
    if visits:
        await _announce_workers(uow, config, visits[0].local_date, changes.workers, reason)
    return changes


async def execute_planning_run(
    new_uow: Callable[[], RotaUnitOfWork], config: RotaConfig, run_id: UUID
) -> None:
    """Run a queued planning run: load the day, solve outside any transaction, save and announce."""
    async with new_uow() as uow:
        run = await uow.runs.get(run_id)
        if run is None or run["status"] != "queued":
            return
        await uow.runs.update(run_id, status="running", progress=0.1)
        weights = Weights(**run["weights"]) if run["weights"] else None
        problem, _ = await _load_day(uow, config, run["locality"], run["local_date"], weights)
        await uow.commit()
    try:
        engine = config.engines[run["engine"]]
        started = time.monotonic()
        plan = await asyncio.to_thread(engine.allocate, problem, run["time_limit_s"])
        elapsed = time.monotonic() - started
        async with new_uow() as uow:
            # Visits may have changed while solving: save the plan onto the current visits.
            _, visits = await _load_day(uow, config, run["locality"], run["local_date"])
            await _save_plan(uow, config, problem, visits, plan, "planning")
            result = {
                "indicators": indicators(problem, plan).as_dict(),
                "unallocated": {str(k): v for k, v in plan.unallocated.items()},
                "hard_violations": len(hard_violations(problem, plan)),
                "solve_seconds": round(elapsed, 3),
                "workers_planned": len(problem.workers),
                "weights": problem.weights.tunable(),
            }
            await uow.runs.update(
                run_id, status="done", progress=1.0, result=result, finished_at=uow.clock.now()
            )
            await uow.commit()
    except Exception as exc:
        log.exception("planning run %s failed", run_id)
        async with new_uow() as uow:
            await uow.runs.update(
                run_id, status="failed", error=f"{type(exc).__name__}: {exc}", finished_at=uow.clock.now()
            )
            await uow.commit()


async def move_visit(
    uow: RotaUnitOfWork,
    config: RotaConfig,
    visit_id: UUID,
    workers: tuple[UUID, ...],
    start: datetime,
    override_reason: str | None,
) -> MoveVerdict:
    """A coordinator's manual allocation, validated; soft rules need a reason, hard ones refuse it."""
    async with uow:
        visit = await uow.visits.get(visit_id)
        if visit is None or visit.status is not VisitStatus.SCHEDULED:
            raise NotFound(f"There is no scheduled visit {visit_id}.")
        problem, visits = await _load_day(uow, config, visit.locality, visit.local_date)
        unknown = [w for w in workers if w not in problem.worker]
        if unknown:
            raise InvalidRequest(
                "Some workers cannot be planned on that day (unknown, or no availability).",
                errors=[
                    {"field": "body.workers", "reason": f"not plannable: {', '.join(map(str, unknown))}"}
                ],
            )
        plan = current_plan(problem, visits)
        verdict = check_move(problem, plan, visit_id, workers, problem.minute_of(start), override_reason)
        if not verdict.accepted:
            return verdict
        moved = Plan(
            allocations=[a for a in plan.allocations if a.visit_id != visit_id]
            + [Allocation(visit_id, w, problem.minute_of(start)) for w in workers]
        )
        await _save_plan(uow, config, problem, visits, moved, "manual", override_reason)
        await uow.commit()
    return verdict


async def report_absence(
    uow: RotaUnitOfWork, config: RotaConfig, worker_id: UUID, start: datetime, end: datetime
) -> dict[UUID, tuple[UUID, ...]]:
    """A worker is off (sick): record it and repair each affected day, moving only their visits (000 P43)."""
    moved: dict[UUID, tuple[UUID, ...]] = {}
    async with uow:
        worker = await uow.workers.get(worker_id)
        profile = await uow.planning.get(worker_id)
        if worker is None or profile is None:
            raise NotFound(f"The rota cannot plan worker {worker_id}.")
        await uow.planning.save(worker_id, profile.with_absence(start, end), uow.clock.now())
        await uow.session.flush()
        zone = ZoneInfo(config.time_zone)
        # Only days that hold visits need repair: from today (the past is not re-planned) to the horizon.
        today = uow.clock.now().astimezone(zone).date()
        day = max(start.astimezone(zone).date(), today)
        last = min(end.astimezone(zone).date(), today + timedelta(days=config.horizon_days))
        while day <= last:
            problem, visits = await _load_day(uow, config, worker.locality, day)
            plan = current_plan(problem, visits)
            if any(a.worker_id == worker_id for a in plan.allocations):
                freed = {
                    a.visit_id
                    for a in plan.allocations
                    if a.worker_id == worker_id
                    and problem.at(a.start) < end
                    and start < problem.at(a.start + problem.visit[a.visit_id].duration)
                }
                kept = Plan(allocations=[a for a in plan.allocations if a.visit_id not in freed])
                repaired = config.engines["greedy"].allocate(problem, 0.0, kept)
                await _save_plan(uow, config, problem, visits, repaired, "repair")
                by_visit = repaired.by_visit()
                moved.update({v: tuple(a.worker_id for a in by_visit.get(v, [])) for v in freed})
            day += timedelta(days=1)
        await uow.commit()
    return moved
