"""Workforce analysis: the skills active plans require against the skills of available workers (pure).

000 P29 asks to analyse the knowledge and skills of the current workforce, P30 to plan development to
meet the gaps. Per locality and skill: how many active plans and weekly visits need it, how many
available workers hold it on the day (an expired competency does not count), how many of those
lapse within the horizon, and whether the locality is short of it.

"Available" is an active worker whom people's compliance check lets work (000 P1). A skill is
``uncovered`` with no holder, ``thin`` with fewer than ``min_holders`` (one absence would leave
visits without a qualified worker; two by default, the smallest number that survives a sickness
or a holiday), ``covered`` otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

DEFAULT_MIN_HOLDERS = 2
DEFAULT_EXPIRING_WITHIN_DAYS = 90


@dataclass(frozen=True)
class HeldCompetency:
    """A competency and the first day it no longer counts (None: it does not expire)."""

    name: str
    expires_on: date | None = None


@dataclass(frozen=True)
class WorkforceMember:
    """A worker as the skills-gap report sees them."""

    worker_id: UUID
    locality: str
    active: bool
    may_work: bool
    skills: frozenset[str]
    competencies: tuple[HeldCompetency, ...] = ()

    def holds(self, skill: str, on: date) -> bool:
        """Whether the worker holds ``skill`` on ``on`` (declared, and its competency not expired)."""
        if skill not in self.skills and not any(c.name == skill for c in self.competencies):
            return False
        expiries = [c.expires_on for c in self.competencies if c.name == skill]
        return not expiries or any(e is None or on < e for e in expiries)

    def lapses_by(self, skill: str, on: date, horizon: date) -> bool:
        """Whether the worker's hold on ``skill`` ends between ``on`` and ``horizon``."""
        expiries = [c.expires_on for c in self.competencies if c.name == skill]
        if not expiries or any(e is None for e in expiries):
            return False
        last = max(e for e in expiries if e is not None)
        return on < last <= horizon


@dataclass(frozen=True)
class VisitNeed:
    """A kind of visit in a plan: the skills it requires and how many worker-visits a week."""

    required_skills: frozenset[str]
    weekly_worker_visits: int


@dataclass(frozen=True)
class PlanNeed:
    """An individual's agreed plan as the report sees it."""

    individual_id: UUID
    locality: str
    start_date: date
    end_date: date | None
    individual_active: bool
    visits: tuple[VisitNeed, ...]

    def active_on(self, on: date) -> bool:
        """In force on ``on`` for an individual receiving care (not ended, not in hospital)."""
        return (
            self.individual_active
            and self.start_date <= on
            and (self.end_date is None or on <= self.end_date)
        )


class Coverage(StrEnum):
    """How well a locality is provided with a skill."""

    UNCOVERED = "uncovered"
    THIN = "thin"
    COVERED = "covered"


@dataclass(frozen=True)
class SkillLine:
    """One skill in one locality."""

    skill: str
    plans: int
    weekly_worker_visits: int
    holders: int
    lapsing: int
    coverage: Coverage

    @property
    def weekly_visits_per_holder(self) -> float | None:
        """How much of the skill's work each holder carries (None when nobody holds it)."""
        return round(self.weekly_worker_visits / self.holders, 1) if self.holders else None


@dataclass(frozen=True)
class LocalitySkills:
    """The skills a locality's active plans require and how well its available workers hold them."""

    locality: str
    workers: int  # active workers, available or not
    available_workers: int
    active_plans: int
    skills: tuple[SkillLine, ...]

    @property
    def gaps(self) -> tuple[SkillLine, ...]:
        """The skills the locality is short of: uncovered first, then thin ones."""
        short = [s for s in self.skills if s.coverage is not Coverage.COVERED]
        return tuple(
            sorted(short, key=lambda s: (s.coverage is Coverage.THIN, -s.weekly_worker_visits, s.skill))
        )


def skills_gap(
    workers: list[WorkforceMember],
    plans: list[PlanNeed],
    on: date,
    *,
    min_holders: int = DEFAULT_MIN_HOLDERS,
    expiring_within_days: int = DEFAULT_EXPIRING_WITHIN_DAYS,
) -> tuple[LocalitySkills, ...]:
    """The report for every locality with an active plan or an active worker, by locality name."""
    if min_holders < 1:
        raise ValueError("min_holders is at least 1")
    horizon = on + timedelta(days=expiring_within_days)
    available: dict[str, list[WorkforceMember]] = defaultdict(list)
    active: dict[str, int] = defaultdict(int)
    for worker in workers:
        if worker.active:
            active[worker.locality] += 1
            if worker.may_work:
                available[worker.locality].append(worker)
    demand: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    active_plans: dict[str, int] = defaultdict(int)
    for plan in plans:
        if not plan.active_on(on):
            continue
        active_plans[plan.locality] += 1
        needed: dict[str, int] = defaultdict(int)
        for visit in plan.visits:
            for skill in visit.required_skills:
                needed[skill] += visit.weekly_worker_visits
        for skill, visits in needed.items():
            demand[plan.locality][skill][0] += 1
            demand[plan.locality][skill][1] += visits
    report = []
    for locality in sorted(set(active) | set(active_plans)):
        lines = []
        for skill, (plan_count, visits) in sorted(demand[locality].items()):
            holders = [w for w in available[locality] if w.holds(skill, on)]
            lines.append(
                SkillLine(
                    skill=skill,
                    plans=plan_count,
                    weekly_worker_visits=visits,
                    holders=len(holders),
                    lapsing=sum(1 for w in holders if w.lapses_by(skill, on, horizon)),
                    coverage=_coverage(len(holders), min_holders),
                )
            )
        report.append(
            LocalitySkills(
                locality=locality,
                workers=active[locality],
                available_workers=len(available[locality]),
                active_plans=active_plans[locality],
                skills=tuple(lines),
            )
        )
    return tuple(report)


def _coverage(holders: int, min_holders: int) -> Coverage:
    if holders == 0:
        return Coverage.UNCOVERED
    return Coverage.THIN if holders < min_holders else Coverage.COVERED
