"""Checking in and out, and the location check, as pure rules (EVV location; 000 P19)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from services.visits.domain.errors import NotAllowed, RuleBroken, StateConflict
from services.visits.domain.geo import Point, distance_m
from services.visits.domain.visits import (
    Evidence,
    HomeFacts,
    check_device_time,
    check_in,
    check_out,
    check_task,
    verify,
)
from tests.visits.factories import DOWN_THE_ROAD, HOME, arrived, expected_visit, state

HOME_FACTS = HomeFacts(location=HOME, phone="+44 1423 555 010", nfc_tags=frozenset({"04:A2:19:7C"}))


def test_distance_between_two_points_in_metres() -> None:
    assert distance_m(HOME, HOME) == 0
    assert 295 < distance_m(HOME, DOWN_THE_ROAD) < 305  # 0.0027 degrees of latitude


@pytest.mark.parametrize(("metres_north", "flagged"), [(149, False), (151, True)])
def test_a_position_beyond_150_metres_is_flagged_not_refused(metres_north: float, flagged: bool) -> None:
    there = Point(HOME.lat + metres_north / 111_195, HOME.lon)
    verdict = verify(Evidence("gps", there, accuracy_m=10), HOME_FACTS, 150)
    assert verdict.flagged is flagged
    assert verdict.flag_reasons == (("far_from_home",) if flagged else ())


def test_an_inaccurate_fix_and_an_unknown_home_are_flagged() -> None:
    assert verify(Evidence("gps", HOME, accuracy_m=900), HOME_FACTS, 150).flag_reasons == (
        "position_inaccurate",
    )
    unknown = HomeFacts(location=None, phone=None, nfc_tags=frozenset())
    verdict = verify(Evidence("gps", HOME), unknown, 150)
    assert (verdict.distance_m, verdict.flag_reasons) == (None, ("home_location_unknown",))


def test_nfc_tag_must_be_the_homes_and_telephony_the_homes_number() -> None:
    assert not verify(Evidence("nfc", nfc_tag_id="04:A2:19:7C"), HOME_FACTS, 150).flagged
    assert verify(Evidence("nfc", nfc_tag_id="FF:FF"), HOME_FACTS, 150).flag_reasons == ("unknown_nfc_tag",)
    assert not verify(Evidence("telephony", telephony_number="01423 555010"), HOME_FACTS, 150).flagged
    other = verify(Evidence("telephony", telephony_number="07700 900123"), HOME_FACTS, 150)
    assert other.flag_reasons == ("unrecognised_phone",)


def test_only_an_allocated_worker_checks_in_and_only_once() -> None:
    visit = expected_visit()
    with pytest.raises(NotAllowed):
        check_in(state(visit), uuid4(), uuid4(), visit.planned_start)
    came = arrived(visit, visit.planned_start)
    with pytest.raises(StateConflict, match="already checked in"):
        check_in(state(visit, came), visit.workers[0], uuid4(), visit.planned_start)


def test_a_cancelled_visit_takes_no_check_in() -> None:
    visit = replace(expected_visit(), cancelled=True)
    with pytest.raises(StateConflict, match="cancelled"):
        check_in(state(visit), visit.workers[0], uuid4(), visit.planned_start)


def test_check_out_needs_a_check_in_and_cannot_precede_it() -> None:
    visit = expected_visit()
    worker = visit.workers[0]
    with pytest.raises(StateConflict, match="no check-in"):
        check_out(state(visit), worker, uuid4(), visit.planned_end)
    came = arrived(visit, visit.planned_start)
    with pytest.raises(RuleBroken) as broken:
        check_out(state(visit, came), worker, uuid4(), visit.planned_start - timedelta(minutes=1))
    assert broken.value.field == "occurred_at"
    left = check_out(state(visit, came), worker, uuid4(), visit.planned_end)
    assert left.stayed() == timedelta(minutes=30)


def test_a_device_clock_in_the_future_is_refused_but_hours_late_is_fine() -> None:
    visit = expected_visit()
    now = visit.planned_start
    check_device_time(now - timedelta(hours=9), now)
    check_device_time(now + timedelta(minutes=4), now)
    with pytest.raises(RuleBroken):
        check_device_time(now + timedelta(minutes=6), now)


def test_a_task_outcome_names_a_task_of_the_plan() -> None:
    visit = expected_visit(tasks=("medication",))
    check_task(state(visit), "medication")
    with pytest.raises(RuleBroken, match="medication"):
        check_task(state(visit), "hoovering")
