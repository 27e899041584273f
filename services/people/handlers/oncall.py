"""The on-call roster (000 P37): schedule, change and cancel shifts; the chain now; gaps, reported.

Every change to a locality's roster re-reads its cover over the coming horizon in the same
transaction, and announces ``rounds.oncall.gaps.reported.v1`` when the gaps are not the ones last
announced, so alerts learns of a gap the moment it is made (and of its closing).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from rounds.contracts.people import (
    OnCallGap,
    OnCallGapsReported,
    OnCallShiftChanged,
    OnCallShiftScheduled,
)
from rounds.infra.problems import Conflict, NotFound, Problem
from services.people.adapters.repository import StaleVersion
from services.people.domain.compliance import compliance_on
from services.people.domain.oncall import (
    PROVIDER_WIDE,
    ChainLink,
    CoverRequirement,
    Gap,
    LocalTimeRefused,
    OnCallShift,
    PatternLine,
    RosterClash,
    RosterRuleBroken,
    ShiftStatus,
    chain_at,
    check_clashes,
    check_cover,
    check_shift,
    expand_pattern,
    find_gaps,
    horizon_end,
    local_instant,
    still_open,
)
from services.people.domain.organisation import local_day
from services.people.domain.workers import EmploymentStatus, WorkerRole
from services.people.errors import Invalid, stale, unknown_reference
from services.people.handlers.common import check_version, provider_time_zone
from services.people.unit_of_work import PeopleUnitOfWork

#: A chain is read at an instant: shifts and absences overlapping this sliver of time around it.
_INSTANT = timedelta(microseconds=1)

_FIRST_YEAR, _LAST_YEAR = 1900, 2200

#: Who may be the responsible person on call (000 P37): those who manage the service day to day.
ON_CALL_ROLES = frozenset(
    {WorkerRole.COORDINATOR, WorkerRole.REGISTERED_MANAGER, WorkerRole.SENIOR_CARE_WORKER}
)


def instant(value: datetime, field_name: str) -> datetime:
    """A UTC instant from an aware value, or from a naive one read as the provider's wall-clock time.

    422 for a wall-clock time the clocks skip or repeat that day (the caller must give the offset).
    """
    if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        # Far dates are typing mistakes, and at the ends of the calendar a zone's offset overflows.
        raise Invalid.on(field_name, f"must be between the years {_FIRST_YEAR} and {_LAST_YEAR}")
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    try:
        return local_instant(value, provider_time_zone())
    except LocalTimeRefused as refused:
        raise Invalid.on(field_name, str(refused)) from None


@dataclass(frozen=True)
class ShiftDetails:
    """What a coordinator says about a shift (instants already read, see :func:`instant`)."""

    worker_id: UUID
    level: int
    starts_at: datetime
    ends_at: datetime
    contact_phone: str
    contact_email: str | None = None


async def _locked_locality(uow: PeopleUnitOfWork, locality: str) -> None:
    if locality == PROVIDER_WIDE:
        return
    if not await uow.oncall.lock_locality(locality):
        raise NotFound(f"No locality is called {locality!r}.")


async def _shift_for(
    uow: PeopleUnitOfWork, locality: str, details: ShiftDetails, shift_id: UUID, version: int
) -> OnCallShift:
    """The shift, checked: the worker may be on call that day, and it clashes with nothing."""
    worker = await uow.workers.get(details.worker_id)
    if worker is None:
        raise unknown_reference("body.worker_id", "worker", details.worker_id)
    if worker.role not in ON_CALL_ROLES:
        raise Invalid.on(
            "body.worker_id",
            f"a {worker.role.value} cannot be the responsible person on call "
            f"(one of: {', '.join(sorted(r.value for r in ON_CALL_ROLES))})",
        )
    day = local_day(details.starts_at, provider_time_zone())
    verdict = compliance_on(worker, day)
    if worker.status is not EmploymentStatus.ACTIVE or not verdict.may_work:
        reasons = ", ".join(verdict.reasons) or "no longer with the provider"
        raise Invalid.on("body.worker_id", f"{worker.full_name} may not work on {day.isoformat()}: {reasons}")
    shift = OnCallShift(
        id=shift_id,
        locality=locality,
        level=details.level,
        worker_id=worker.id,
        worker_name=worker.full_name,
        role=worker.role.value,
        contact_phone=details.contact_phone,
        contact_email=details.contact_email,
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        version=version,
    )
    try:
        check_shift(shift)
    except RosterRuleBroken as broken:
        raise Invalid.on(f"body.{broken.field}", broken.reason) from None
    others = await uow.oncall.overlapping([locality], shift.starts_at, shift.ends_at)
    try:
        check_clashes(shift, others)
    except RosterClash as clash:
        raise Conflict(
            f"The shift clashes with another on the roster: {clash}.",
            errors=[{"field": "body", "reason": f"{clash} (shift {clash.other.id})"}],
        ) from None
    return shift


async def schedule_shift(uow: PeopleUnitOfWork, locality: str, details: ShiftDetails) -> OnCallShift:
    """Put someone on call; announces ``rounds.oncall.shift.scheduled.v1`` and any change in the gaps."""
    async with uow:
        await _locked_locality(uow, locality)
        shift = await _shift_for(uow, locality, details, uuid4(), 1)
        await uow.oncall.add(shift)
        uow.publish(shift_event(OnCallShiftScheduled, shift))
        await _report_gaps_after_change(uow, locality)
        await uow.commit()
    return shift


async def roll_out_pattern(
    uow: PeopleUnitOfWork, locality: str, lines: list[PatternLine], first_day: date, last_day: date
) -> list[OnCallShift]:
    """Schedule every shift of a weekly pattern over the days, all or none: the first shift that cannot
    stand is refused with the line and day at fault, and nothing is saved."""
    try:
        planned = expand_pattern(lines, first_day, last_day, provider_time_zone())
    except RosterRuleBroken as broken:
        raise Invalid.on(f"body.{broken.field}", broken.reason) from None
    scheduled: list[OnCallShift] = []
    async with uow:
        await _locked_locality(uow, locality)
        for item in planned:
            line = lines[item.line]
            details = ShiftDetails(
                line.worker_id,
                line.level,
                item.starts_at,
                item.ends_at,
                line.contact_phone,
                line.contact_email,
            )
            try:
                shift = await _shift_for(uow, locality, details, uuid4(), 1)
            except Problem as problem:
                raise _on_line(problem, item.line, item.day) from None
            await uow.oncall.add(shift)
            uow.publish(shift_event(OnCallShiftScheduled, shift))
            scheduled.append(shift)
        await _report_gaps_after_change(uow, locality)
        await uow.commit()
    return scheduled


def _on_line(problem: Problem, line: int, day: date) -> Problem:
    """The same problem, its fields moved under the pattern line, with the day that failed."""
    problem.errors = [
        {
            "field": f"body.lines.{line}" + e["field"].removeprefix("body"),
            "reason": f"on {day.isoformat()}: {e['reason']}",
        }
        for e in problem.errors
    ]
    problem.detail = f"The pattern's line {line} cannot be rostered on {day.isoformat()}. {problem.detail}"
    return problem


async def existing_shift(uow: PeopleUnitOfWork, locality: str, shift_id: UUID) -> OnCallShift:
    """The locality's shift, or 404."""
    shift = await uow.oncall.get(shift_id)
    if shift is None or shift.locality != locality:
        raise NotFound(f"Locality {locality!r} has no on-call shift with id {shift_id}.")
    return shift


