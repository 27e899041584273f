"""Loading and storing individuals, key people, access notes, visit windows and the access audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.people.adapters.field_crypto import FieldCipher
from services.people.adapters.repository import NameKey, StaleVersion
from services.people.adapters.tables import access_audit, access_notes, individuals, key_people, visit_windows
from services.people.domain.access import Reader, VisitWindow
from services.people.domain.geo import Coordinates
from services.people.domain.individuals import (
    Address,
    Channel,
    Individual,
    IndividualStatus,
    KeyPerson,
    LastingPowerOfAttorney,
    Preferences,
    PreferredVisitTime,
)


def _t(value: time | None) -> str | None:
    return value.isoformat("minutes") if value else None


def _time(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


def individual_profile(individual: Individual) -> dict[str, Any]:
    """The JSON detail of an individual's record."""
    prefs = individual.preferences
    return {
        "address_lines": list(individual.address.lines),
        "postcode": individual.address.postcode,
        "preferred_name": individual.preferred_name,
        "date_of_birth": individual.date_of_birth.isoformat() if individual.date_of_birth else None,
        "gender": individual.gender,
        "phone": individual.phone,
        "language": individual.language,
        "interpreter_needed": individual.interpreter_needed,
        "communication_needs": list(individual.communication_needs),
        "accessible_formats": list(individual.accessible_formats),
        "preferences": {
            "visit_times": [
                {"label": s.label, "earliest": _t(s.earliest), "latest": _t(s.latest)}
                for s in prefs.visit_times
            ],
            "carer_gender": prefs.carer_gender,
            "refused_worker_ids": sorted(str(w) for w in prefs.refused_worker_ids),
            "notes": prefs.notes,
        },
        "status_reason": individual.status_reason,
        "status_since": individual.status_since.isoformat() if individual.status_since else None,
        "anonymised_on": individual.anonymised_on.isoformat() if individual.anonymised_on else None,
    }


