"""Loading and storing the rota's workers, packages, visits, planning runs and schedule versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.rota.adapters.tables import (
    individuals,
    packages,
    planning_runs,
    schedule_versions,
    worker_planning,
    workers,
)
from services.rota.adapters.tables import visits as visits_table
from services.rota.domain.geo import Location
from services.rota.domain.packages import CarePackage, RecurringVisit
from services.rota.domain.plans import AgreedPlan, Individual
from services.rota.domain.visits import Visit, VisitStatus
from services.rota.domain.workforce import PlanningProfile, RotaWorker


class RotaWorkerRepository:
    """Workers the rota can plan with."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, worker: RotaWorker) -> None:
        """Insert or replace ``worker``."""
        values = {
            "given_name": worker.given_name,
            "family_name": worker.family_name,
            "role": worker.role,
            "locality": worker.locality,
            "skills": worker.skills,
            "contracted_hours_per_week": worker.contracted_hours_per_week,
            "known_since": worker.known_since,
            "version": worker.version,
        }
        updated = await self._session.execute(
            sa.update(workers).where(workers.c.id == worker.id).values(values)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            await self._session.execute(sa.insert(workers).values(id=worker.id, **values))

    async def get(self, worker_id: UUID) -> RotaWorker | None:
        """The worker with this id, if the rota knows them."""
        row = (await self._session.execute(sa.select(workers).where(workers.c.id == worker_id))).first()
        return RotaWorker(**row._mapping) if row else None

    async def page(
        self, *, locality: str | None, limit: int, after: tuple[str, str, UUID] | None
    ) -> list[RotaWorker]:
        """Up to ``limit`` workers by name after the key ``after`` (keyset pagination, no offsets)."""
        key = sa.tuple_(workers.c.family_name, workers.c.given_name, workers.c.id)
        query = sa.select(workers).order_by(workers.c.family_name, workers.c.given_name, workers.c.id)
        if locality is not None:
            query = query.where(workers.c.locality == locality)
        if after is not None:
            query = query.where(key > sa.tuple_(*(sa.literal(part) for part in after)))
        rows = await self._session.execute(query.limit(limit))
        return [RotaWorker(**row._mapping) for row in rows]


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _location(doc: dict[str, Any]) -> Location:
    return Location(float(doc["lat"]), float(doc["lon"]))


def _rounded(location: Any, decimals: int) -> dict[str, float]:
    """A stored ``{"lat", "lon"}`` with ``decimals`` places: a district, not a house."""
    return {"lat": round(float(location["lat"]), decimals), "lon": round(float(location["lon"]), decimals)}


def package_document(package: CarePackage) -> dict[str, Any]:
    """A package as stored (JSON)."""
    return {
        "id": str(package.id),
        "individual_id": str(package.individual_id),
        "locality": package.locality,
        "location": {"lat": package.location.lat, "lon": package.location.lon},
        "address": package.address,
        "start_date": package.start_date.isoformat(),
        "end_date": package.end_date.isoformat() if package.end_date else None,
        "carer_gender": package.carer_gender,
        "refused_workers": sorted(str(w) for w in package.refused_workers),
        "known_workers": sorted(str(w) for w in package.known_workers),
        "version": package.version,
        "source_plan_id": str(package.source_plan_id) if package.source_plan_id else None,
        "source_plan_version": package.source_plan_version,
        "paused_from": package.paused_from.isoformat() if package.paused_from else None,
        "paused_until": package.paused_until.isoformat() if package.paused_until else None,
        "visits": [
            {
                "id": line.id,
                "weekdays": sorted(line.weekdays),
                "preferred_start": line.preferred_start.isoformat(timespec="minutes"),
                "duration_minutes": line.duration_minutes,
                "flexibility_minutes": line.flexibility_minutes,
                "tasks": list(line.tasks),
                "workers_required": line.workers_required,
                "required_skills": sorted(line.required_skills),
            }
            for line in package.visits
        ],
    }


def package_from(doc: dict[str, Any]) -> CarePackage:
    """A stored package."""
    return CarePackage(
        id=UUID(doc["id"]),
        individual_id=UUID(doc["individual_id"]),
        locality=doc["locality"],
        location=_location(doc["location"]),
        address=doc.get("address", ""),
        start_date=date.fromisoformat(doc["start_date"]),
        end_date=date.fromisoformat(doc["end_date"]) if doc.get("end_date") else None,
        carer_gender=doc.get("carer_gender"),
        refused_workers=frozenset(UUID(w) for w in doc.get("refused_workers", [])),
        known_workers=frozenset(UUID(w) for w in doc.get("known_workers", [])),
        version=doc["version"],
        source_plan_id=UUID(doc["source_plan_id"]) if doc.get("source_plan_id") else None,
        source_plan_version=doc.get("source_plan_version"),
        paused_from=_instant(doc.get("paused_from")),
        paused_until=_instant(doc.get("paused_until")),
        visits=tuple(
            RecurringVisit(
                id=line["id"],
                weekdays=frozenset(line["weekdays"]),
                preferred_start=time.fromisoformat(line["preferred_start"]),
                duration_minutes=line["duration_minutes"],
                flexibility_minutes=line["flexibility_minutes"],
                tasks=tuple(line["tasks"]),
                workers_required=line["workers_required"],
                required_skills=frozenset(line["required_skills"]),
            )
            for line in doc["visits"]
        ),
    )


def visit_document(visit: Visit) -> dict[str, Any]:
    """A visit as stored (JSON); instants in UTC ISO 8601."""
    return {
        "package_version": visit.package_version,
        "line_id": visit.line_id,
        "location": {"lat": visit.location.lat, "lon": visit.location.lon},
        "planned_start": visit.planned_start.isoformat(),
        "duration_minutes": visit.duration_minutes,
        "window_end": visit.window_end.isoformat(),
        "tasks": list(visit.tasks),
        "workers_required": visit.workers_required,
        "required_skills": sorted(visit.required_skills),
        "carer_gender": visit.carer_gender,
        "refused_workers": sorted(str(w) for w in visit.refused_workers),
        "workers": [str(w) for w in visit.workers],
        "allocated_start": visit.allocated_start.isoformat() if visit.allocated_start else None,
    }


def visit_from(row: Any) -> Visit:
    """A stored visit."""
    doc = row.document
    return Visit(
        id=row.id,
        package_id=row.package_id,
        package_version=doc["package_version"],
        line_id=doc["line_id"],
        individual_id=row.individual_id,
        locality=row.locality,
        location=_location(doc["location"]),
        local_date=row.local_date,
        planned_start=datetime.fromisoformat(doc["planned_start"]),
        duration_minutes=doc["duration_minutes"],
        window_start=row.window_start,
        window_end=datetime.fromisoformat(doc["window_end"]),
        tasks=tuple(doc["tasks"]),
        workers_required=doc["workers_required"],
        required_skills=frozenset(doc["required_skills"]),
        carer_gender=doc.get("carer_gender"),
        refused_workers=frozenset(UUID(w) for w in doc["refused_workers"]),
        status=VisitStatus(row.status),
        workers=tuple(UUID(w) for w in doc["workers"]),
        allocated_start=datetime.fromisoformat(doc["allocated_start"])
        if doc.get("allocated_start")
        else None,
    )


class PackageRepository:
    """Care packages."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, package_id: UUID) -> CarePackage | None:
        """The package with this id."""
        row = (
            await self._session.execute(sa.select(packages.c.document).where(packages.c.id == package_id))
        ).first()
        return package_from(row.document) if row else None

    async def all(self) -> list[CarePackage]:
        """Every package (for moving the horizon on)."""
        rows = await self._session.execute(sa.select(packages.c.document).order_by(packages.c.id))
        return [package_from(row.document) for row in rows]

    async def addresses(self, package_ids: set[UUID]) -> dict[UUID, str]:
        """The address each of these packages' visits happen at."""
        if not package_ids:
            return {}
        rows = await self._session.execute(
            sa.select(packages.c.id, packages.c.document).where(packages.c.id.in_(package_ids))
        )
        return {row.id: row.document.get("address", "") for row in rows}

    async def anonymise(self, individual_id: UUID, placeholder: str, decimals: int) -> int:
        """Every package of the individual without their address, coordinates to ``decimals``."""
        rows = (
            await self._session.execute(
                sa.select(packages.c.id, packages.c.document).where(packages.c.individual_id == individual_id)
            )
        ).all()
        for row in rows:
            # A new dict, so that the JSON column sees the change.
            document = {
                **row.document,
                "address": placeholder,
                "location": _rounded(row.document["location"], decimals),
            }
            await self._session.execute(
                sa.update(packages).where(packages.c.id == row.id).values(document=document)
            )
        return len(rows)

    async def save(self, package: CarePackage, now: datetime) -> None:
        """Insert or replace ``package``."""
        values = {
            "individual_id": package.individual_id,
            "locality": package.locality,
            "document": package_document(package),
            "version": package.version,
            "updated_at": now,
        }
        updated = await self._session.execute(
            sa.update(packages).where(packages.c.id == package.id).values(values)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            await self._session.execute(sa.insert(packages).values(id=package.id, **values))


class VisitRepository:
    """Generated visits and their allocations."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, visits: Sequence[Visit]) -> None:
        """Insert or replace each of ``visits``."""
        for visit in visits:
            values = {
                "package_id": visit.package_id,
                "individual_id": visit.individual_id,
                "locality": visit.locality,
                "local_date": visit.local_date,
                "window_start": visit.window_start,
                "status": visit.status.value,
                "document": visit_document(visit),
            }
            updated = await self._session.execute(
                sa.update(visits_table).where(visits_table.c.id == visit.id).values(values)
            )
            if updated.rowcount == 0:  # type: ignore[attr-defined]
                await self._session.execute(sa.insert(visits_table).values(id=visit.id, **values))

    async def get(self, visit_id: UUID) -> Visit | None:
        """One visit."""
        row = (
            await self._session.execute(sa.select(visits_table).where(visits_table.c.id == visit_id))
        ).first()
        return visit_from(row) if row else None

    async def of_package(self, package_id: UUID) -> list[Visit]:
        """Every visit of a package."""
        rows = await self._session.execute(
            sa.select(visits_table).where(visits_table.c.package_id == package_id)
        )
        return [visit_from(r) for r in rows]

    async def of_day(self, local_date: date, locality: str | None = None) -> list[Visit]:
        """The visits of one local day, in one locality or all, by window."""
        query = sa.select(visits_table).where(visits_table.c.local_date == local_date)
        if locality is not None:
            query = query.where(visits_table.c.locality == locality)
        rows = await self._session.execute(query.order_by(visits_table.c.window_start, visits_table.c.id))
        return [visit_from(r) for r in rows]

    async def page_of_day(
        self, local_date: date, locality: str | None, *, limit: int, after: tuple[datetime, UUID] | None
    ) -> list[Visit]:
        """Up to ``limit`` visits of one local day by window, after the key ``after`` (keyset pagination)."""
        query = sa.select(visits_table).where(visits_table.c.local_date == local_date)
        if locality is not None:
            query = query.where(visits_table.c.locality == locality)
        if after is not None:
            start, visit = after
            query = query.where(
                (visits_table.c.window_start > start)
                | ((visits_table.c.window_start == start) & (visits_table.c.id > visit))
            )
        rows = await self._session.execute(
            query.order_by(visits_table.c.window_start, visits_table.c.id).limit(limit)
        )
        return [visit_from(r) for r in rows]

    async def of_individual(self, individual_id: UUID, first: date, last: date) -> list[Visit]:
        """An individual's visits on local days ``first`` to ``last``, by window."""
        rows = await self._session.execute(
            sa.select(visits_table)
            .where(
                visits_table.c.individual_id == individual_id,
                visits_table.c.local_date >= first,
                visits_table.c.local_date <= last,
            )
            .order_by(visits_table.c.window_start, visits_table.c.id)
        )
        return [visit_from(r) for r in rows]

    async def anonymise(self, individual_id: UUID, decimals: int) -> int:
        """The individual's visits (history included) with the home's coordinates to ``decimals``.

        Ids, times, workers and statuses stay: the history is kept, the house cannot be found from it.
        """
        rows = (
            await self._session.execute(
                sa.select(visits_table.c.id, visits_table.c.document).where(
                    visits_table.c.individual_id == individual_id
                )
            )
        ).all()
        for row in rows:
            document = {**row.document, "location": _rounded(row.document["location"], decimals)}
            await self._session.execute(
                sa.update(visits_table).where(visits_table.c.id == row.id).values(document=document)
            )
        return len(rows)

    async def known_workers(self, locality: str, since: date, until: date) -> dict[UUID, frozenset[UUID]]:
        """For each individual, the workers who visited them between ``since`` and ``until`` (continuity)."""
        rows = await self._session.execute(
            sa.select(visits_table).where(
                visits_table.c.locality == locality,
                visits_table.c.local_date >= since,
                visits_table.c.local_date <= until,
            )
        )
        known: dict[UUID, set[UUID]] = {}
        for row in rows:
            known.setdefault(row.individual_id, set()).update(UUID(w) for w in row.document["workers"])
        return {k: frozenset(v) for k, v in known.items()}


class WorkerPlanningRepository:
    """Workers' planning profiles."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, worker_id: UUID) -> PlanningProfile | None:
        """A worker's profile, if one was given."""
        row = (
            await self._session.execute(
                sa.select(worker_planning.c.profile).where(worker_planning.c.worker_id == worker_id)
            )
        ).first()
        return profile_from(row.profile) if row else None

    async def save(self, worker_id: UUID, profile: PlanningProfile, now: datetime) -> None:
        """Insert or replace a worker's profile."""
        values = {"profile": profile_document(profile), "updated_at": now}
        updated = await self._session.execute(
            sa.update(worker_planning).where(worker_planning.c.worker_id == worker_id).values(values)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            await self._session.execute(sa.insert(worker_planning).values(worker_id=worker_id, **values))

    async def of_locality(self, locality: str) -> list[tuple[RotaWorker, PlanningProfile]]:
        """The workers of a locality who have a planning profile."""
        rows = await self._session.execute(
            sa.select(workers, worker_planning.c.profile)
            .join(worker_planning, worker_planning.c.worker_id == workers.c.id)
            .where(workers.c.locality == locality)
            .order_by(workers.c.id)
        )
        found = []
        for row in rows:
            fields = {k: v for k, v in row._mapping.items() if k != "profile"}
            found.append((RotaWorker(**fields), profile_from(row.profile)))
        return found


def profile_document(profile: PlanningProfile) -> dict[str, Any]:
    """A planning profile as stored (JSON)."""
    return {
        "gender": profile.gender,
        "home": {"lat": profile.home.lat, "lon": profile.home.lon} if profile.home else None,
        "transport": profile.transport,
        "availability": {
            str(day): [[s.isoformat(timespec="minutes"), e.isoformat(timespec="minutes")] for s, e in shifts]
            for day, shifts in sorted(profile.availability.items())
        },
        "absences": [[s.isoformat(), e.isoformat()] for s, e in profile.absences],
        "max_working_minutes": profile.max_working_minutes,
        "may_work": profile.may_work,
        "ended_on": profile.ended_on.isoformat() if profile.ended_on else None,
    }


def profile_from(doc: dict[str, Any]) -> PlanningProfile:
    """A stored planning profile."""
    return PlanningProfile(
        gender=doc.get("gender"),
        home=_location(doc["home"]) if doc.get("home") else None,
        transport=doc.get("transport", "car"),
        availability={
            int(day): tuple((time.fromisoformat(s), time.fromisoformat(e)) for s, e in shifts)
            for day, shifts in doc.get("availability", {}).items()
        },
        absences=tuple(
            (datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in doc.get("absences", [])
        ),
        max_working_minutes=doc.get("max_working_minutes", 600),
        may_work=doc.get("may_work", True),
        ended_on=date.fromisoformat(doc["ended_on"]) if doc.get("ended_on") else None,
    )


class PlanningRunRepository:
    """Planning runs: queued, running (with progress), done (with the result) or failed."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        run_id: UUID,
        locality: str,
        local_date: date,
        engine: str,
        time_limit_s: float,
        now: datetime,
        weights: dict[str, int] | None = None,
    ) -> None:
        """Record a queued run (``weights``: the coordinator's soft-cost weights, else the defaults)."""
        await self._session.execute(
            sa.insert(planning_runs).values(
                id=run_id,
                locality=locality,
                local_date=local_date,
                status="queued",
                progress=0.0,
                engine=engine,
                time_limit_s=time_limit_s,
                created_at=now,
                weights=weights,
            )
        )

    async def get(self, run_id: UUID) -> dict[str, Any] | None:
        """A run as a dictionary of its columns."""
        row = (
            await self._session.execute(sa.select(planning_runs).where(planning_runs.c.id == run_id))
        ).first()
        return dict(row._mapping) if row else None

    async def unfinished(self) -> list[dict[str, Any]]:
        """Runs still queued or running, oldest first."""
        rows = await self._session.execute(
            sa.select(planning_runs)
            .where(planning_runs.c.status.in_(("queued", "running")))
            .order_by(planning_runs.c.created_at)
        )
        return [dict(row._mapping) for row in rows]

    async def update(self, run_id: UUID, **values: Any) -> None:
        """Change a run's status, progress, result or error."""
        await self._session.execute(
            sa.update(planning_runs).where(planning_runs.c.id == run_id).values(values)
        )


class ScheduleVersionRepository:
    """The published version of each worker's day (000 P45)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def bump(self, worker_id: UUID, local_date: date, visit_ids: list[UUID]) -> int:
        """Record a new version of a worker's day and return its number."""
        key = (schedule_versions.c.worker_id == worker_id) & (schedule_versions.c.local_date == local_date)
        row = (await self._session.execute(sa.select(schedule_versions.c.version).where(key))).first()
        ids = sorted(str(v) for v in visit_ids)
        if row is None:
            await self._session.execute(
                sa.insert(schedule_versions).values(
                    worker_id=worker_id, local_date=local_date, version=1, visit_ids=ids
                )
            )
            return 1
        await self._session.execute(
            sa.update(schedule_versions).where(key).values(version=row.version + 1, visit_ids=ids)
        )
        return int(row.version) + 1

    async def version(self, worker_id: UUID, local_date: date) -> int:
        """The current version of a worker's day (0 before anything was published)."""
        key = (schedule_versions.c.worker_id == worker_id) & (schedule_versions.c.local_date == local_date)
        row = (await self._session.execute(sa.select(schedule_versions.c.version).where(key))).first()
        return int(row.version) if row else 0


def _line_document(line: RecurringVisit) -> dict[str, Any]:
    return {
        "id": line.id,
        "weekdays": sorted(line.weekdays),
        "preferred_start": line.preferred_start.isoformat(timespec="minutes"),
        "duration_minutes": line.duration_minutes,
        "flexibility_minutes": line.flexibility_minutes,
        "tasks": list(line.tasks),
        "workers_required": line.workers_required,
        "required_skills": sorted(line.required_skills),
    }


def _line_from(line: dict[str, Any]) -> RecurringVisit:
    return RecurringVisit(
        id=line["id"],
        weekdays=frozenset(line["weekdays"]),
        preferred_start=time.fromisoformat(line["preferred_start"]),
        duration_minutes=line["duration_minutes"],
        flexibility_minutes=line["flexibility_minutes"],
        tasks=tuple(line["tasks"]),
        workers_required=line["workers_required"],
        required_skills=frozenset(line["required_skills"]),
    )


class IndividualRepository:
    """The rota's copy of individuals and their agreed plans (from people's events)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, individual_id: UUID) -> tuple[Individual | None, AgreedPlan | None]:
        """The individual (None until their record arrived) and their agreed plan (None until agreed)."""
        row = (
            await self._session.execute(sa.select(individuals).where(individuals.c.id == individual_id))
        ).first()
        if row is None:
            return None, None
        record, plan = row.record, row.plan
        individual = (
            Individual(
                id=row.id,
                version=row.version,
                locality=row.locality,
                location=_location(record["location"]),
                address=record["address"],
                carer_gender=record["carer_gender"],
                refused_workers=frozenset(UUID(w) for w in record["refused_workers"]),
                status=record["status"],
                paused_from=_instant(record.get("paused_from")),
                paused_until=_instant(record.get("paused_until")),
            )
            if record
            else None
        )
        agreed = (
            AgreedPlan(
                plan_id=UUID(plan["plan_id"]),
                version=plan["version"],
                start_date=date.fromisoformat(plan["start_date"]),
                end_date=date.fromisoformat(plan["end_date"]) if plan["end_date"] else None,
                visits=tuple(_line_from(line) for line in plan["visits"]),
            )
            if plan
            else None
        )
        return individual, agreed

    async def version(self, individual_id: UUID) -> int:
        """The newest version of people's record the rota has acted on (0: none yet)."""
        found = await self._session.scalar(
            sa.select(individuals.c.version).where(individuals.c.id == individual_id)
        )
        return int(found or 0)

    async def anonymise(
        self, individual_id: UUID, version: int, locality: str, placeholder: str, decimals: int
    ) -> None:
        """The record without the address, coordinates to ``decimals``, at ``version``; the plan stays.

        With no record yet the row is kept as a marker at ``version``, so that an older record
        arriving later is ignored instead of bringing the details back.
        """
        row = (
            await self._session.execute(
                sa.select(individuals.c.record).where(individuals.c.id == individual_id)
            )
        ).first()
        if row is None:
            await self._session.execute(
                sa.insert(individuals).values(
                    id=individual_id, version=version, locality=locality, record=None, plan=None
                )
            )
            return
        record = (
            {**row.record, "address": placeholder, "location": _rounded(row.record["location"], decimals)}
            if row.record
            else None
        )
        await self._session.execute(
            sa.update(individuals)
            .where(individuals.c.id == individual_id)
            .values(version=version, locality=locality, record=record)
        )

    async def save(self, individual_id: UUID, individual: Individual | None, plan: AgreedPlan | None) -> None:
        """Insert or replace what the rota knows of one individual."""
        record = (
            {
                "location": {"lat": individual.location.lat, "lon": individual.location.lon},
                "address": individual.address,
                "carer_gender": individual.carer_gender,
                "refused_workers": sorted(str(w) for w in individual.refused_workers),
                "status": individual.status,
                "paused_from": individual.paused_from.isoformat() if individual.paused_from else None,
                "paused_until": individual.paused_until.isoformat() if individual.paused_until else None,
            }
            if individual
            else None
        )
        document = (
            {
                "plan_id": str(plan.plan_id),
                "version": plan.version,
                "start_date": plan.start_date.isoformat(),
                "end_date": plan.end_date.isoformat() if plan.end_date else None,
                "visits": [_line_document(line) for line in plan.visits],
            }
            if plan
            else None
        )
        values: dict[str, Any] = {"record": record, "plan": document}
        if individual is not None:
            # Without a record the row keeps its version: a plan must not undo an anonymisation's.
            values.update(version=individual.version, locality=individual.locality)
        updated = await self._session.execute(
            sa.update(individuals).where(individuals.c.id == individual_id).values(values)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            await self._session.execute(
                sa.insert(individuals).values({"id": individual_id, "version": 0, "locality": "", **values})
            )
