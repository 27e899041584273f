"""The rota honours people's anonymisation (docs/people.md, retention; 000 K66).

Through the rota's real consumer: an individual with a package and visits is anonymised; raw SQL then
finds no address and no exact home in the record, the package or the visits (whose ids and history
stay); an older record arriving afterwards and a redelivery change nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from rounds.contracts.people import (
    CarePlanAgreed,
    GeoPoint,
    IndividualAnonymised,
    IndividualRegistered,
    IndividualUpdated,
    PlanVisit,
)
from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from rounds.infra.service import ServiceRuntime
from services.rota.consumers import subscriptions_for
from services.rota.domain.greedy import GreedyEngine
from services.rota.domain.travel import StraightLineTravel
from services.rota.handlers import RotaConfig
from services.rota.settings import RotaSettings
from services.rota.unit_of_work import RotaUnitOfWork
from tests.reliability.anonymised_kit import REMOVED, Feed, json_of

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
ADDRESS = "4 Elm Grove, Leeds LS6 2AA"


@pytest.fixture
async def feed(database_url: str) -> AsyncIterator[Feed]:
    await asyncio.to_thread(upgrade_head, "rota", database_url)
    config = RotaConfig(
        time_zone="Europe/London",
        horizon_days=3,
        travel=StraightLineTravel(road_factor=1.35),
        engines={"greedy": GreedyEngine()},
    )
    settings = RotaSettings(database_url=database_url, kafka_bootstrap_servers="127.0.0.1:9")
    runtime = ServiceRuntime(settings, RotaUnitOfWork, subscriptions_for(config), FrozenClock(NOW))
    yield Feed(runtime, subscriptions_for(config), "rota")
    await runtime.stop()


def _record(cls: type[IndividualRegistered] | type[IndividualUpdated], mary: uuid.UUID, version: int) -> Any:
    return cls(
        individual_id=mary, version=version, given_name="Mary", family_name="Hughes", locality="leeds",
        status="active", address=ADDRESS, location=GeoPoint(lat=53.81234, lon=-1.56789),
        phone="+447700900123", carer_gender="female",
    )  # fmt: skip


async def _everything(feed: Feed, mary: uuid.UUID) -> str:
    """Every stored copy of Mary in the rota, as text (what a person reading the tables would see)."""
    found = await feed.rows("SELECT version, record FROM individuals WHERE id = :i", i=mary)
    found += await feed.rows("SELECT document FROM packages WHERE individual_id = :i", i=mary)
    found += await feed.rows("SELECT document FROM visits WHERE individual_id = :i", i=mary)
    return repr(found)


async def test_an_anonymised_individual_leaves_no_address_in_the_rota(feed: Feed) -> None:
    mary = uuid.uuid4()
    morning = PlanVisit(
        id="morning", name="Morning", weekdays=list(range(7)), preferred_start="08:00", duration_minutes=30
    )
    plan = CarePlanAgreed(
        individual_id=mary, plan_id=uuid.uuid5(mary, "plan"), version=1, locality="leeds",
        start_date=date(2026, 11, 1), visits=[morning], agreed_at=NOW,
    )  # fmt: skip
    await feed.deliver(feed.envelope(_record(IndividualRegistered, mary, 1), NOW))
    await feed.deliver(feed.envelope(plan, NOW))
    visit_ids = {r["id"] for r in await feed.rows("SELECT id FROM visits WHERE individual_id = :i", i=mary)}
    assert visit_ids, "the package made no visits"
    before = await _everything(feed, mary)
    assert "Elm Grove" in before
    assert "53.81234" in before

    anonymised = IndividualAnonymised(
        individual_id=mary, version=2, locality="leeds", care_ended_on=date(2018, 6, 1),
        retained_until=date(2026, 6, 1), anonymised_at=NOW,
    )  # fmt: skip
    once = feed.envelope(anonymised, NOW + timedelta(minutes=1))
    await feed.deliver(once)

    after = await _everything(feed, mary)
    assert "Elm Grove" not in after
    assert "LS6" not in after
    assert "53.81234" not in after
    assert "-1.56789" not in after
    [individual] = await feed.rows("SELECT version, record FROM individuals WHERE id = :i", i=mary)
    assert individual["version"] == 2
    record = json_of(individual["record"])
    assert record["address"] == REMOVED
    assert record["location"] == {"lat": 53.8, "lon": -1.6}
    # The visits stay, with their ids: the history is kept, only the house cannot be found.
    assert {r["id"] for r in await feed.rows("SELECT id FROM visits WHERE individual_id = :i", i=mary)} == (
        visit_ids
    )

    # An older record arriving late (a producer's retry from before) brings nothing back.
    await feed.deliver(feed.envelope(_record(IndividualUpdated, mary, 1), NOW + timedelta(minutes=2)))
    assert await _everything(feed, mary) == after
    # The broker redelivers the anonymisation, and people's retry comes under a new id: no change.
    await feed.deliver(once)
    await feed.deliver(feed.envelope(anonymised, NOW + timedelta(minutes=3)))
    assert await _everything(feed, mary) == after


async def test_an_anonymisation_before_any_record_keeps_a_later_older_record_out(feed: Feed) -> None:
    joan = uuid.uuid4()
    anonymised = IndividualAnonymised(
        individual_id=joan, version=5, locality="leeds", care_ended_on=date(2018, 6, 1),
        retained_until=date(2026, 6, 1), anonymised_at=NOW,
    )  # fmt: skip
    await feed.deliver(feed.envelope(anonymised, NOW))
    await feed.deliver(feed.envelope(_record(IndividualUpdated, joan, 4), NOW + timedelta(minutes=1)))
    rows = await feed.rows("SELECT version, record FROM individuals WHERE id = :i", i=joan)
    assert [(r["version"], json_of(r["record"])) for r in rows] == [(5, None)]
    assert "Elm Grove" not in await _everything(feed, joan)