def individual_from_row(row: sa.RowMapping) -> Individual:
    """An individual from its row."""
    p: dict[str, Any] = row["profile"]
    prefs = p.get("preferences", {})
    return Individual(
        id=row["id"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        locality=row["locality"],
        address=Address(
            lines=tuple(p["address_lines"]),
            postcode=p["postcode"],
            location=Coordinates(row["lat"], row["lon"]),
        ),
        preferred_name=p.get("preferred_name"),
        date_of_birth=date.fromisoformat(p["date_of_birth"]) if p.get("date_of_birth") else None,
        nhs_number=row["nhs_number"],
        gender=p.get("gender"),
        phone=p.get("phone"),
        language=p.get("language", "en"),
        interpreter_needed=bool(p.get("interpreter_needed")),
        communication_needs=tuple(p.get("communication_needs", ())),
        accessible_formats=tuple(p.get("accessible_formats", ())),
        preferences=Preferences(
            visit_times=tuple(
                PreferredVisitTime(
                    s["label"], time.fromisoformat(s["earliest"]), time.fromisoformat(s["latest"])
                )
                for s in prefs.get("visit_times", ())
            ),
            carer_gender=prefs.get("carer_gender"),
            refused_worker_ids=frozenset(UUID(w) for w in prefs.get("refused_worker_ids", ())),
            notes=prefs.get("notes"),
        ),
        status=IndividualStatus(row["status"]),
        status_reason=p.get("status_reason"),
        status_since=datetime.fromisoformat(p["status_since"]) if p.get("status_since") else None,
        version=row["version"],
        anonymised_on=date.fromisoformat(p["anonymised_on"]) if p.get("anonymised_on") else None,
    )


def _individual_columns(individual: Individual) -> dict[str, Any]:
    return {
        "given_name": individual.given_name,
        "family_name": individual.family_name,
        "nhs_number": individual.nhs_number,
        "locality": individual.locality,
        "status": individual.status.value,
        "lat": individual.address.location.lat,
        "lon": individual.address.location.lon,
        "profile": individual_profile(individual),
        "version": individual.version,
    }


class IndividualRepository:
    """Individuals in the people database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, individual: Individual, created_at: datetime) -> None:
        """Store a new individual."""
        await self._session.execute(
            sa.insert(individuals).values(
                id=individual.id, created_at=created_at, **_individual_columns(individual)
            )
        )

    async def update(self, individual: Individual, *, expected_version: int) -> None:
        """Store over the row still at ``expected_version``; :class:`StaleVersion` otherwise."""
        result = await self._session.execute(
            sa.update(individuals)
            .where(individuals.c.id == individual.id, individuals.c.version == expected_version)
            .values(**_individual_columns(individual))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(str(individual.id))

    async def get(self, individual_id: UUID) -> Individual | None:
        """The individual with this id, if any."""
        row = (
            await self._session.execute(sa.select(individuals).where(individuals.c.id == individual_id))
        ).first()
        return individual_from_row(row._mapping) if row else None

    async def ended(self) -> list[Individual]:
        """Every individual whose service has ended (the retention run's candidates), by id."""
        rows = await self._session.execute(
            sa.select(individuals).where(individuals.c.status == "ended").order_by(individuals.c.id)
        )
        return [individual_from_row(row._mapping) for row in rows]

    async def with_nhs_number(self, nhs_number: str) -> UUID | None:
        """The id of the individual holding this NHS number, if any."""
        return (
            await self._session.execute(
                sa.select(individuals.c.id).where(individuals.c.nhs_number == nhs_number)
            )
        ).scalar_one_or_none()

    async def page(
        self,
        *,
        limit: int,
        after: NameKey | None = None,
        locality: str | None = None,
        status: str | None = None,
        name: str | None = None,
        nhs_number: str | None = None,
    ) -> list[Individual]:
        """A page of individuals by family then given name, after the cursor ``after``, filtered."""
        query = sa.select(individuals)
        if after is not None:
            query = query.where(
                sa.tuple_(individuals.c.family_name, individuals.c.given_name, individuals.c.id)
                > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]), sa.literal(after[2], type_=sa.Uuid()))
            )
        if locality:
            query = query.where(individuals.c.locality == locality)
        if status:
            query = query.where(individuals.c.status == status)
        if name:
            # autoescape: a % or _ in the name searched for is a character, not a wildcard
            query = query.where(
                sa.or_(
                    sa.func.lower(individuals.c.given_name).contains(name.lower(), autoescape=True),
                    sa.func.lower(individuals.c.family_name).contains(name.lower(), autoescape=True),
                )
            )
        if nhs_number:
            query = query.where(individuals.c.nhs_number == nhs_number)
        rows = await self._session.execute(
            query.order_by(individuals.c.family_name, individuals.c.given_name, individuals.c.id).limit(limit)
        )
        return [individual_from_row(row._mapping) for row in rows]


def key_person_profile(person: KeyPerson) -> dict[str, Any]:
    """The JSON detail of a key person's record."""
    return {
        "relationship": person.relationship,
        "phone": person.phone,
        "email": person.email,
        "lasting_power_of_attorney": person.lasting_power_of_attorney.value,
        "is_representative": person.is_representative,
        "consent_to_be_informed": person.consent_to_be_informed,
        "informed_of": sorted(person.informed_of),
        "preferred_channel": person.preferred_channel.value if person.preferred_channel else None,
        "language": person.language,
        "quiet_hours_start": _t(person.quiet_hours_start),
        "quiet_hours_end": _t(person.quiet_hours_end),
    }


