"""Individuals, their key people, and the restricted access notes to their homes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError

from rounds.contracts.people import (
    GeoPoint,
    IndividualRegistered,
    IndividualStatusChanged,
    IndividualUpdated,
    KeyPersonAdded,
    KeyPersonUpdated,
    PreferredTime,
)
from rounds.infra.problems import Conflict, NotFound
from services.people.adapters.field_crypto import UnreadableField
from services.people.adapters.individuals import AccessNotes, AuditEntry
from services.people.adapters.repository import StaleVersion
from services.people.domain.access import (
    COORDINATING_ROLES,
    GRACE,
    Reader,
    VisitWindow,
    may_read_access_notes,
)
from services.people.domain.individuals import (
    Individual,
    IndividualRuleBroken,
    IndividualStatus,
    KeyPerson,
    StatusChangeRefused,
    check_individual,
    check_key_person,
    check_status_change,
)
from services.people.domain.organisation import local_day
from services.people.errors import Forbidden, Invalid, StoredDataUnreadable, stale, unknown_reference
from services.people.handlers import plans, risk
from services.people.handlers.common import check_version, existing_individual, provider_time_zone, today
from services.people.unit_of_work import PeopleUnitOfWork

log = logging.getLogger(__name__)


def _duplicate_nhs_number(nhs_number: str) -> Conflict:
    return Conflict(
        "Another individual already has this NHS number.",
        errors=[{"field": "body.nhs_number", "reason": "already held by another individual"}],
    )


def _checked(individual: Individual, uow: PeopleUnitOfWork) -> Individual:
    try:
        check_individual(individual, today(uow))
    except IndividualRuleBroken as broken:
        raise Invalid.on(f"body.{broken.field}", broken.reason) from None
    return individual


async def _commit_unique(uow: PeopleUnitOfWork, nhs_number: str | None) -> None:
    # The check before the write answers the usual case; the unique index settles a race between two writes.
    try:
        await uow.commit()
    except IntegrityError:
        if nhs_number:
            raise _duplicate_nhs_number(nhs_number) from None
        raise


async def register_individual(uow: PeopleUnitOfWork, individual: Individual) -> Individual:
    """Store a new individual and announce ``rounds.individual.registered.v1``; 409 for a known NHS number."""
    async with uow:
        _checked(individual, uow)
        individual.status_since = uow.clock.now()
        if individual.nhs_number and await uow.individuals.with_nhs_number(individual.nhs_number):
            raise _duplicate_nhs_number(individual.nhs_number)
        await uow.individuals.add(individual, created_at=uow.clock.now())
        uow.publish(individual_event(IndividualRegistered, individual))
        await _commit_unique(uow, individual.nhs_number)
    return individual


@dataclass(frozen=True)
class UpdateIndividual:
    """Change some fields of an individual's record (names as on :class:`Individual`)."""

    individual_id: UUID
    changes: dict[str, Any]
    expected_version: int | None = None


async def update_individual(uow: PeopleUnitOfWork, command: UpdateIndividual) -> Individual:
    """Apply the changes and announce ``rounds.individual.updated.v1``."""
    async with uow:
        current = await existing_individual(uow, command.individual_id)
        check_version("individual", current.version, command.expected_version)
        individual = _checked(replace(current, **command.changes, version=current.version + 1), uow)
        if individual.nhs_number and individual.nhs_number != current.nhs_number:
            holder = await uow.individuals.with_nhs_number(individual.nhs_number)
            if holder and holder != individual.id:
                raise _duplicate_nhs_number(individual.nhs_number)
        await _store(uow, individual, current.version)
        uow.publish(individual_event(IndividualUpdated, individual))
        await _commit_unique(uow, individual.nhs_number)
    return individual


