"""Individuals, their key people, and the restricted access notes to their homes."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from rounds.infra.problems import NotFound
from services.people.adapters.individuals import AccessNotes
from services.people.api.common import (
    GeoIn,
    IfMatch,
    Name,
    ShortText,
    Text,
    UoW,
    WallClock,
    decode_cursor,
    encode_cursor,
    expected_version,
    link_next,
    set_etag,
)
from services.people.domain.access import Reader, VisitWindow
from services.people.domain.geo import Coordinates
from services.people.domain.individuals import (
    INFORMED_OF,
    Address,
    Channel,
    Individual,
    IndividualStatus,
    InvalidNhsNumber,
    KeyPerson,
    LastingPowerOfAttorney,
    Preferences,
    PreferredVisitTime,
    normalise_nhs_number,
)
from services.people.errors import Invalid, Unauthenticated
from services.people.handlers import individuals as handlers
from services.people.handlers.common import existing_individual

router = APIRouter(tags=["individuals"])
key_people_router = APIRouter(tags=["key people"])
access_router = APIRouter(tags=["access notes (restricted)"])

Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=30)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
]
Language = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=35)]


class AddressIo(BaseModel):
    """The home: address lines, postcode and its coordinates (checked to range: 422 otherwise)."""

    model_config = ConfigDict(extra="forbid")

    lines: list[Name] = Field(min_length=1, max_length=6, examples=[["12 Station Road", "Knaresborough"]])
    postcode: ShortText = Field(examples=["HG5 0AA"])
    location: GeoIn


class PreferredTimeIo(BaseModel):
    """A time of day the individual would like a visit in (local wall-clock)."""

    model_config = ConfigDict(extra="forbid")

    label: ShortText = Field(examples=["breakfast"])
    earliest: WallClock
    latest: WallClock


class PreferencesIo(BaseModel):
    """Preferred visit times (soft), carer gender and refused workers (hard rules for the rota)."""

    model_config = ConfigDict(extra="forbid")

    visit_times: list[PreferredTimeIo] = Field(default_factory=list, max_length=12)
    carer_gender: ShortText | None = None
    refused_worker_ids: list[UUID] = Field(default_factory=list, max_length=200)
    notes: Text | None = None


class IndividualFields(BaseModel):
    """The parts of an individual's record a coordinator may change."""

    model_config = ConfigDict(extra="forbid")

    preferred_name: Name | None = None
    date_of_birth: date | None = None
    nhs_number: str | None = Field(default=None, max_length=20, description="Ten digits; Modulus 11 checked.")
    gender: ShortText | None = None
    phone: Phone | None = None
    language: Language = "en"
    interpreter_needed: bool = False
    communication_needs: list[ShortText] = Field(default_factory=list, max_length=20)
    accessible_formats: list[ShortText] = Field(
        default_factory=list, max_length=10, examples=[["large_print"]]
    )
    preferences: PreferencesIo = Field(default_factory=PreferencesIo)

    @field_validator("nhs_number")
    @classmethod
    def _valid_nhs_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_nhs_number(value)
        except InvalidNhsNumber as invalid:
            raise ValueError(str(invalid)) from None


class IndividualIn(IndividualFields):
    """A person the provider will support at home."""

    given_name: Name
    family_name: Name
    locality: Name
    address: AddressIo


class IndividualPatch(IndividualFields):
    """Fields to change; those left out stay as they are."""

    given_name: Name | None = None
    family_name: Name | None = None
    locality: Name | None = None
    address: AddressIo | None = None
    language: Language | None = None  # type: ignore[assignment]
    interpreter_needed: bool | None = None  # type: ignore[assignment]
    communication_needs: list[ShortText] | None = Field(default=None, max_length=20)  # type: ignore[assignment]
    accessible_formats: list[ShortText] | None = Field(default=None, max_length=10)  # type: ignore[assignment]
    preferences: PreferencesIo | None = None  # type: ignore[assignment]


_NOT_NULL = (
    "given_name",
    "family_name",
    "locality",
    "address",
    "language",
    "interpreter_needed",
    "communication_needs",
    "accessible_formats",
    "preferences",
)


def _address(body: AddressIo) -> Address:
    return Address(
        lines=tuple(body.lines),
        postcode=body.postcode,
        location=Coordinates(body.location.lat, body.location.lon),
    )


def _preferences(body: PreferencesIo) -> Preferences:
    return Preferences(
        visit_times=tuple(PreferredVisitTime(s.label, s.earliest, s.latest) for s in body.visit_times),
        carer_gender=body.carer_gender,
        refused_worker_ids=frozenset(body.refused_worker_ids),
        notes=body.notes,
    )