def key_person_from_row(row: sa.RowMapping) -> KeyPerson:
    """A key person from its row."""
    p: dict[str, Any] = row["profile"]
    return KeyPerson(
        id=row["id"],
        individual_id=row["individual_id"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        relationship=p["relationship"],
        phone=p.get("phone"),
        email=p.get("email"),
        lasting_power_of_attorney=LastingPowerOfAttorney(p.get("lasting_power_of_attorney", "none")),
        is_representative=bool(p.get("is_representative")),
        consent_to_be_informed=bool(p.get("consent_to_be_informed")),
        informed_of=frozenset(p.get("informed_of", ())),
        preferred_channel=Channel(p["preferred_channel"]) if p.get("preferred_channel") else None,
        language=p.get("language", "en"),
        quiet_hours_start=_time(p.get("quiet_hours_start")),
        quiet_hours_end=_time(p.get("quiet_hours_end")),
        active=row["active"],
        version=row["version"],
    )


def _key_person_columns(person: KeyPerson) -> dict[str, Any]:
    return {
        "individual_id": person.individual_id,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "active": person.active,
        "profile": key_person_profile(person),
        "version": person.version,
    }


class KeyPersonRepository:
    """Key people in the people database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, person: KeyPerson) -> None:
        """Store a new key person."""
        await self._session.execute(sa.insert(key_people).values(id=person.id, **_key_person_columns(person)))

    async def update(self, person: KeyPerson, *, expected_version: int) -> None:
        """Store over the row still at ``expected_version``; :class:`StaleVersion` otherwise."""
        result = await self._session.execute(
            sa.update(key_people)
            .where(key_people.c.id == person.id, key_people.c.version == expected_version)
            .values(**_key_person_columns(person))
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(str(person.id))

    async def get(self, individual_id: UUID, key_person_id: UUID) -> KeyPerson | None:
        """The key person with this id, if they belong to ``individual_id``."""
        row = (
            await self._session.execute(
                sa.select(key_people).where(
                    key_people.c.id == key_person_id, key_people.c.individual_id == individual_id
                )
            )
        ).first()
        return key_person_from_row(row._mapping) if row else None

    async def find(self, key_person_id: UUID) -> KeyPerson | None:
        """The key person with this id, whoever's they are (for FHIR RelatedPerson reads)."""
        row = (
            await self._session.execute(sa.select(key_people).where(key_people.c.id == key_person_id))
        ).first()
        return key_person_from_row(row._mapping) if row else None

    async def of_individual(
        self,
        individual_id: UUID,
        *,
        after: tuple[str, str, UUID] | None = None,
        limit: int | None = None,
        active: bool | None = None,
    ) -> list[KeyPerson]:
        """Everyone recorded as important to the individual, by name, after the cursor ``after``."""
        query = sa.select(key_people).where(key_people.c.individual_id == individual_id)
        if after is not None:
            query = query.where(
                sa.tuple_(key_people.c.family_name, key_people.c.given_name, key_people.c.id)
                > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]), sa.literal(after[2], type_=sa.Uuid()))
            )
        if active is not None:
            query = query.where(key_people.c.active == active)
        query = query.order_by(key_people.c.family_name, key_people.c.given_name, key_people.c.id)
        if limit is not None:
            query = query.limit(limit)
        rows = await self._session.execute(query)
        return [key_person_from_row(row._mapping) for row in rows]


@dataclass(frozen=True)
class AccessNotes:
    """How to get into the home: notes and the key-safe code (restricted)."""

    notes: str
    key_safe_code: str | None
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class AuditEntry:
    """One attempt to read or change access notes."""

    reader_id: str
    reader_role: str
    action: str
    granted: bool
    reason: str
    at: datetime