async def change_shift(
    uow: PeopleUnitOfWork,
    locality: str,
    shift_id: UUID,
    changes: dict[str, Any],
    expected_version: int | None,
) -> OnCallShift:
    """Hand a shift over, move it or change its contact; announces ``rounds.oncall.shift.changed.v1``."""
    async with uow:
        await _locked_locality(uow, locality)
        current = await existing_shift(uow, locality, shift_id)
        check_version("on-call shift", current.version, expected_version)
        if current.status is ShiftStatus.CANCELLED:
            raise Conflict("The shift was cancelled; schedule a new one instead.")
        details = ShiftDetails(
            worker_id=changes.get("worker_id", current.worker_id),
            level=changes.get("level", current.level),
            starts_at=changes.get("starts_at", current.starts_at),
            ends_at=changes.get("ends_at", current.ends_at),
            contact_phone=changes.get("contact_phone", current.contact_phone),
            contact_email=changes.get("contact_email", current.contact_email),
        )
        shift = await _shift_for(uow, locality, details, current.id, current.version + 1)
        await _store(uow, shift, current.version)
        uow.publish(shift_event(OnCallShiftChanged, shift))
        await _report_gaps_after_change(uow, locality)
        await uow.commit()
    return shift


async def cancel_shift(
    uow: PeopleUnitOfWork, locality: str, shift_id: UUID, expected_version: int | None
) -> OnCallShift:
    """Take a shift off the roster (kept, marked cancelled); announces the change and any new gap."""
    async with uow:
        await _locked_locality(uow, locality)
        current = await existing_shift(uow, locality, shift_id)
        check_version("on-call shift", current.version, expected_version)
        if current.status is ShiftStatus.CANCELLED:
            return current  # cancelling twice changes nothing
        shift = replace(current, status=ShiftStatus.CANCELLED, version=current.version + 1)
        await _store(uow, shift, current.version)
        uow.publish(shift_event(OnCallShiftChanged, shift))
        await _report_gaps_after_change(uow, locality)
        await uow.commit()
    return shift


