"""Loading and storing workers, localities and teams."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.people.adapters.tables import localities, teams, workers
from services.people.domain.compliance import ComplianceVerdict
from services.people.domain.geo import Coordinates
from services.people.domain.organisation import Locality, Team
from services.people.domain.workers import (
    Competency,
    ContractType,
    DbsCheck,
    EmploymentStatus,
    ProgressStatus,
    Registration,
    TransportMode,
    Worker,
    WorkerRole,
)

NameKey = tuple[str, str, UUID]


class StaleVersion(Exception):
    """The row changed since it was read (optimistic concurrency lost the race)."""


async def put_versioned(
    session: AsyncSession, table: sa.Table, key: sa.Column[Any], key_value: object, values: dict[str, Any]
) -> None:
    """Insert the row at ``values["version"]`` 1, else update it from the version before.

    :class:`StaleVersion` when the row is no longer at that version (someone saved in between).
    """
    version = values["version"]
    if version == 1:
        await session.execute(sa.insert(table).values({key.name: key_value, **values}))
        return
    result = await session.execute(
        sa.update(table).where(key == key_value, table.c.version == version - 1).values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleVersion(str(key_value))


class WorkerRepository:
    """Workers in the people database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, worker: Worker) -> None:
        """Store a new worker."""
        await self._session.execute(sa.insert(workers).values(id=worker.id, **_worker_columns(worker)))

    async def update(self, worker: Worker, *, expected_version: int) -> None:
        """Store ``worker`` over the row still at ``expected_version``; :class:`StaleVersion` otherwise."""
        result = await self._session.execute(
            sa.update(workers)
            .where(workers.c.id == worker.id, workers.c.version == expected_version)
            .values(**_worker_columns(worker))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(str(worker.id))

    async def get(self, worker_id: UUID) -> Worker | None:
        """The worker with this id, if any."""
        row = (await self._session.execute(sa.select(workers).where(workers.c.id == worker_id))).first()
        return worker_from_row(row._mapping) if row else None

    async def page(
        self,
        *,
        limit: int,
        after: NameKey | None = None,
        locality: str | None = None,
        role: str | None = None,
        status: str | None = None,
        name: str | None = None,
    ) -> list[Worker]:
        """A page of workers by family then given name, after the cursor ``after``, filtered."""
        query = sa.select(workers)
        if after is not None:
            query = query.where(
                sa.tuple_(workers.c.family_name, workers.c.given_name, workers.c.id)
                > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]), sa.literal(after[2], type_=sa.Uuid()))
            )
        if locality:
            query = query.where(workers.c.locality == locality)
        if role:
            query = query.where(workers.c.role == role)
        if status:
            query = query.where(workers.c.status == status)
        if name:
            # autoescape: a % or _ in the name searched for is a character, not a wildcard
            query = query.where(
                sa.or_(
                    sa.func.lower(workers.c.given_name).contains(name.lower(), autoescape=True),
                    sa.func.lower(workers.c.family_name).contains(name.lower(), autoescape=True),
                )
            )
        rows = await self._session.execute(
            query.order_by(workers.c.family_name, workers.c.given_name, workers.c.id).limit(limit)
        )
        return [worker_from_row(row._mapping) for row in rows]

    async def all_active(self) -> list[Worker]:
        """Every worker still with the provider (the daily compliance review walks them)."""
        rows = await self._session.execute(
            sa.select(workers).where(workers.c.status == EmploymentStatus.ACTIVE.value).order_by(workers.c.id)
        )
        return [worker_from_row(row._mapping) for row in rows]

    async def last_verdict(self, worker_id: UUID) -> ComplianceVerdict | None:
        """The compliance verdict last announced for this worker, if any."""
        row = (
            await self._session.execute(
                sa.select(workers.c.may_work, workers.c.compliance_reasons, workers.c.compliance_day).where(
                    workers.c.id == worker_id
                )
            )
        ).first()
        if row is None or row.may_work is None:
            return None
        return ComplianceVerdict(
            day=row.compliance_day, may_work=row.may_work, reasons=tuple(row.compliance_reasons or ())
        )

    async def record_verdict(self, worker_id: UUID, verdict: ComplianceVerdict) -> None:
        """Remember the verdict just announced, so the next review announces only changes."""
        await self._session.execute(
            sa.update(workers)
            .where(workers.c.id == worker_id)
            .values(
                may_work=verdict.may_work,
                compliance_reasons=list(verdict.reasons),
                compliance_day=verdict.day,
            )
        )


def name_key(worker: Worker) -> NameKey:
    """The sort key a cursor carries."""
    return (worker.family_name, worker.given_name, worker.id)