async def change_status(
    uow: PeopleUnitOfWork,
    individual_id: UUID,
    status: IndividualStatus,
    reason: str | None,
    effective_at: datetime | None,
    expected_version: int | None,
) -> Individual:
    """Into hospital, home again, or ended; announces ``rounds.individual.status.changed.v1``."""
    async with uow:
        current = await existing_individual(uow, individual_id)
        check_version("individual", current.version, expected_version)
        try:
            check_status_change(current.status, status)
        except StatusChangeRefused as refused:
            raise Conflict(str(refused)) from None
        when = effective_at or uow.clock.now()
        individual = replace(
            current, status=status, status_reason=reason, status_since=when, version=current.version + 1
        )
        await _store(uow, individual, current.version)
        uow.publish(
            IndividualStatusChanged(
                individual_id=individual.id,
                version=individual.version,
                locality=individual.locality,
                previous_status=current.status.value,
                status=status.value,
                effective_at=when,
                reason=reason,
            )
        )
        if status is IndividualStatus.ENDED:
            # 003: the plan and the home's risk assessment end with the service, in the same transaction.
            last_day = local_day(when, provider_time_zone())
            await plans.end_with_service(uow, individual_id, last_day, reason or "the service ended")
            await risk.end_with_service(uow, individual_id)
        await uow.commit()
    return individual


async def _store(uow: PeopleUnitOfWork, individual: Individual, expected_version: int) -> None:
    try:
        await uow.individuals.update(individual, expected_version=expected_version)
    except StaleVersion:
        raise stale("individual", expected_version + 1) from None


def individual_event(
    kind: type[IndividualRegistered] | type[IndividualUpdated], individual: Individual
) -> IndividualRegistered | IndividualUpdated:
    """The state-carried event for ``individual``."""
    prefs = individual.preferences
    return kind(
        individual_id=individual.id,
        version=individual.version,
        given_name=individual.given_name,
        family_name=individual.family_name,
        preferred_name=individual.preferred_name,
        locality=individual.locality,
        status=individual.status.value,
        address=individual.address.one_line(),
        location=GeoPoint(lat=individual.address.location.lat, lon=individual.address.location.lon),
        phone=individual.phone,
        language=individual.language,
        interpreter_needed=individual.interpreter_needed,
        communication_needs=list(individual.communication_needs),
        accessible_formats=list(individual.accessible_formats),
        preferred_times=[
            PreferredTime(
                label=s.label, earliest=s.earliest.isoformat("minutes"), latest=s.latest.isoformat("minutes")
            )
            for s in prefs.visit_times
        ],
        carer_gender=prefs.carer_gender,
        refused_worker_ids=sorted(prefs.refused_worker_ids),
        time_zone=provider_time_zone(),
    )


def _checked_person(person: KeyPerson) -> KeyPerson:
    try:
        check_key_person(person)
    except IndividualRuleBroken as broken:
        raise Invalid.on(f"body.{broken.field}", broken.reason) from None
    return person


async def add_key_person(uow: PeopleUnitOfWork, person: KeyPerson) -> KeyPerson:
    """Record someone important to the individual; announces ``rounds.keyperson.added.v1``."""
    _checked_person(person)
    async with uow:
        await existing_individual(uow, person.individual_id)
        await uow.key_people.add(person)
        uow.publish(key_person_event(KeyPersonAdded, person))
        await uow.commit()
    return person


async def update_key_person(
    uow: PeopleUnitOfWork,
    individual_id: UUID,
    key_person_id: UUID,
    changes: dict[str, Any],
    expected_version: int | None,
) -> KeyPerson:
    """Change a key person (``active: false`` removes them); announces ``rounds.keyperson.updated.v1``."""
    async with uow:
        await existing_individual(uow, individual_id)
        current = await uow.key_people.get(individual_id, key_person_id)
        if current is None:
            raise NotFound(f"Individual {individual_id} has no key person with id {key_person_id}.")
        check_version("key person", current.version, expected_version)
        person = _checked_person(replace(current, **changes, version=current.version + 1))
        try:
            await uow.key_people.update(person, expected_version=current.version)
        except StaleVersion:
            raise stale("key person", current.version + 1) from None
        uow.publish(key_person_event(KeyPersonUpdated, person))
        await uow.commit()
    return person


def key_person_event(
    kind: type[KeyPersonAdded] | type[KeyPersonUpdated], person: KeyPerson
) -> KeyPersonAdded | KeyPersonUpdated:
    """The state-carried event for ``person``."""
    return kind(
        individual_id=person.individual_id,
        key_person_id=person.id,
        version=person.version,
        given_name=person.given_name,
        family_name=person.family_name,
        relationship=person.relationship,
        phone=person.phone,
        email=person.email,
        lasting_power_of_attorney=person.lasting_power_of_attorney.value,
        is_representative=person.is_representative,
        consent_to_be_informed=person.consent_to_be_informed,
        informed_of=sorted(person.informed_of),
        preferred_channel=person.preferred_channel.value if person.preferred_channel else None,
        language=person.language,
        quiet_hours_start=person.quiet_hours_start.isoformat("minutes") if person.quiet_hours_start else None,
        quiet_hours_end=person.quiet_hours_end.isoformat("minutes") if person.quiet_hours_end else None,
        time_zone=provider_time_zone(),
        active=person.active,
    )