def _domain(body: BaseModel, fields: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(body, name)
        if name == "address":
            value = _address(value)
        elif name == "preferences":
            value = _preferences(value)
        elif name in ("communication_needs", "accessible_formats"):
            value = tuple(value)
        out[name] = value
    return out


class IndividualOut(BaseModel):
    """An individual's record (access notes are never part of it)."""

    id: UUID
    given_name: str
    family_name: str
    preferred_name: str | None
    date_of_birth: date | None
    nhs_number: str | None
    gender: str | None
    phone: str | None
    locality: str
    address: AddressIo
    language: str
    interpreter_needed: bool
    communication_needs: list[str]
    accessible_formats: list[str]
    preferences: PreferencesIo
    status: IndividualStatus
    status_reason: str | None
    status_since: datetime | None
    version: int

    @classmethod
    def of(cls, i: Individual) -> IndividualOut:
        """The body for ``i``."""
        p = i.preferences
        return cls(
            id=i.id,
            given_name=i.given_name,
            family_name=i.family_name,
            preferred_name=i.preferred_name,
            date_of_birth=i.date_of_birth,
            nhs_number=i.nhs_number,
            gender=i.gender,
            phone=i.phone,
            locality=i.locality,
            address=AddressIo(
                lines=list(i.address.lines),
                postcode=i.address.postcode,
                location=GeoIn(lat=i.address.location.lat, lon=i.address.location.lon),
            ),
            language=i.language,
            interpreter_needed=i.interpreter_needed,
            communication_needs=list(i.communication_needs),
            accessible_formats=list(i.accessible_formats),
            preferences=PreferencesIo(
                visit_times=[
                    PreferredTimeIo(label=s.label, earliest=s.earliest, latest=s.latest)
                    for s in p.visit_times
                ],
                carer_gender=p.carer_gender,
                refused_worker_ids=sorted(p.refused_worker_ids),
                notes=p.notes,
            ),
            status=i.status,
            status_reason=i.status_reason,
            status_since=i.status_since,
            version=i.version,
        )


class StatusIn(BaseModel):
    """A change of status: into hospital, home again (active), or the service ended."""

    model_config = ConfigDict(extra="forbid")

    status: IndividualStatus
    reason: Text | None = None
    effective_at: AwareDatetime | None = Field(default=None, description="Default: now.")


@router.post("/individuals", status_code=status.HTTP_201_CREATED, summary="Register an individual")
async def register_individual(body: IndividualIn, uow: UoW, response: Response) -> IndividualOut:
    """A new individual (409: NHS number already held); announces ``rounds.individual.registered.v1``."""
    fields = _domain(body, set(IndividualIn.model_fields))
    individual = await handlers.register_individual(uow, Individual(id=uuid4(), **fields))
    response.headers["Location"] = f"individuals/{individual.id}"
    set_etag(response, individual.version)
    return IndividualOut.of(individual)


@router.get("/individuals/{individual_id}", summary="Read an individual")
async def get_individual(individual_id: UUID, uow: UoW, response: Response) -> IndividualOut:
    """One individual, with its ``ETag``."""
    async with uow:
        individual = await existing_individual(uow, individual_id)
    set_etag(response, individual.version)
    return IndividualOut.of(individual)


@router.patch("/individuals/{individual_id}", summary="Change an individual's record")
async def update_individual(
    individual_id: UUID, body: IndividualPatch, uow: UoW, response: Response, if_match: IfMatch = None
) -> IndividualOut:
    """Change the fields sent; announces ``rounds.individual.updated.v1``. Stale ``If-Match``: 412."""
    sent = body.model_fields_set
    cleared = [name for name in _NOT_NULL if name in sent and getattr(body, name) is None]
    if cleared:
        raise Invalid.on(f"body.{cleared[0]}", "cannot be cleared")
    individual = await handlers.update_individual(
        uow, handlers.UpdateIndividual(individual_id, _domain(body, sent), expected_version(if_match))
    )
    set_etag(response, individual.version)
    return IndividualOut.of(individual)


@router.post("/individuals/{individual_id}/status", summary="Change an individual's status")
async def change_status(
    individual_id: UUID, body: StatusIn, uow: UoW, response: Response, if_match: IfMatch = None
) -> IndividualOut:
    """Into hospital, home, or ended (409 once ended); announces ``rounds.individual.status.changed.v1``."""
    individual = await handlers.change_status(
        uow, individual_id, body.status, body.reason, body.effective_at, expected_version(if_match)
    )
    set_etag(response, individual.version)
    return IndividualOut.of(individual)


@router.get("/individuals", summary="List individuals")
async def list_individuals(
    uow: UoW,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=2000, description="From the previous page's X-Next-Cursor.")
    ] = None,
    locality: Annotated[str | None, Query(max_length=200)] = None,
    status: IndividualStatus | None = None,
    name: Annotated[str | None, Query(max_length=200, description="Part of a given or family name.")] = None,
    nhs_number: Annotated[
        str | None, Query(max_length=20, description="The individual with this NHS number (spaces allowed).")
    ] = None,
) -> list[IndividualOut]:
    """Individuals by name, a page at a time; the next page is in the ``Link`` (rel=next) header."""
    after = decode_cursor(cursor, 3)
    wanted_nhs_number: str | None = None
    if nhs_number is not None:
        try:
            wanted_nhs_number = normalise_nhs_number(nhs_number)
        except InvalidNhsNumber as invalid:
            raise Invalid.on("query.nhs_number", str(invalid)) from None
    async with uow:
        found = await uow.individuals.page(
            limit=limit + 1,
            after=(after[0], after[1], _cursor_id(after[2])) if after else None,
            locality=locality,
            status=status.value if status else None,
            name=name,
            nhs_number=wanted_nhs_number,
        )
    page = found[:limit]
    next_cursor = (
        encode_cursor([page[-1].family_name, page[-1].given_name, str(page[-1].id)])
        if len(found) > limit
        else None
    )
    link_next(
        response,
        "individuals",
        next_cursor,
        {"limit": limit, "locality": locality, "status": status, "name": name, "nhs_number": nhs_number},
    )
    return [IndividualOut.of(i) for i in page]


