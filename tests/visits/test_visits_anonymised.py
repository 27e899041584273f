"""The visits service honours people's anonymisation (docs/people.md, retention; 000 K66).

Through the visits service's real consumer: a home and an expected visit are known; after
``rounds.individual.anonymised.v1`` raw SQL finds no phone, no address and no exact coordinates, the
visit keeps its id; an older record, an older rota event and a redelivery change nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from rounds.contracts.people import GeoPoint, IndividualAnonymised, IndividualRegistered, IndividualUpdated
from rounds.contracts.rota import VisitScheduled
from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from services.visits.consumers import subscriptions
from services.visits.main import VisitsRuntime
from services.visits.settings import VisitsSettings
from tests.reliability.anonymised_kit import REMOVED, Feed

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
ADDRESS = "4 Elm Grove, Leeds LS6 2AA"
PHONE = "+447700900123"


@pytest.fixture
async def feed(database_url: str) -> AsyncIterator[Feed]:
    await asyncio.to_thread(upgrade_head, "visits", database_url)
    settings = VisitsSettings(
        database_url=database_url, kafka_bootstrap_servers="127.0.0.1:9", monitor_enabled=False
    )
    runtime = VisitsRuntime(settings, FrozenClock(NOW))
    yield Feed(runtime, subscriptions, "visits")
    await runtime.stop()


def _record(cls: type[IndividualRegistered] | type[IndividualUpdated], mary: uuid.UUID, version: int) -> Any:
    return cls(
        individual_id=mary, version=version, given_name="Mary", family_name="Hughes", locality="leeds",
        status="active", address=ADDRESS, location=GeoPoint(lat=53.81234, lon=-1.56789), phone=PHONE,
    )  # fmt: skip


def _visit(mary: uuid.UUID, visit: uuid.UUID) -> VisitScheduled:
    start = NOW - timedelta(days=1)
    return VisitScheduled(
        visit_id=visit, individual_id=mary, package_id=uuid.uuid5(mary, "package"), locality="leeds",
        local_date=date(2026, 11, 22), planned_start=start, planned_end=start + timedelta(minutes=30),
        window_start=start - timedelta(minutes=30), window_end=start + timedelta(minutes=30),
        tasks=["medication"], workers_required=1, workers=[], address=ADDRESS,
        location={"lat": 53.81234, "lon": -1.56789}, visit_kind="morning",
    )  # fmt: skip


async def _everything(feed: Feed, mary: uuid.UUID) -> list[dict[str, Any]]:
    """Every stored copy of Mary's home in the visits service (the home and her expected visits)."""
    found = await feed.rows("SELECT version, lat, lon, phone FROM homes WHERE individual_id = :i", i=mary)
    found += await feed.rows(
        "SELECT visit_id, address, home_lat, home_lon FROM expected_visits WHERE individual_id = :i", i=mary
    )
    return found


async def test_an_anonymised_individual_leaves_no_phone_or_address_in_visits(feed: Feed) -> None:
    mary, visit = uuid.uuid4(), uuid.uuid4()
    await feed.deliver(feed.envelope(_record(IndividualRegistered, mary, 1), NOW - timedelta(days=2)))
    scheduled = feed.envelope(_visit(mary, visit), NOW - timedelta(days=2))
    await feed.deliver(scheduled)
    before = repr(await _everything(feed, mary))
    assert PHONE in before
    assert "Elm Grove" in before
    assert "53.81234" in before

    anonymised = IndividualAnonymised(
        individual_id=mary, version=2, locality="leeds", care_ended_on=date(2018, 6, 1),
        retained_until=date(2026, 6, 1), anonymised_at=NOW,
    )  # fmt: skip
    once = feed.envelope(anonymised, NOW)
    await feed.deliver(once)

    after = await _everything(feed, mary)
    text = repr(after)
    for detail in (PHONE, "Elm Grove", "LS6", "53.81234", "-1.56789"):
        assert detail not in text
    [home] = await feed.rows("SELECT version, lat, lon, phone FROM homes WHERE individual_id = :i", i=mary)
    assert (home["version"], home["lat"], home["lon"], home["phone"]) == (2, 53.8, -1.6, None)
    [kept] = await feed.rows(
        "SELECT visit_id, address, home_lat, home_lon FROM expected_visits WHERE individual_id = :i", i=mary
    )
    assert (kept["address"], kept["home_lat"], kept["home_lon"]) == (REMOVED, 53.8, -1.6)

    # Older news arriving late: people's record from before, the rota's visit event redelivered.
    await feed.deliver(feed.envelope(_record(IndividualUpdated, mary, 1), NOW + timedelta(minutes=1)))
    await feed.deliver(feed.envelope(_visit(mary, visit), NOW - timedelta(days=2)))
    assert await _everything(feed, mary) == after
    # The broker redelivers the anonymisation; people's retry comes under a new id: no change.
    await feed.deliver(once)
    await feed.deliver(feed.envelope(anonymised, NOW + timedelta(minutes=2)))
    assert await _everything(feed, mary) == after


async def test_an_anonymisation_before_the_home_keeps_an_older_record_out(feed: Feed) -> None:
    joan = uuid.uuid4()
    anonymised = IndividualAnonymised(
        individual_id=joan, version=5, locality="leeds", care_ended_on=date(2018, 6, 1),
        retained_until=date(2026, 6, 1), anonymised_at=NOW,
    )  # fmt: skip
    await feed.deliver(feed.envelope(anonymised, NOW))
    await feed.deliver(feed.envelope(_record(IndividualUpdated, joan, 4), NOW + timedelta(minutes=1)))
    homes = await feed.rows("SELECT version, lat, lon, phone FROM homes WHERE individual_id = :i", i=joan)
    assert [(h["version"], h["lat"], h["lon"], h["phone"]) for h in homes] == [(5, None, None, None)]