async def _store(uow: PeopleUnitOfWork, shift: OnCallShift, expected_version: int) -> None:
    try:
        await uow.oncall.update(shift, expected_version=expected_version)
    except StaleVersion:
        raise stale("on-call shift", expected_version + 1) from None


async def chain(uow: PeopleUnitOfWork, locality: str, at: datetime) -> list[ChainLink]:
    """Who to call, in order, for ``locality`` at ``at`` (404 for an unknown locality)."""
    async with uow:
        await _known_locality(uow, locality)
        shifts = await uow.oncall.overlapping([locality, PROVIDER_WIDE], at, at + _INSTANT)
        away = await uow.availability.away_between(list({s.worker_id for s in shifts}), at, at + _INSTANT)
    return chain_at(shifts, locality, at, away)


async def _known_locality(uow: PeopleUnitOfWork, locality: str) -> None:
    if locality != PROVIDER_WIDE and await uow.organisation.locality_named(locality) is None:
        raise NotFound(f"No locality is called {locality!r}.")


async def cover_of(uow: PeopleUnitOfWork, locality: str) -> tuple[CoverRequirement, int]:
    """The locality's cover requirement (every hour, one level, unless set) and its version (0: default)."""
    await _known_locality(uow, locality)
    found = await uow.oncall.cover(locality)
    return found if found is not None else (CoverRequirement(), 0)


async def set_cover(
    uow: PeopleUnitOfWork, locality: str, cover: CoverRequirement, expected_version: int | None
) -> tuple[CoverRequirement, int]:
    """Say which local hours need cover and how deep; gaps are re-read and announced if they changed."""
    try:
        check_cover(cover)
    except RosterRuleBroken as broken:
        raise Invalid.on(f"body.{broken.field}", broken.reason) from None
    if locality == PROVIDER_WIDE:
        raise Invalid.on("path.locality", "cover is required of a locality, not of provider-wide cover")
    async with uow:
        await _locked_locality(uow, locality)
        _, version = await cover_of(uow, locality)
        check_version("cover requirement", version, expected_version)
        try:
            await uow.oncall.put_cover(locality, cover, version + 1)
        except StaleVersion:
            raise stale("cover requirement", version + 1) from None
        await _report_gaps(uow, locality)
        await uow.commit()
    return cover, version + 1