def _cursor_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise Invalid.on("query.cursor", "is not a cursor this service gave") from None


ActorHeader = Annotated[
    str | None,
    Header(
        alias="X-Rounds-Actor",
        description='Who is calling, as the gateway vouches for them: JSON such as {"sub": "...", "role": '
        '"care_worker", "worker_id": "<uuid>"}. Until the gateway sends it, callers supply it.',
    ),
]


class KeyPersonFields(BaseModel):
    """Contact, authority and consent to be informed (000 P44) of someone important to the individual."""

    model_config = ConfigDict(extra="forbid")

    phone: Phone | None = None
    email: Email | None = None
    lasting_power_of_attorney: LastingPowerOfAttorney = LastingPowerOfAttorney.NONE
    is_representative: bool = Field(
        default=False, description="May represent the individual, e.g. sign the plan."
    )
    consent_to_be_informed: bool = False
    informed_of: list[str] = Field(
        default_factory=list, description=f"Any of: {', '.join(sorted(INFORMED_OF))}."
    )
    preferred_channel: Channel | None = None
    language: Language = "en"
    quiet_hours_start: WallClock | None = Field(default=None, description="Local time; may wrap midnight.")
    quiet_hours_end: WallClock | None = None


class KeyPersonIn(KeyPersonFields):
    """Someone important to the individual."""

    given_name: Name
    family_name: Name
    relationship: ShortText = Field(examples=["daughter"])


class KeyPersonPatch(KeyPersonFields):
    """Fields to change; ``active: false`` removes them from the individual's circle."""

    given_name: Name | None = None
    family_name: Name | None = None
    relationship: ShortText | None = None
    lasting_power_of_attorney: LastingPowerOfAttorney | None = None  # type: ignore[assignment]
    is_representative: bool | None = None  # type: ignore[assignment]
    consent_to_be_informed: bool | None = None  # type: ignore[assignment]
    informed_of: list[str] | None = None  # type: ignore[assignment]
    language: Language | None = None  # type: ignore[assignment]
    active: bool | None = None


