"""The workforce as a whole: people's workers and plans kept for the skills-gap report, and compliance
per team and per supervisor for the dashboard (000 P29-P30; 004 1.18-1.27).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from rounds.contracts.people import (
    CarePlanAgreed,
    IndividualAnonymised,
    IndividualRegistered,
    IndividualStatusChanged,
    IndividualUpdated,
    WorkerComplianceChanged,
    WorkerRegistered,
    WorkerUpdated,
)
from services.supervision.domain.calendar import local_date
from services.supervision.domain.compliance import ComplianceReport
from services.supervision.domain.supervisees import SuperviseeProfile
from services.supervision.domain.teams import GroupCompliance, summarise
from services.supervision.domain.workforce import HeldCompetency, LocalitySkills, VisitNeed, skills_gap
from services.supervision.handlers import compliance_of_many
from services.supervision.unit_of_work import SupervisionUnitOfWork

# --- read models from people ----------------------------------------------------------------------


async def keep_worker(uow: SupervisionUnitOfWork, event: WorkerRegistered | WorkerUpdated) -> None:
    """Keep the worker's locality, skills and competencies (the newest version wins)."""
    active = event.status == "active" if isinstance(event, WorkerUpdated) else True
    await uow.workforce.keep_worker(
        worker_id=event.worker_id,
        version=event.version,
        locality=event.locality,
        active=active,
        skills=list(event.skills),
        competencies=[HeldCompetency(c.name, c.expires_on) for c in event.competencies],
        may_work=event.may_work if isinstance(event, WorkerRegistered) else None,
    )


async def worker_status(uow: SupervisionUnitOfWork, event: WorkerUpdated) -> None:
    """Keep the supervisee's name, role and locality as people has them; a worker who has left owes
    no more supervision, so the sweeper and the team views pass them by."""
    kept = await uow.workforce.worker_version(event.worker_id)
    if kept is not None and kept > event.version:
        return  # an older version replayed after a newer one: the newer name and status stand
    profile = await uow.supervisees.get(event.worker_id)
    if profile is None:
        return
    changed = replace(
        profile,
        given_name=event.given_name,
        family_name=event.family_name,
        role=event.role,
        locality=event.locality,
        active=event.status != "ended",
    )
    if changed != profile:
        await uow.supervisees.save(changed)


async def worker_compliance_changed(uow: SupervisionUnitOfWork, event: WorkerComplianceChanged) -> None:
    """A worker who may not work (registration, DBS, training) is not available for the report."""
    await uow.workforce.set_may_work(event.worker_id, event.may_work)


async def keep_plan(uow: SupervisionUnitOfWork, event: CarePlanAgreed) -> None:
    """Keep the skills the individual's agreed plan requires, and how often (worker-visits a week)."""
    await uow.workforce.keep_plan(
        individual_id=event.individual_id,
        version=event.version,
        locality=event.locality,
        start_date=event.start_date,
        end_date=event.end_date,
        visits=[
            VisitNeed(frozenset(v.required_skills), len(set(v.weekdays)) * v.workers_required)
            for v in event.visits
            if v.required_skills
        ],
    )


async def individual_status(
    uow: SupervisionUnitOfWork, event: IndividualRegistered | IndividualUpdated | IndividualStatusChanged
) -> None:
    """Only an individual receiving care (active) makes demand; in hospital or ended, their plan waits."""
    await uow.workforce.keep_individual(event.individual_id, event.version, event.status == "active")


async def individual_anonymised(uow: SupervisionUnitOfWork, event: IndividualAnonymised) -> None:
    """Retention ran out (docs/people.md, 000 K66): feedback from the individual or their key people
    keeps what was said but no longer who said it (``from_name`` goes).

    Anonymised individuals have ended care, so they make no demand: the status is kept at the event's
    version, and an older record arriving later is ignored. A redelivery changes nothing.
    """
    await uow.workforce.keep_individual(event.individual_id, event.version, False)
    await uow.development.forget_names_from(event.individual_id, event.key_person_ids)


# --- the skills-gap report ------------------------------------------------------------------------


async def skills_report(
    uow: SupervisionUnitOfWork,
    *,
    locality: str | None,
    on: date | None,
    min_holders: int,
    expiring_within_days: int,
) -> tuple[date, tuple[LocalitySkills, ...]]:
    """The report on ``on`` (today in the provider's zone by default), for one locality or all."""
    day = on or local_date(uow.clock.now(), uow.zone)
    async with uow:
        workers = await uow.workforce.workers(locality)
        plans = await uow.workforce.plans(locality)
    return day, skills_gap(
        workers, plans, day, min_holders=min_holders, expiring_within_days=expiring_within_days
    )


# --- compliance per team and per supervisor -------------------------------------------------------


@dataclass(frozen=True)
class WorkerCompliance:
    """One worker's line in a group view."""

    profile: SuperviseeProfile
    report: ComplianceReport


@dataclass(frozen=True)
class GroupView:
    """A group's summary and its workers' lines."""

    on: date
    summary: GroupCompliance
    workers: tuple[WorkerCompliance, ...]


async def group_compliance(
    uow: SupervisionUnitOfWork,
    *,
    team: str | None = None,
    supervisor_id: UUID | None = None,
    on: date | None = None,
    due_soon_days: int,
    limit: int,
) -> GroupView:
    """Compliance of a team's or a supervisor's workers (at most ``limit``, by name)."""
    async with uow:
        day = on or local_date(uow.clock.now(), uow.zone)
        profiles = await uow.supervisees.list(
            team=team, supervisor_id=supervisor_id, limit=limit, active_only=True
        )
        reports = await compliance_of_many(uow, profiles, uow.zone, on=day, due_soon_days=due_soon_days)
        lines = [WorkerCompliance(p, r) for p, r in zip(profiles, reports, strict=True)]
    return GroupView(day, summarise([line.report for line in lines]), tuple(lines))


async def compliance_by_group(
    uow: SupervisionUnitOfWork, *, by: str, on: date | None, due_soon_days: int
) -> tuple[date, list[tuple[str | None, GroupCompliance]]]:
    """Every team's (``by="team"``) or supervisor's (``by="supervisor"``) summary, for the dashboard."""
    async with uow:
        day = on or local_date(uow.clock.now(), uow.zone)
        groups: dict[str | None, list[ComplianceReport]] = {}
        after: UUID | None = None
        while True:
            page = await uow.supervisees.ids_after(after, 200)
            profiles = await uow.supervisees.get_many(page)
            reports = await compliance_of_many(uow, profiles, uow.zone, on=day, due_soon_days=due_soon_days)
            for profile, report in zip(profiles, reports, strict=True):
                supervisor = str(profile.supervisor_id) if profile.supervisor_id else None
                groups.setdefault(profile.team if by == "team" else supervisor, []).append(report)
            if len(page) < 200:
                break
            after = page[-1]
    ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or ""))
    return day, [(key, summarise(reports)) for key, reports in ordered]