class AccessRepository:
    """Access notes, visit windows and the audit of every access.

    Notes and key-safe codes are encrypted at rest by ``cipher`` (bound to the individual's id), so the
    database, its backups and its replicas hold no plaintext of how to get into someone's home.
    """

    def __init__(self, session: AsyncSession, cipher: FieldCipher | None) -> None:
        self._session = session
        self._cipher = cipher

    @property
    def cipher(self) -> FieldCipher:
        """The field cipher; a unit of work that was never given keys cannot touch access notes."""
        if self._cipher is None:
            raise RuntimeError("PeopleUnitOfWork has no field cipher: build it with PeopleUnitOfWork.using()")
        return self._cipher

    async def notes(self, individual_id: UUID) -> AccessNotes | None:
        """The individual's access notes, if any were written."""
        row = (
            await self._session.execute(
                sa.select(access_notes).where(access_notes.c.individual_id == individual_id)
            )
        ).first()
        if row is None:
            return None
        code = row.key_safe_code
        return AccessNotes(
            self.cipher.decrypt(row.notes, "access_notes.notes", individual_id),
            self.cipher.decrypt(code, "access_notes.key_safe_code", individual_id)
            if code is not None
            else None,
            row.updated_at,
            row.updated_by,
        )

    async def put_notes(self, individual_id: UUID, notes: AccessNotes) -> None:
        """Replace the individual's access notes."""
        await self._session.execute(
            sa.delete(access_notes).where(access_notes.c.individual_id == individual_id)
        )
        await self._session.execute(
            sa.insert(access_notes).values(
                individual_id=individual_id,
                notes=self.cipher.encrypt(notes.notes, "access_notes.notes", individual_id),
                key_safe_code=(
                    self.cipher.encrypt(notes.key_safe_code, "access_notes.key_safe_code", individual_id)
                    if notes.key_safe_code is not None
                    else None
                ),
                updated_at=notes.updated_at,
                updated_by=notes.updated_by,
            )
        )

    async def forget(self, individual_id: UUID) -> None:
        """Delete the individual's access notes and visit windows (retention); the audit stays."""
        await self._session.execute(
            sa.delete(access_notes).where(access_notes.c.individual_id == individual_id)
        )
        await self._session.execute(
            sa.delete(visit_windows).where(visit_windows.c.individual_id == individual_id)
        )

    async def add_window(self, window: VisitWindow) -> None:
        """Record a worker's visit window."""
        await self._session.execute(
            sa.insert(visit_windows).values(
                id=window.id,
                individual_id=window.individual_id,
                worker_id=window.worker_id,
                starts_at=window.starts_at,
                ends_at=window.ends_at,
            )
        )

    async def replace_visit_windows(self, visit_id: UUID, windows: list[VisitWindow]) -> None:
        """The windows of one rota visit, as the rota now has it (none: cancelled or unallocated)."""
        await self._session.execute(sa.delete(visit_windows).where(visit_windows.c.visit_id == visit_id))
        for window in windows:
            await self._session.execute(
                sa.insert(visit_windows).values(
                    id=window.id,
                    individual_id=window.individual_id,
                    worker_id=window.worker_id,
                    starts_at=window.starts_at,
                    ends_at=window.ends_at,
                    visit_id=visit_id,
                )
            )

    async def windows(
        self, individual_id: UUID, worker_id: UUID, not_ended_before: datetime
    ) -> list[VisitWindow]:
        """The worker's windows at this individual that end at or after ``not_ended_before``."""
        rows = await self._session.execute(
            sa.select(visit_windows).where(
                visit_windows.c.individual_id == individual_id,
                visit_windows.c.worker_id == worker_id,
                visit_windows.c.ends_at >= not_ended_before,
            )
        )
        return [VisitWindow(r.id, r.individual_id, r.worker_id, r.starts_at, r.ends_at) for r in rows]

    async def audit(
        self, individual_id: UUID, reader: Reader, action: str, granted: bool, reason: str, at: datetime
    ) -> None:
        """Record one access attempt."""
        await self._session.execute(
            sa.insert(access_audit).values(
                individual_id=individual_id,
                reader_id=reader.id,
                reader_role=reader.role,
                action=action,
                granted=granted,
                reason=reason,
                at=at,
            )
        )

    async def audit_of(
        self, individual_id: UUID, *, after: int | None = None, limit: int | None = None
    ) -> list[tuple[int, AuditEntry]]:
        """Recorded accesses to the individual's notes, oldest first, with their positions (the cursor)."""
        query = sa.select(access_audit).where(access_audit.c.individual_id == individual_id)
        if after is not None:
            query = query.where(access_audit.c.id > after)
        query = query.order_by(access_audit.c.id)
        if limit is not None:
            query = query.limit(limit)
        rows = await self._session.execute(query)
        return [
            (r.id, AuditEntry(r.reader_id, r.reader_role, r.action, r.granted, r.reason, r.at)) for r in rows
        ]

    async def audit_by_reader(self, reader_id: str) -> list[tuple[UUID, AuditEntry]]:
        """Every access this reader attempted, oldest first, with whose notes (for their own export)."""
        rows = await self._session.execute(
            sa.select(access_audit).where(access_audit.c.reader_id == reader_id).order_by(access_audit.c.id)
        )
        return [
            (r.individual_id, AuditEntry(r.reader_id, r.reader_role, r.action, r.granted, r.reason, r.at))
            for r in rows
        ]