class KeyPersonOut(KeyPersonIn):
    """A key person's record."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    individual_id: UUID
    active: bool
    version: int

    @classmethod
    def of(cls, p: KeyPerson) -> KeyPersonOut:
        """The body for ``p``."""
        return cls(
            id=p.id,
            individual_id=p.individual_id,
            given_name=p.given_name,
            family_name=p.family_name,
            relationship=p.relationship,
            phone=p.phone,
            email=p.email,
            lasting_power_of_attorney=p.lasting_power_of_attorney,
            is_representative=p.is_representative,
            consent_to_be_informed=p.consent_to_be_informed,
            informed_of=sorted(p.informed_of),
            preferred_channel=p.preferred_channel,
            language=p.language,
            quiet_hours_start=p.quiet_hours_start,
            quiet_hours_end=p.quiet_hours_end,
            active=p.active,
            version=p.version,
        )


def _person_fields(body: BaseModel, fields: set[str]) -> dict[str, Any]:
    out = {name: getattr(body, name) for name in fields}
    if "informed_of" in out:
        out["informed_of"] = frozenset(out["informed_of"] or ())
    return out


@key_people_router.post(
    "/individuals/{individual_id}/key-people", status_code=status.HTTP_201_CREATED, summary="Add a key person"
)
async def add_key_person(
    individual_id: UUID, body: KeyPersonIn, uow: UoW, response: Response
) -> KeyPersonOut:
    """Record someone important to the individual; announces ``rounds.keyperson.added.v1``."""
    person = KeyPerson(
        id=uuid4(), individual_id=individual_id, **_person_fields(body, set(KeyPersonIn.model_fields))
    )
    person = await handlers.add_key_person(uow, person)
    response.headers["Location"] = f"individuals/{individual_id}/key-people/{person.id}"
    set_etag(response, person.version)
    return KeyPersonOut.of(person)


@key_people_router.get("/individuals/{individual_id}/key-people", summary="List an individual's key people")
async def list_key_people(
    individual_id: UUID,
    uow: UoW,
    response: Response,
    active: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000, description="From X-Next-Cursor.")] = None,
    actor: ActorHeader = None,
) -> list[KeyPersonOut]:
    """Everyone recorded as important to the individual, by name (filter: ``active``), a page at a time."""
    after = decode_cursor(cursor, 3)
    async with uow:
        await existing_individual(uow, individual_id)
        found = await uow.key_people.of_individual(
            individual_id,
            after=(after[0], after[1], _cursor_id(after[2])) if after else None,
            limit=limit + 1,
            active=active,
        )
    page = found[:limit]
    next_cursor = (
        encode_cursor([page[-1].family_name, page[-1].given_name, str(page[-1].id)])
        if len(found) > limit
        else None
    )
    link_next(
        response, f"individuals/{individual_id}/key-people", next_cursor, {"limit": limit, "active": active}
    )
    return [_for_caller(KeyPersonOut.of(p), actor) for p in page]


@key_people_router.get("/individuals/{individual_id}/key-people/{key_person_id}", summary="Read a key person")
async def get_key_person(
    individual_id: UUID, key_person_id: UUID, uow: UoW, response: Response, actor: ActorHeader = None
) -> KeyPersonOut:
    """One key person, with its ``ETag``."""
    async with uow:
        await existing_individual(uow, individual_id)
        person = await uow.key_people.get(individual_id, key_person_id)
    if person is None:
        raise NotFound(f"Individual {individual_id} has no key person with id {key_person_id}.")
    set_etag(response, person.version)
    return _for_caller(KeyPersonOut.of(person), actor)


def _for_caller(person: KeyPersonOut, actor: str | None) -> KeyPersonOut:
    """Another relative's phone and email are theirs: a key person reading the circle sees who is in it,
    not how to reach them (the actor does not say which key person is calling, so none are shown)."""
    if not actor or reader_from(actor).role != "key_person":
        return person
    return person.model_copy(update={"phone": None, "email": None})


@key_people_router.patch(
    "/individuals/{individual_id}/key-people/{key_person_id}", summary="Change a key person"
)
async def update_key_person(
    individual_id: UUID,
    key_person_id: UUID,
    body: KeyPersonPatch,
    uow: UoW,
    response: Response,
    if_match: IfMatch = None,
) -> KeyPersonOut:
    """Change the fields sent; announces ``rounds.keyperson.updated.v1``. Stale ``If-Match``: 412."""
    sent = body.model_fields_set
    for name in (
        "given_name",
        "family_name",
        "relationship",
        "lasting_power_of_attorney",
        "is_representative",
        "consent_to_be_informed",
        "informed_of",
        "language",
        "active",
    ):
        if name in sent and getattr(body, name) is None:
            raise Invalid.on(f"body.{name}", "cannot be cleared")
    person = await handlers.update_key_person(
        uow, individual_id, key_person_id, _person_fields(body, sent), expected_version(if_match)
    )
    set_etag(response, person.version)
    return KeyPersonOut.of(person)


def reader_from(header: str | None) -> Reader:
    """The reader named by ``X-Rounds-Actor`` (a worker's ``worker_id`` when given, else ``sub``)."""
    if not header:
        raise Unauthenticated("This route needs to know who is calling: send X-Rounds-Actor.")
    try:
        claims = json.loads(header)
    except ValueError:
        claims = None
    if not isinstance(claims, dict) or not isinstance(claims.get("role"), str):
        raise Unauthenticated('X-Rounds-Actor must be JSON with a "role" and a "sub" or "worker_id".')
    reader_id = claims.get("worker_id") or claims.get("sub")
    if not isinstance(reader_id, str) or not reader_id:
        raise Unauthenticated('X-Rounds-Actor must be JSON with a "role" and a "sub" or "worker_id".')
    return Reader(id=reader_id[:200], role=claims["role"][:50])


class AccessNotesIn(BaseModel):
    """How to get into the home; restricted (coordinators, and the visiting worker during the visit)."""

    model_config = ConfigDict(extra="forbid")

    notes: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    key_safe_code: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] | None
    ) = None


