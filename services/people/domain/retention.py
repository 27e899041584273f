"""How long the people service keeps each kind of record, and what anonymising an individual removes.

The seeds ask for records kept under "legal requirements, policies and procedures for the security and
confidentiality of information" (000 K66) and point to a retention procedure without giving its periods
(004 1.29: "Retention of Records ... Section 5 of the General Procedures"). The periods below therefore
follow the common UK practice for adult social care records (the NHS England Records Management Code of
Practice 2021: adult care records kept 8 years after care ends), not a figure found in the seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from services.people.domain.geo import Coordinates
from services.people.domain.individuals import Address, Individual, IndividualStatus, KeyPerson, Preferences

#: Adult care records are kept this many years after the last day of care, then anonymised.
CARE_RECORD_YEARS = 8
#: What replaces a removed name: the record stays countable, the person cannot be told from it.
REMOVED = "(anonymised)"
#: Decimal places a home's coordinates keep: 1 is about 11 km north-south, a district, not a street.
LOCATION_DECIMALS = 1


@dataclass(frozen=True)
class RetentionRule:
    """One kind of record: how long it is kept, what happens then, and on what basis."""

    record: str
    kept_for: str
    then: str
    basis: str


SCHEDULE: tuple[RetentionRule, ...] = (
    RetentionRule(
        "individual: names, NHS number, date of birth, address, phone, preferences",
        f"{CARE_RECORD_YEARS} years after the last day of care (service ended)",
        "anonymised by the retention run; id, locality, status and history kept for statistics",
        "UK adult social care practice (Records Management Code of Practice 2021); 000 K66, 004 1.29",
    ),
    RetentionRule(
        "key people: names, phone, email, contact preferences",
        "as the individual's record",
        "anonymised with the individual",
        "as above: they are part of the individual's care record",
    ),
    RetentionRule(
        "access notes and key-safe code (restricted, encrypted at rest)",
        "as the individual's record",
        "deleted with the individual's anonymisation (visit windows too)",
        "as above; 000 P14-P16",
    ),
    RetentionRule(
        "access audit",
        "as the individual's record",
        "kept: staff ids and reasons only, the evidence of who read what",
        "000 K66",
    ),
    RetentionRule(
        "service delivery plans and home risk assessments",
        "as the individual's record",
        "not yet anonymised by the run (their text may name people): a follow-up",
        "003; 000 P14-P17",
    ),
    RetentionRule(
        "workers, availability, on-call shifts",
        "not scheduled here",
        "kept (employment records follow the employer's schedule)",
        "004 (supervision and staff records)",
    ),
)


def retained_until(care_ended_on: date) -> date:
    """The last day the identifying record is kept: ``CARE_RECORD_YEARS`` after the last day of care.

    A 29 February end keeps the record to 28 February of the final year (the date that exists).
    """
    year = care_ended_on.year + CARE_RECORD_YEARS
    try:
        return care_ended_on.replace(year=year)
    except ValueError:  # 29 February into a year without one
        return date(year, 2, 28)


def due_for_anonymisation(individual: Individual, care_ended_on: date | None, today: date) -> bool:
    """Whether the record's retention has run out on ``today`` and it still names the person."""
    if individual.status is not IndividualStatus.ENDED or care_ended_on is None:
        return False
    if individual.anonymised_on is not None:
        return False  # already done: the run is idempotent
    return today > retained_until(care_ended_on)


def anonymised(individual: Individual, on: date) -> Individual:
    """The individual with every identifying detail removed; id, locality and status stay."""
    location = individual.address.location
    return replace(
        individual,
        given_name=REMOVED,
        family_name=REMOVED,
        preferred_name=None,
        date_of_birth=None,
        nhs_number=None,
        gender=None,
        phone=None,
        address=Address(
            lines=(REMOVED,),
            postcode=REMOVED,
            location=Coordinates(
                round(location.lat, LOCATION_DECIMALS), round(location.lon, LOCATION_DECIMALS)
            ),
        ),
        communication_needs=(),
        preferences=Preferences(),
        status_reason=None,
        anonymised_on=on,
        version=individual.version + 1,
    )


def anonymised_key_person(person: KeyPerson) -> KeyPerson:
    """The key person with names and contact details removed; their id and relationship stay."""
    return replace(
        person,
        given_name=REMOVED,
        family_name=REMOVED,
        phone=None,
        email=None,
        consent_to_be_informed=False,
        informed_of=frozenset(),
        preferred_channel=None,
        quiet_hours_start=None,
        quiet_hours_end=None,
        active=False,
        version=person.version + 1,
    )
