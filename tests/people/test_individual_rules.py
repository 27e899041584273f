"""Rules on individuals, key people and access notes, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from services.people.domain.access import Reader, VisitWindow, may_read_access_notes
from services.people.domain.geo import Coordinates, InvalidCoordinates
from services.people.domain.individuals import (
    Channel,
    IndividualRuleBroken,
    IndividualStatus,
    InvalidNhsNumber,
    KeyPerson,
    StatusChangeRefused,
    check_key_person,
    check_status_change,
    normalise_nhs_number,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9434765919", "9434765919"),
        ("943 476 5919", "9434765919"),
        ("943-476-5870", "9434765870"),
        ("1000000060", "1000000060"),  # remainder 0: check digit 0
    ],
)
def test_valid_nhs_numbers_are_kept_as_ten_digits(raw: str, expected: str) -> None:
    assert normalise_nhs_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("9434765918", "check digit does not match"),
        ("1000000010", "can never be a valid"),  # the check digit would be 10
        ("943476591", "ten digits"),
        ("94347659190", "ten digits"),
        ("94347659l9", "ten digits"),
        ("٩٤٣٤٧٦٥٩١٩", "ten digits"),  # Arabic-Indic digits are digits to Python, not to the NHS
    ],
)
def test_invalid_nhs_numbers_are_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNhsNumber, match=reason):
        normalise_nhs_number(raw)


@pytest.mark.parametrize(
    ("lat", "lon", "field"), [(90.01, 0, "lat"), (-91, 0, "lat"), (0, 180.5, "lon"), (float("nan"), 0, "lat")]
)
def test_coordinates_out_of_range_name_the_field(lat: float, lon: float, field: str) -> None:
    with pytest.raises(InvalidCoordinates) as raised:
        Coordinates(lat, lon)
    assert raised.value.field == field


def test_an_ended_service_is_not_resumed_and_a_status_does_not_change_to_itself() -> None:
    check_status_change(IndividualStatus.ACTIVE, IndividualStatus.IN_HOSPITAL)
    check_status_change(IndividualStatus.IN_HOSPITAL, IndividualStatus.ACTIVE)
    with pytest.raises(StatusChangeRefused):
        check_status_change(IndividualStatus.ENDED, IndividualStatus.ACTIVE)
    with pytest.raises(StatusChangeRefused):
        check_status_change(IndividualStatus.ACTIVE, IndividualStatus.ACTIVE)


def _person(**changes: object) -> KeyPerson:
    person = KeyPerson(
        id=uuid.uuid4(), individual_id=uuid.uuid4(), given_name="Sam", family_name="Hill", relationship="son"
    )
    for name, value in changes.items():
        setattr(person, name, value)
    return person


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"informed_of": frozenset({"missed_visits"})}, "informed_of"),  # no consent
        ({"consent_to_be_informed": True}, "preferred_channel"),
        ({"consent_to_be_informed": True, "preferred_channel": Channel.EMAIL}, "email"),
        ({"consent_to_be_informed": True, "preferred_channel": Channel.SMS}, "phone"),
        ({"quiet_hours_start": time(22, 0)}, "quiet_hours_end"),
        (
            {
                "consent_to_be_informed": True,
                "preferred_channel": Channel.SMS,
                "phone": "0700",
                "informed_of": frozenset({"gossip"}),
            },
            "informed_of",
        ),
    ],
)
def test_a_key_person_is_informed_only_with_consent_and_a_way_to_reach_them(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(IndividualRuleBroken) as raised:
        check_key_person(_person(**changes))
    assert raised.value.field == field


INDIVIDUAL = uuid.uuid4()
WORKER = uuid.uuid4()
START = datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 07:00 GMT on the day the clocks go back
WINDOW = VisitWindow(uuid.uuid4(), INDIVIDUAL, WORKER, START, START + timedelta(minutes=45))


@pytest.mark.parametrize(
    ("reader", "now", "granted"),
    [
        (Reader("c1", "coordinator"), START - timedelta(days=3), True),
        (Reader("m1", "registered_manager"), START, True),
        (Reader(str(WORKER), "care_worker"), START - timedelta(minutes=31), False),
        (Reader(str(WORKER), "care_worker"), START - timedelta(minutes=30), True),
        (Reader(str(WORKER), "care_worker"), START + timedelta(minutes=20), True),
        (Reader(str(WORKER), "care_worker"), START + timedelta(minutes=75), True),
        (Reader(str(WORKER), "care_worker"), START + timedelta(minutes=76), False),
        (Reader(str(uuid.uuid4()), "care_worker"), START, False),  # someone else's visit
        (Reader(str(WORKER), "key_person"), START, False),
        (Reader(str(WORKER), "supervisor"), START, False),
    ],
)
def test_access_notes_open_to_coordinators_and_to_the_visiting_worker_around_their_visit(
    reader: Reader, now: datetime, granted: bool
) -> None:
    decision = may_read_access_notes(reader, INDIVIDUAL, [WINDOW], now)
    assert decision.granted is granted, decision.reason


def test_a_window_at_another_home_opens_nothing() -> None:
    elsewhere = VisitWindow(uuid.uuid4(), uuid.uuid4(), WORKER, START, START + timedelta(hours=1))
    assert not may_read_access_notes(
        Reader(str(WORKER), "care_worker"), INDIVIDUAL, [elsewhere], START
    ).granted
