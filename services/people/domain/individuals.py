"""Individuals who receive care at home, and the people important to them (000 P2, P11; 003 P1-P2).

Identity (with the NHS number where the provider holds it), the home and its coordinates,
communication needs and language (003 P1, P11; 000 K7: information in a format they understand),
and preferences the rota must honour: preferred visit times, carer gender, workers they refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from uuid import UUID

from services.people.domain.geo import Coordinates

#: Weights of the first nine digits in the NHS number's Modulus 11 check.
_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


class InvalidNhsNumber(ValueError):
    """Not a valid NHS number; the message says why."""


def normalise_nhs_number(raw: str) -> str:
    """The ten digits of a valid NHS number (spaces and dashes allowed), else :class:`InvalidNhsNumber`.

    Modulus 11: weight the first nine digits 10 down to 2, sum, take the remainder by 11 and subtract it
    from 11; 11 means a check digit of 0 and 10 means the number can never be valid.
    """
    digits = raw.replace(" ", "").replace("-", "")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise InvalidNhsNumber("an NHS number has ten digits")
    total = sum(int(d) * w for d, w in zip(digits[:9], _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        raise InvalidNhsNumber("this number can never be a valid NHS number (its check digit would be 10)")
    if (0 if check == 11 else check) != int(digits[9]):
        raise InvalidNhsNumber("the check digit does not match: the number was probably mistyped")
    return digits


class IndividualStatus(StrEnum):
    """Whether the individual receives visits now."""

    ACTIVE = "active"
    IN_HOSPITAL = "in_hospital"  # visits pause; rota cancels them until the individual is home (000 P43)
    ENDED = "ended"  # the service ended; the record stays for subject access and retention


class StatusChangeRefused(ValueError):
    """A status change that cannot happen (an ended service is not resumed: refer again instead)."""


def check_status_change(current: IndividualStatus, new: IndividualStatus) -> None:
    """Raise :class:`StatusChangeRefused` when ``current`` cannot become ``new``."""
    if current is IndividualStatus.ENDED:
        raise StatusChangeRefused("the service has ended; register a new referral to start again")
    if current is new:
        raise StatusChangeRefused(f"the individual is already {new.value}")


@dataclass(frozen=True)
class Address:
    """Where the individual lives; ``location`` is what the rota plans travel from."""

    lines: tuple[str, ...]
    postcode: str
    location: Coordinates

    def one_line(self) -> str:
        """The address on one line, as a worker's schedule shows it."""
        return ", ".join([*self.lines, self.postcode])


@dataclass(frozen=True)
class PreferredVisitTime:
    """A time of day the individual would like a visit in, e.g. breakfast between 07:30 and 09:00."""

    label: str
    earliest: time
    latest: time


@dataclass(frozen=True)
class Preferences:
    """What the rota must honour (carer gender, refused workers) or should prefer (times)."""

    visit_times: tuple[PreferredVisitTime, ...] = ()
    carer_gender: str | None = None
    refused_worker_ids: frozenset[UUID] = frozenset()
    notes: str | None = None


@dataclass
class Individual:
    """A person the provider supports at home."""

    id: UUID
    given_name: str
    family_name: str
    locality: str
    address: Address
    preferred_name: str | None = None
    date_of_birth: date | None = None
    nhs_number: str | None = None
    gender: str | None = None
    phone: str | None = None
    language: str = "en"
    interpreter_needed: bool = False
    communication_needs: tuple[str, ...] = ()
    accessible_formats: tuple[str, ...] = ()
    preferences: Preferences = field(default_factory=Preferences)
    status: IndividualStatus = IndividualStatus.ACTIVE
    status_reason: str | None = None
    status_since: datetime | None = None
    version: int = 1
    #: The day the retention run removed the identifying details (issue 12); None while they are held.
    anonymised_on: date | None = None


class IndividualRuleBroken(ValueError):
    """A record that cannot stand, with the field at fault."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


def check_individual(individual: Individual, today: date) -> None:
    """Raise :class:`IndividualRuleBroken` for a record that cannot stand."""
    if individual.date_of_birth and individual.date_of_birth > today:
        raise IndividualRuleBroken("date_of_birth", "cannot be in the future")
    for index, slot in enumerate(individual.preferences.visit_times):
        if slot.latest <= slot.earliest:
            raise IndividualRuleBroken(f"preferences.visit_times.{index}.latest", "must be after earliest")


class LastingPowerOfAttorney(StrEnum):
    """Which lasting power of attorney a key person holds for the individual, if any."""

    NONE = "none"
    HEALTH_AND_WELFARE = "health_and_welfare"
    PROPERTY_AND_FINANCIAL = "property_and_financial"
    BOTH = "both"


class Channel(StrEnum):
    """How a key person prefers to be told (alerts honours it, 000 P44)."""

    SMS = "sms"
    EMAIL = "email"
    PHONE = "phone"
    WEBHOOK = "webhook"


#: What a key person may consent to be informed of (000 P44: changes to care arrangements).
INFORMED_OF = frozenset(
    {"visit_changes", "missed_visits", "incidents", "plan_changes", "hospital_admissions"}
)


@dataclass
class KeyPerson:
    """Someone important to the individual: family, friend, carer or representative (000 key people)."""

    id: UUID
    individual_id: UUID
    given_name: str
    family_name: str
    relationship: str
    phone: str | None = None
    email: str | None = None
    lasting_power_of_attorney: LastingPowerOfAttorney = LastingPowerOfAttorney.NONE
    is_representative: bool = False
    consent_to_be_informed: bool = False
    informed_of: frozenset[str] = frozenset()
    preferred_channel: Channel | None = None
    language: str = "en"
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    active: bool = True
    version: int = 1

    @property
    def may_represent(self) -> bool:
        """Whether they may sign the plan for the individual (an LPA for health and welfare, or named)."""
        return self.is_representative or self.lasting_power_of_attorney in (
            LastingPowerOfAttorney.HEALTH_AND_WELFARE,
            LastingPowerOfAttorney.BOTH,
        )


def check_key_person(person: KeyPerson) -> None:
    """Raise :class:`IndividualRuleBroken` for a key person record that cannot stand."""
    unknown = person.informed_of - INFORMED_OF
    if unknown:
        raise IndividualRuleBroken(
            "informed_of", f"unknown topics {sorted(unknown)}; known: {sorted(INFORMED_OF)}"
        )
    if person.informed_of and not person.consent_to_be_informed:
        raise IndividualRuleBroken("informed_of", "needs consent_to_be_informed")
    if person.consent_to_be_informed and person.preferred_channel is None:
        raise IndividualRuleBroken("preferred_channel", "say how they want to be informed")
    if person.preferred_channel is Channel.EMAIL and not person.email:
        raise IndividualRuleBroken("email", "needed for the email channel")
    if person.preferred_channel in (Channel.SMS, Channel.PHONE) and not person.phone:
        raise IndividualRuleBroken("phone", f"needed for the {person.preferred_channel.value} channel")
    if (person.quiet_hours_start is None) != (person.quiet_hours_end is None):
        raise IndividualRuleBroken("quiet_hours_end", "give both ends of the quiet hours, or neither")