async def gaps_between(uow: PeopleUnitOfWork, locality: str, start: datetime, end: datetime) -> list[Gap]:
    """The gaps in ``locality``'s cover within ``[start, end)``."""
    if locality == PROVIDER_WIDE:
        raise Invalid.on("path.locality", "gaps are found in a locality's cover, not in provider-wide cover")
    async with uow:
        cover, _ = await cover_of(uow, locality)
        shifts = await uow.oncall.overlapping([locality, PROVIDER_WIDE], start, end)
        away = await uow.availability.away_between(list({s.worker_id for s in shifts}), start, end)
    return find_gaps(locality, shifts, cover, start, end, provider_time_zone(), away)


async def review_gaps(uow: PeopleUnitOfWork) -> list[OnCallGapsReported]:
    """Look at every locality's coming horizon and announce those whose gaps changed (run periodically,
    e.g. hourly: as time passes the horizon reaches days nobody has rostered yet)."""
    async with uow:
        announced = [
            event
            for locality in await uow.organisation.list_localities()
            if (event := await _report_gaps(uow, locality.name)) is not None
        ]
        await uow.commit()
    return announced


async def report_gaps_after_absence(
    uow: PeopleUnitOfWork, worker_id: UUID, start: datetime, end: datetime
) -> None:
    """An absence (or its change) may open a gap where the worker is on call: re-read those localities."""
    shifts = await uow.oncall.overlapping_for_worker(worker_id, start, end)
    for locality in sorted({s.locality for s in shifts}):
        await _report_gaps_after_change(uow, locality)


async def _report_gaps_after_change(uow: PeopleUnitOfWork, locality: str) -> None:
    if locality != PROVIDER_WIDE:
        await _report_gaps(uow, locality)
        return
    for each in await uow.organisation.list_localities():  # provider-wide cover counts for every locality
        await _report_gaps(uow, each.name)


async def _report_gaps(uow: PeopleUnitOfWork, locality: str) -> OnCallGapsReported | None:
    now = uow.clock.now()
    end = horizon_end(now, provider_time_zone())
    found = await uow.oncall.cover(locality)
    cover = found[0] if found else CoverRequirement()
    shifts = await uow.oncall.overlapping([locality, PROVIDER_WIDE], now, end)
    away = await uow.availability.away_between(list({s.worker_id for s in shifts}), now, end)
    gaps = find_gaps(locality, shifts, cover, now, end, provider_time_zone(), away)
    last = await uow.oncall.last_gaps(locality)
    if last is not None and still_open(last, now) == gaps:
        return None
    await uow.oncall.record_gaps(locality, gaps, now)
    event = OnCallGapsReported(
        locality=locality,
        checked_at=now,
        horizon_start=now,
        horizon_end=end,
        levels_required=cover.levels_required,
        gaps=[OnCallGap(level=g.level, starts_at=g.starts_at, ends_at=g.ends_at) for g in gaps],
        time_zone=provider_time_zone(),
    )
    uow.publish(event)
    return event


def shift_event(
    kind: type[OnCallShiftScheduled] | type[OnCallShiftChanged], shift: OnCallShift
) -> OnCallShiftScheduled | OnCallShiftChanged:
    """The state-carried event for ``shift``."""
    return kind(
        shift_id=shift.id,
        version=shift.version,
        locality=shift.locality,
        level=shift.level,
        worker_id=shift.worker_id,
        worker_name=shift.worker_name,
        role=shift.role,
        contact_phone=shift.contact_phone,
        contact_email=shift.contact_email,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=shift.status.value,
        time_zone=provider_time_zone(),
    )