class AccessNotesOut(BaseModel):
    """The access notes and key-safe code, with who last changed them."""

    notes: str
    key_safe_code: str | None
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, notes: AccessNotes) -> AccessNotesOut:
        """The body for ``notes``."""
        return cls(
            notes=notes.notes,
            key_safe_code=notes.key_safe_code,
            updated_at=notes.updated_at,
            updated_by=notes.updated_by,
        )


@access_router.put("/individuals/{individual_id}/access-notes", summary="Write access notes (coordinators)")
async def write_access_notes(
    individual_id: UUID, body: AccessNotesIn, uow: UoW, actor: ActorHeader = None
) -> AccessNotesOut:
    """Replace notes and key-safe code: coordinators and registered managers only (else 403). Audited."""
    notes = await handlers.write_access_notes(
        uow, individual_id, reader_from(actor), body.notes, body.key_safe_code
    )
    return AccessNotesOut.of(notes)


@access_router.get(
    "/individuals/{individual_id}/access-notes", summary="Read access notes (restricted, audited)"
)
async def read_access_notes(individual_id: UUID, uow: UoW, actor: ActorHeader = None) -> AccessNotesOut:
    """Coordinators at any time; a worker from 30 minutes before to 30 minutes after a visit window they are
    allocated (``POST .../visit-windows``); 403 otherwise. Every attempt is recorded in the access audit."""
    return AccessNotesOut.of(await handlers.read_access_notes(uow, individual_id, reader_from(actor)))


class VisitWindowIn(BaseModel):
    """A worker's allocated visit (from the rota): the window in which they may read the access notes."""

    model_config = ConfigDict(extra="forbid")

    worker_id: UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class VisitWindowOut(VisitWindowIn):
    """A recorded visit window."""

    id: UUID
    individual_id: UUID


@access_router.post(
    "/individuals/{individual_id}/visit-windows",
    status_code=status.HTTP_201_CREATED,
    summary="Record a visit window",
)
async def add_visit_window(individual_id: UUID, body: VisitWindowIn, uow: UoW) -> VisitWindowOut:
    """Record that a worker is allocated a visit (the rota provides these until it publishes allocations)."""
    window = await handlers.add_visit_window(
        uow, VisitWindow(uuid4(), individual_id, body.worker_id, body.starts_at, body.ends_at)
    )
    return VisitWindowOut(
        id=window.id,
        individual_id=window.individual_id,
        worker_id=window.worker_id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
    )


class AuditEntryOut(BaseModel):
    """One attempt to read or write access notes."""

    reader_id: str
    reader_role: str
    action: str
    granted: bool
    reason: str
    at: datetime


@access_router.get("/individuals/{individual_id}/access-audit", summary="Who read the access notes")
async def access_audit(
    individual_id: UUID,
    uow: UoW,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=100, description="From X-Next-Cursor.")] = None,
) -> list[AuditEntryOut]:
    """Recorded attempts to read or write the individual's access notes, oldest first, a page at a time."""
    after = decode_cursor(cursor, 1)
    if after is not None and not (after[0].isdigit() and len(after[0]) < 18):
        raise Invalid.on("query.cursor", "is not a cursor this service gave; start from the first page")
    found = await handlers.access_audit(uow, individual_id, int(after[0]) if after else None, limit + 1)
    page = found[:limit]
    next_cursor = encode_cursor([str(page[-1][0])]) if len(found) > limit else None
    link_next(response, f"individuals/{individual_id}/access-audit", next_cursor, {"limit": limit})
    return [AuditEntryOut(**vars(entry)) for _, entry in page]