def _worker_columns(worker: Worker) -> dict[str, Any]:
    return {
        "given_name": worker.given_name,
        "family_name": worker.family_name,
        "role": worker.role.value,
        "locality": worker.locality,
        "skills": worker.skills,
        "contracted_hours_per_week": worker.contracted_hours_per_week,
        "start_date": worker.start_date,
        "status": worker.status.value,
        "version": worker.version,
        "profile": worker_profile(worker),
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def worker_profile(worker: Worker) -> dict[str, Any]:
    """The JSON detail of a worker's record (everything without a column of its own)."""
    return {
        "job_title": worker.job_title,
        "contract_type": worker.contract_type.value if worker.contract_type else None,
        "probation_status": worker.probation_status.value if worker.probation_status else None,
        "induction_status": worker.induction_status.value if worker.induction_status else None,
        "competencies": [
            {
                "name": c.name,
                "evidence": c.evidence,
                "achieved_on": _iso(c.achieved_on),
                "expires_on": _iso(c.expires_on),
                "mandatory": c.mandatory,
            }
            for c in worker.competencies
        ],
        "registrations": [
            {"body": r.body, "number": r.number, "expires_on": _iso(r.expires_on)}
            for r in worker.registrations
        ],
        "dbs": None
        if worker.dbs is None
        else {
            "certificate_number": worker.dbs.certificate_number,
            "issued_on": worker.dbs.issued_on.isoformat(),
            "recheck_due": _iso(worker.dbs.recheck_due),
            "level": worker.dbs.level,
        },
        "languages": worker.languages,
        "gender": worker.gender,
        "home_base": None
        if worker.home_base is None
        else {"lat": worker.home_base.lat, "lon": worker.home_base.lon},
        "transport_mode": worker.transport_mode.value if worker.transport_mode else None,
        "line_manager_id": str(worker.line_manager_id) if worker.line_manager_id else None,
        "team_id": str(worker.team_id) if worker.team_id else None,
        "ended_on": _iso(worker.ended_on),
    }


def worker_from_row(row: sa.RowMapping) -> Worker:
    """A worker from its row (rows written before 0002 have no profile)."""
    profile: dict[str, Any] = row["profile"] or {}
    dbs = profile.get("dbs")
    home = profile.get("home_base")
    return Worker(
        id=row["id"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        role=WorkerRole(row["role"]),
        locality=row["locality"],
        skills=list(row["skills"]),
        contracted_hours_per_week=row["contracted_hours_per_week"],
        start_date=row["start_date"],
        job_title=profile.get("job_title"),
        contract_type=ContractType(profile["contract_type"]) if profile.get("contract_type") else None,
        probation_status=ProgressStatus(profile["probation_status"])
        if profile.get("probation_status")
        else None,
        induction_status=ProgressStatus(profile["induction_status"])
        if profile.get("induction_status")
        else None,
        competencies=[
            Competency(
                name=c["name"],
                evidence=c.get("evidence"),
                achieved_on=_day(c.get("achieved_on")),
                expires_on=_day(c.get("expires_on")),
                mandatory=bool(c.get("mandatory")),
            )
            for c in profile.get("competencies", [])
        ],
        registrations=[
            Registration(body=r["body"], number=r["number"], expires_on=_day(r.get("expires_on")))
            for r in profile.get("registrations", [])
        ],
        dbs=None
        if not dbs
        else DbsCheck(
            certificate_number=dbs["certificate_number"],
            issued_on=date.fromisoformat(dbs["issued_on"]),
            recheck_due=_day(dbs.get("recheck_due")),
            level=dbs.get("level", "enhanced"),
        ),
        languages=list(profile.get("languages", [])),
        gender=profile.get("gender"),
        home_base=Coordinates(home["lat"], home["lon"]) if home else None,
        transport_mode=TransportMode(profile["transport_mode"]) if profile.get("transport_mode") else None,
        line_manager_id=UUID(profile["line_manager_id"]) if profile.get("line_manager_id") else None,
        team_id=UUID(profile["team_id"]) if profile.get("team_id") else None,
        status=EmploymentStatus(row["status"]),
        ended_on=_day(profile.get("ended_on")),
        version=row["version"],
    )


class OrganisationRepository:
    """Localities and teams."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_locality(self, locality: Locality) -> None:
        """Store a new locality."""
        await self._session.execute(sa.insert(localities).values(id=locality.id, name=locality.name))

    async def locality_named(self, name: str) -> Locality | None:
        """The locality called ``name`` (names are unique), if any."""
        row = (await self._session.execute(sa.select(localities).where(localities.c.name == name))).first()
        return Locality(id=row.id, name=row.name) if row else None

    async def get_locality(self, locality_id: UUID) -> Locality | None:
        """The locality with this id, if any."""
        row = (
            await self._session.execute(sa.select(localities).where(localities.c.id == locality_id))
        ).first()
        return Locality(id=row.id, name=row.name) if row else None

    async def list_localities(self) -> list[Locality]:
        """Every locality, by name."""
        rows = await self._session.execute(sa.select(localities).order_by(localities.c.name))
        return [Locality(id=row.id, name=row.name) for row in rows]

    async def add_team(self, team: Team) -> None:
        """Store a new team."""
        await self._session.execute(
            sa.insert(teams).values(
                id=team.id, name=team.name, locality_id=team.locality_id, manager_id=team.manager_id
            )
        )

    async def get_team(self, team_id: UUID) -> Team | None:
        """The team with this id, if any."""
        row = (await self._session.execute(sa.select(teams).where(teams.c.id == team_id))).first()
        return _team(row) if row else None

    async def list_teams(self, locality_id: UUID | None = None) -> list[Team]:
        """Teams, by name, optionally of one locality."""
        query = sa.select(teams).order_by(teams.c.name, teams.c.id)
        if locality_id:
            query = query.where(teams.c.locality_id == locality_id)
        return [_team(row) for row in await self._session.execute(query)]

    async def update_team(self, team: Team, *, expected_version: int) -> None:
        """Store over the team still at ``expected_version``; :class:`StaleVersion` otherwise."""
        result = await self._session.execute(
            sa.update(teams)
            .where(teams.c.id == team.id, teams.c.version == expected_version)
            .values(name=team.name, manager_id=team.manager_id, active=team.active, version=team.version)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(str(team.id))

    async def reports_of(self, manager_id: UUID) -> list[UUID]:
        """Ids of the workers whose line manager is ``manager_id``."""
        rows = await self._session.execute(sa.select(workers.c.id, workers.c.profile))
        return [row.id for row in rows if (row.profile or {}).get("line_manager_id") == str(manager_id)]


def _team(row: Any) -> Team:
    return Team(
        id=row.id,
        name=row.name,
        locality_id=row.locality_id,
        manager_id=row.manager_id,
        active=row.active,
        version=row.version,
    )
