"""Alerts honours people's anonymisation (docs/people.md, retention; 000 K66).

Through the alerts service's real consumer: an individual and a key person are known and a message
went to the key person; after ``rounds.individual.anonymised.v1`` raw SQL finds no name, phone or
e-mail (the key person is inactive, the message history keeps no address); an older record, an older
key-person event and a redelivery change nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from rounds.contracts.people import (
    IndividualAnonymised,
    IndividualRegistered,
    IndividualStatusChanged,
    IndividualUpdated,
    KeyPersonAdded,
    KeyPersonUpdated,
)
from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from services.alerts.consumers import subscriptions
from services.alerts.main import AlertsRuntime
from services.alerts.settings import AlertsSettings
from tests.reliability.anonymised_kit import REMOVED, Feed

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MARY_PHONE, JOAN_PHONE, JOAN_EMAIL = "+447700900123", "+447700900456", "joan.hughes@example.org"


@pytest.fixture
async def feed(database_url: str) -> AsyncIterator[Feed]:
    await asyncio.to_thread(upgrade_head, "alerts", database_url)
    runtime = AlertsRuntime(
        AlertsSettings(database_url=database_url, kafka_bootstrap_servers="127.0.0.1:9"), FrozenClock(NOW)
    )
    yield Feed(runtime, subscriptions, "alerts")
    await runtime.stop()


def _record(cls: type[IndividualRegistered] | type[IndividualUpdated], mary: uuid.UUID, version: int) -> Any:
    return cls(
        individual_id=mary, version=version, given_name="Mary", family_name="Hughes", locality="leeds",
        status="active", address="4 Elm Grove", location={"lat": 53.81, "lon": -1.56}, phone=MARY_PHONE,
    )  # fmt: skip


def _joan(
    cls: type[KeyPersonAdded] | type[KeyPersonUpdated], mary: uuid.UUID, joan: uuid.UUID, v: int
) -> Any:
    return cls(
        individual_id=mary, key_person_id=joan, version=v, given_name="Joan", family_name="Hughes",
        relationship="daughter", phone=JOAN_PHONE, email=JOAN_EMAIL, consent_to_be_informed=True,
        informed_of=["hospital_admissions", "visit_changes"], preferred_channel="sms",
    )  # fmt: skip


async def _everything(feed: Feed, mary: uuid.UUID, joan: uuid.UUID) -> list[dict[str, Any]]:
    """Every stored copy of Mary and Joan in alerts: the read models and the message history."""
    found = await feed.rows("SELECT * FROM known_individuals WHERE individual_id = :i", i=mary)
    found += await feed.rows("SELECT * FROM known_key_people WHERE individual_id = :i", i=mary)
    found += await feed.rows(
        "SELECT recipient_id, address, body, status FROM notifications WHERE recipient_id IN (:m, :j)",
        m=str(mary),
        j=str(joan),
    )
    return found


async def test_an_anonymised_individual_leaves_no_names_or_contacts_in_alerts(feed: Feed) -> None:
    mary, joan = uuid.uuid4(), uuid.uuid4()
    await feed.deliver(feed.envelope(_record(IndividualRegistered, mary, 1), NOW))
    await feed.deliver(feed.envelope(_joan(KeyPersonAdded, mary, joan, 1), NOW))
    into_hospital = IndividualStatusChanged(
        individual_id=mary, version=2, locality="leeds", previous_status="active", status="in_hospital",
        effective_at=NOW,
    )  # fmt: skip
    await feed.deliver(feed.envelope(into_hospital, NOW))  # Joan asked to hear of admissions: a message
    before = repr(await _everything(feed, mary, joan))
    for detail in ("Mary", MARY_PHONE, "Joan", JOAN_PHONE):
        assert detail in before
    messages = await feed.rows("SELECT address FROM notifications WHERE recipient_id = :j", j=str(joan))
    assert messages, "no message to the key person: the history this test clears is missing"

    anonymised = IndividualAnonymised(
        individual_id=mary, version=3, locality="leeds", key_person_ids=[joan],
        care_ended_on=date(2018, 6, 1), retained_until=date(2026, 6, 1), anonymised_at=NOW,
    )  # fmt: skip
    once = feed.envelope(anonymised, NOW + timedelta(minutes=1))
    await feed.deliver(once)

    after = await _everything(feed, mary, joan)
    text = repr(after)
    for detail in ("Mary", "Hughes", MARY_PHONE, "Joan", JOAN_PHONE, JOAN_EMAIL):
        assert detail not in text
    [individual] = await feed.rows("SELECT * FROM known_individuals WHERE individual_id = :i", i=mary)
    assert (individual["name"], individual["phone"], individual["version"]) == (REMOVED, None, 3)
    [person] = await feed.rows("SELECT * FROM known_key_people WHERE key_person_id = :k", k=joan)
    assert (person["name"], person["phone"], person["email"]) == (REMOVED, None, None)
    assert not person["active"]
    assert not person["consent"]
    assert person["version"] == 2  # one more than alerts knew, as people counts it

    # Older news arriving late: people's records from before the anonymisation.
    await feed.deliver(feed.envelope(_record(IndividualUpdated, mary, 2), NOW + timedelta(minutes=2)))
    await feed.deliver(feed.envelope(_joan(KeyPersonUpdated, mary, joan, 2), NOW + timedelta(minutes=2)))
    await feed.deliver(
        feed.envelope(_joan(KeyPersonAdded, mary, uuid.uuid4(), 1), NOW + timedelta(minutes=2))
    )
    assert await _everything(feed, mary, joan) == after
    # The broker redelivers the anonymisation; people's retry comes under a new id: no change.
    await feed.deliver(once)
    await feed.deliver(feed.envelope(anonymised, NOW + timedelta(minutes=3)))
    assert await _everything(feed, mary, joan) == after