async def write_access_notes(
    uow: PeopleUnitOfWork, individual_id: UUID, reader: Reader, notes: str, key_safe_code: str | None
) -> AccessNotes:
    """Coordinators write access notes and the key-safe code; the write is audited like a read."""
    async with uow:
        await existing_individual(uow, individual_id)
        now = uow.clock.now()
        if reader.role not in COORDINATING_ROLES:
            await uow.access.audit(
                individual_id, reader, "write", False, "only coordinators write access notes", now
            )
            await uow.commit()
            raise Forbidden("Only coordinators and registered managers may write access notes.")
        stored = AccessNotes(notes=notes, key_safe_code=key_safe_code, updated_at=now, updated_by=reader.id)
        await uow.access.put_notes(individual_id, stored)
        await uow.access.audit(individual_id, reader, "write", True, f"{reader.role} wrote access notes", now)
        await uow.commit()
    return stored


UNREADABLE_REASON = "stored access notes failed their integrity check"


def unreadable_notes(individual_id: UUID) -> StoredDataUnreadable:
    """The refusal when an individual's stored access notes do not decrypt."""
    return StoredDataUnreadable(
        f"The access notes of individual {individual_id} failed their integrity check (a wrong or missing "
        "key, or altered data): nothing was returned. The attempt is in the access audit; an administrator "
        "should check ROUNDS_PEOPLE_FIELD_KEYS."
    )


async def read_access_notes(uow: PeopleUnitOfWork, individual_id: UUID, reader: Reader) -> AccessNotes:
    """The access notes if ``reader`` may read them now; every attempt is audited (000 P14-P16)."""
    async with uow:
        await existing_individual(uow, individual_id)
        now = uow.clock.now()
        windows: list[VisitWindow] = []
        worker_id = _uuid_or_none(reader.id)
        if worker_id is not None:
            windows = await uow.access.windows(individual_id, worker_id, not_ended_before=now - GRACE)
        decision = may_read_access_notes(reader, individual_id, windows, now)
        granted, reason, notes = decision.granted, decision.reason, None
        if granted:
            try:
                notes = await uow.access.notes(individual_id)
            except UnreadableField as exc:
                # Wrong key, altered or moved ciphertext: refused and audited as such, never garbage.
                log.error("access notes of %s unreadable: %s", individual_id, exc)
                granted, reason = False, UNREADABLE_REASON
        await uow.access.audit(individual_id, reader, "read", granted, reason, now)
        await uow.commit()  # the audit row is kept whether or not the read is allowed
    if reason == UNREADABLE_REASON:
        raise unreadable_notes(individual_id)
    if not decision.granted:
        raise Forbidden(f"You may not read these access notes now: {decision.reason}.")
    if notes is None:
        raise NotFound(f"No access notes are recorded for individual {individual_id}.")
    return notes


async def add_visit_window(uow: PeopleUnitOfWork, window: VisitWindow) -> VisitWindow:
    """Record a worker's allocated visit window (from the rota, for now through the API)."""
    if window.ends_at <= window.starts_at:
        raise Invalid.on("body.ends_at", "must be after starts_at")
    async with uow:
        await existing_individual(uow, window.individual_id)
        if await uow.workers.get(window.worker_id) is None:
            raise unknown_reference("body.worker_id", "worker", window.worker_id)
        await uow.access.add_window(window)
        await uow.commit()
    return window


async def access_audit(
    uow: PeopleUnitOfWork, individual_id: UUID, after: int | None, limit: int
) -> list[tuple[int, AuditEntry]]:
    """Recorded attempts to read or write the individual's access notes, oldest first, a page at a time."""
    async with uow:
        await existing_individual(uow, individual_id)
        return await uow.access.audit_of(individual_id, after=after, limit=limit)


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def new_id() -> UUID:
    """A fresh id for a new record."""
    return uuid4()
