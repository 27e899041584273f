"""Consent, preferred channel, quiet hours (DST nights included), templates and retries (000 P44, P45)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from services.alerts.domain.delivery import DeliveryStatus, Outcome, RetryPolicy, after_attempt, receipt
from services.alerts.domain.escalation import OnCallShift, chain_at, first_step, next_step
from services.alerts.domain.recipients import (
    ChannelName,
    Recipient,
    RecipientKind,
    Send,
    Withhold,
    plan,
    quiet_hours_end,
)
from services.alerts.domain.templates import render

NOON = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)  # 12:00 in London (BST)


def key_person(**changes: object) -> Recipient:
    fields: dict[str, object] = {
        "kind": RecipientKind.KEY_PERSON,
        "id": "kp-1",
        "name": "Joan",
        "preferred_channel": ChannelName.SMS,
        "phone": "+447700900123",
        "email": "joan@example.org",
        "consent": True,
        "informed_of": frozenset({"missed_visits", "visit_changes"}),
        "quiet_start": time(22, 0),
        "quiet_end": time(7, 0),
    }
    fields.update(changes)
    return Recipient(**fields)  # type: ignore[arg-type]


def test_a_consenting_key_person_is_told_in_their_preferred_channel() -> None:
    decision = plan(key_person(), "missed_visits", NOON)
    assert decision == Send(ChannelName.SMS, "+447700900123", NOON, held_for_quiet_hours=False)


def test_a_key_person_without_consent_is_never_told() -> None:
    decision = plan(key_person(consent=False), "missed_visits", NOON, urgent=True)
    assert decision == Withhold("has not consented to be informed")


def test_a_key_person_is_told_only_about_what_they_asked_for() -> None:
    decision = plan(key_person(informed_of=frozenset({"hospital_admissions"})), "missed_visits", NOON)
    assert isinstance(decision, Withhold)
    assert "missed_visits" in decision.reason


def test_a_removed_key_person_is_not_told() -> None:
    assert isinstance(plan(key_person(active=False), "missed_visits", NOON), Withhold)


def test_the_preferred_channel_falls_back_when_it_cannot_reach_them() -> None:
    decision = plan(key_person(phone=None), "missed_visits", NOON)
    assert isinstance(decision, Send)
    assert (decision.channel, decision.address) == (
        ChannelName.EMAIL,
        "joan@example.org",
    )


def test_a_channel_this_installation_has_not_configured_is_skipped() -> None:
    decision = plan(key_person(), "missed_visits", NOON, available=frozenset({ChannelName.EMAIL}))
    assert isinstance(decision, Send)
    assert decision.channel is ChannelName.EMAIL
    only_log = plan(key_person(), "missed_visits", NOON, available=frozenset({ChannelName.LOG}))
    assert isinstance(only_log, Send)
    assert only_log.channel is ChannelName.LOG


def test_nobody_reachable_goes_to_the_log_only_when_allowed() -> None:
    nobody = key_person(phone=None, email=None)
    assert isinstance(plan(nobody, "missed_visits", NOON), Send)
    assert plan(nobody, "missed_visits", NOON, log_fallback=False) == Withhold(
        "no channel reaches this person"
    )


def test_a_message_in_quiet_hours_waits_until_they_end_on_the_local_clock() -> None:
    at = datetime(2026, 6, 10, 22, 30, tzinfo=UTC)  # 23:30 BST
    decision = plan(key_person(), "missed_visits", at)
    assert isinstance(decision, Send)
    assert decision.held_for_quiet_hours
    assert decision.not_before == datetime(2026, 6, 11, 6, 0, tzinfo=UTC)  # 07:00 BST


def test_an_urgent_message_ignores_quiet_hours() -> None:
    at = datetime(2026, 6, 10, 22, 30, tzinfo=UTC)
    decision = plan(key_person(), "missed_visits", at, urgent=True)
    assert isinstance(decision, Send)
    assert decision.not_before == at


@pytest.mark.parametrize(
    ("now", "expected_end"),
    [
        # The night the clocks go forward (29 March 2026, 01:00 GMT -> 02:00 BST): 07:00 BST is 06:00 UTC.
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        # The night the clocks go back (25 October 2026, 02:00 BST -> 01:00 GMT): 07:00 GMT is 07:00 UTC.
        (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
        # Just after midnight, the same night's end.
        (datetime(2026, 1, 15, 0, 10, tzinfo=UTC), datetime(2026, 1, 15, 7, 0, tzinfo=UTC)),
        # Outside quiet hours.
        (datetime(2026, 1, 15, 7, 0, tzinfo=UTC), None),
        (datetime(2026, 1, 15, 21, 59, tzinfo=UTC), None),
    ],
)
def test_quiet_hours_end_on_dst_nights(now: datetime, expected_end: datetime | None) -> None:
    assert quiet_hours_end(key_person(), now) == expected_end


def test_quiet_hours_that_do_not_wrap_midnight() -> None:
    afternoon = key_person(quiet_start=time(13, 0), quiet_end=time(15, 0))
    assert quiet_hours_end(afternoon, NOON + timedelta(hours=2)) == NOON + timedelta(hours=3)
    assert quiet_hours_end(afternoon, NOON) is None


def test_templates_speak_the_recipients_language_and_fall_back_to_english() -> None:
    values = {"name": "Joan", "planned": "08:00", "individual": "Mary", "office": "01423 000000"}
    welsh = render("visit_late", "cy", values)
    assert (welsh.language, welsh.subject) == ("cy", "Mae eich ymweliad yn hwyr")
    assert "Mary" in welsh.body
    assert "08:00" in welsh.body
    french = render("visit_missed", "fr", values)
    assert french.language == "en"
    assert french.body.startswith("Hello Joan, the 08:00 visit to Mary")
    assert "-" in render("visit_late", "en", {}).body  # a missing value never breaks a message


def test_a_failing_channel_is_retried_with_growing_waits_then_given_up() -> None:
    policy = RetryPolicy(max_attempts=4, first_wait=timedelta(seconds=10), longest_wait=timedelta(seconds=25))
    failure = Outcome(ok=False, error="connection refused")
    waits = [after_attempt(failure, n, NOON, policy) for n in (1, 2, 3)]
    assert [w.status for w in waits] == [DeliveryStatus.QUEUED] * 3
    assert [w.retry_at - NOON for w in waits if w.retry_at] == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=25),
    ]
    last = after_attempt(failure, 4, NOON, policy)
    assert last.status is DeliveryStatus.FAILED
    assert last.error == "gave up after 4 attempts: connection refused"


def test_a_permanent_failure_is_not_retried_and_success_is_sent_or_delivered() -> None:
    policy = RetryPolicy()
    assert after_attempt(Outcome(False, permanent=True, error="400"), 1, NOON, policy).status == "failed"
    assert after_attempt(Outcome(True), 1, NOON, policy).status is DeliveryStatus.SENT
    assert after_attempt(Outcome(True, delivered=True), 2, NOON, policy).status is DeliveryStatus.DELIVERED


def test_receipts_only_move_a_sent_message() -> None:
    assert receipt(DeliveryStatus.SENT, delivered=True) is DeliveryStatus.DELIVERED
    assert receipt(DeliveryStatus.SENT, delivered=False) is DeliveryStatus.FAILED
    assert receipt(DeliveryStatus.DELIVERED, delivered=False) is None


def shift(person: str, locality: str, level: int, hours: tuple[int, int]) -> OnCallShift:
    day = datetime(2026, 3, 29, tzinfo=UTC)
    return OnCallShift(
        person, locality, level, day + timedelta(hours=hours[0]), day + timedelta(hours=hours[1])
    )


def test_the_chain_is_the_localitys_on_call_by_level_backed_by_provider_wide_cover() -> None:
    shifts = [
        shift("night-manager", "Harrogate", 1, (0, 8)),
        shift("day-manager", "Harrogate", 1, (8, 20)),
        shift("area-manager", "Harrogate", 2, (0, 24)),
        shift("director", "*", 3, (0, 24)),
        shift("selby-manager", "Selby", 1, (0, 24)),
    ]
    at = datetime(2026, 3, 29, 7, 59, tzinfo=UTC)
    assert chain_at(shifts, "Harrogate", at) == ["night-manager", "area-manager", "director"]
    assert chain_at(shifts, "Harrogate", at + timedelta(minutes=1))[0] == "day-manager"
    assert chain_at(shifts, "Leeds", at) == ["director"]


def test_escalation_walks_the_chain_with_a_fresh_window_each_step() -> None:
    chain, window = ["a", "b", "c"], timedelta(minutes=5)
    first = first_step(chain, NOON, window)
    assert (first.level, first.owner_id, first.deadline) == (1, "a", NOON + window)
    later = NOON + timedelta(minutes=6)
    second = next_step(1, chain, later, window, late_by=timedelta(minutes=1))
    assert (second.level, second.owner_id, second.deadline) == (2, "b", later + window)
    third = next_step(2, chain, later, window, late_by=timedelta(0))
    assert (third.level, third.owner_id, third.deadline) == (3, "c", later + window)
    exhausted = next_step(3, chain, later, window, late_by=timedelta(0))
    assert (exhausted.level, exhausted.owner_id, exhausted.deadline) == (3, "c", None)
    assert "nobody further" in exhausted.reason
    assert first_step([], NOON, window).owner_id is None
