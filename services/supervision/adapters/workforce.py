"""Supervision's read models of other services' facts: visits (rota), workers' skills and plans (people).

Each is kept from events that carry the whole current state. Worker and plan events carry a
``version``: an older one than what is kept changes nothing, so a replay is harmless. Visit events
carry no version but come in order on the visit's partition, so the latest one wins.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.adapters import tables as t
from services.supervision.domain.development import VisitSeen
from services.supervision.domain.workforce import HeldCompetency, PlanNeed, VisitNeed, WorkforceMember


class VisitRepository:
    """Visits as the rota announced them."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def keep(self, visit: VisitSeen) -> None:
        """Store the visit as it now stands."""
        values: dict[str, Any] = {
            "individual_id": visit.individual_id,
            "locality": visit.locality,
            "local_date": visit.local_date,
            "planned_start": visit.planned_start,
            "planned_end": visit.planned_end,
            "workers": [str(w) for w in visit.workers],
            "cancelled": visit.cancelled,
        }
        updated = await self._session.execute(
            sa.update(t.visits_seen).where(t.visits_seen.c.visit_id == visit.visit_id).values(**values)
        )
        if getattr(updated, "rowcount", 0) == 0:
            await self._session.execute(sa.insert(t.visits_seen).values(visit_id=visit.visit_id, **values))

    async def get(self, visit_id: UUID) -> VisitSeen | None:
        """The visit, if the rota has announced it."""
        row = (
            await self._session.execute(sa.select(t.visits_seen).where(t.visits_seen.c.visit_id == visit_id))
        ).first()
        if row is None:
            return None
        return VisitSeen(**{**row._mapping, "workers": tuple(UUID(w) for w in row.workers)})


class WorkforceRepository:
    """Workers' skills and plans' required skills, for the skills-gap report."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def keep_worker(
        self,
        *,
        worker_id: UUID,
        version: int,
        locality: str,
        active: bool,
        skills: list[str],
        competencies: list[HeldCompetency],
        may_work: bool | None,
    ) -> None:
        """Store the worker's record at ``version`` unless a newer one is kept."""
        c = t.workforce.c
        found = (
            await self._session.execute(sa.select(c.version, c.may_work).where(c.worker_id == worker_id))
        ).first()
        values: dict[str, Any] = {
            "version": version,
            "locality": locality,
            "active": active,
            "skills": sorted(set(skills)),
            "competencies": [
                {"name": h.name, "expires_on": h.expires_on.isoformat() if h.expires_on else None}
                for h in competencies
            ],
        }
        if found is None:
            values["may_work"] = True if may_work is None else may_work
            await self._session.execute(sa.insert(t.workforce).values(worker_id=worker_id, **values))
        elif version > found.version:
            if may_work is not None:
                values["may_work"] = may_work
            await self._session.execute(
                sa.update(t.workforce).where(c.worker_id == worker_id).values(**values)
            )

    async def worker_version(self, worker_id: UUID) -> int | None:
        """The version of the worker's record kept (None: not known yet)."""
        version: int | None = await self._session.scalar(
            sa.select(t.workforce.c.version).where(t.workforce.c.worker_id == worker_id)
        )
        return version

    async def set_may_work(self, worker_id: UUID, may_work: bool) -> None:
        """People's compliance verdict changed (a worker not yet known is kept when registered)."""
        await self._session.execute(
            sa.update(t.workforce).where(t.workforce.c.worker_id == worker_id).values(may_work=may_work)
        )

    async def keep_plan(
        self,
        *,
        individual_id: UUID,
        version: int,
        locality: str,
        start_date: date,
        end_date: date | None,
        visits: list[VisitNeed],
    ) -> None:
        """Store the individual's agreed plan at ``version`` unless a newer one is kept."""
        c = t.plan_demand.c
        found = (
            await self._session.execute(sa.select(c.plan_version).where(c.individual_id == individual_id))
        ).first()
        values: dict[str, Any] = {
            "plan_version": version,
            "locality": locality,
            "start_date": start_date,
            "end_date": end_date,
            "visits": [
                {"skills": sorted(v.required_skills), "weekly": v.weekly_worker_visits} for v in visits
            ],
        }
        if found is None:
            status = (
                await self._session.execute(
                    sa.select(t.individuals_seen.c.active).where(
                        t.individuals_seen.c.individual_id == individual_id
                    )
                )
            ).first()
            await self._session.execute(
                sa.insert(t.plan_demand).values(
                    individual_id=individual_id, individual_active=status.active if status else True, **values
                )
            )
        elif version > found.plan_version:
            await self._session.execute(
                sa.update(t.plan_demand).where(c.individual_id == individual_id).values(**values)
            )

    async def keep_individual(self, individual_id: UUID, version: int, active: bool) -> None:
        """The individual is receiving care (active) or not (in hospital, ended), as of ``version``."""
        c = t.individuals_seen.c
        found = (
            await self._session.execute(sa.select(c.version).where(c.individual_id == individual_id))
        ).first()
        if found is None:
            await self._session.execute(
                sa.insert(t.individuals_seen).values(
                    individual_id=individual_id, version=version, active=active
                )
            )
        elif version >= found.version:
            await self._session.execute(
                sa.update(t.individuals_seen)
                .where(c.individual_id == individual_id)
                .values(version=version, active=active)
            )
        else:
            return
        await self._session.execute(
            sa.update(t.plan_demand)
            .where(t.plan_demand.c.individual_id == individual_id)
            .values(individual_active=active)
        )

    async def workers(self, locality: str | None = None) -> list[WorkforceMember]:
        """Every worker kept, optionally of one locality."""
        query = sa.select(t.workforce)
        if locality is not None:
            query = query.where(t.workforce.c.locality == locality)
        return [
            WorkforceMember(
                worker_id=row.worker_id,
                locality=row.locality,
                active=row.active,
                may_work=row.may_work,
                skills=frozenset(row.skills),
                competencies=tuple(
                    HeldCompetency(
                        h["name"], date.fromisoformat(h["expires_on"]) if h["expires_on"] else None
                    )
                    for h in row.competencies
                ),
            )
            for row in await self._session.execute(query)
        ]

    async def plans(self, locality: str | None = None) -> list[PlanNeed]:
        """Every plan kept, optionally of one locality."""
        query = sa.select(t.plan_demand)
        if locality is not None:
            query = query.where(t.plan_demand.c.locality == locality)
        return [
            PlanNeed(
                individual_id=row.individual_id,
                locality=row.locality,
                start_date=row.start_date,
                end_date=row.end_date,
                individual_active=row.individual_active,
                visits=tuple(VisitNeed(frozenset(v["skills"]), int(v["weekly"])) for v in row.visits),
            )
            for row in await self._session.execute(query)
        ]
