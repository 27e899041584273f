"""Supervision honours people's anonymisation (docs/people.md, retention; 000 K66).

Supervision keeps no copy of an individual's record, but feedback about a worker from an individual or
their key people names who gave it (``from_name``). Through the real consumer: after
``rounds.individual.anonymised.v1`` raw SQL finds no such name, the feedback itself stays, other
feedback is untouched; an older record and a redelivery change nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from rounds.contracts.people import GeoPoint, IndividualAnonymised, IndividualRegistered, IndividualUpdated
from rounds.infra.clock import FrozenClock
from rounds.infra.migrations import upgrade_head
from services.supervision.consumers import subscriptions
from services.supervision.domain.development import Feedback, FeedbackKind, FeedbackSource
from services.supervision.main import SupervisionRuntime
from services.supervision.settings import SupervisionSettings
from tests.reliability.anonymised_kit import Feed

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
async def feed(database_url: str) -> AsyncIterator[Feed]:
    await asyncio.to_thread(upgrade_head, "supervision", database_url)
    settings = SupervisionSettings(
        database_url=database_url, kafka_bootstrap_servers="127.0.0.1:9", notice_sweep_seconds=0
    )
    runtime = SupervisionRuntime(settings, FrozenClock(NOW))
    yield Feed(runtime, subscriptions, "supervision")
    await runtime.stop()


def _record(cls: type[IndividualRegistered] | type[IndividualUpdated], mary: uuid.UUID, version: int) -> Any:
    return cls(
        individual_id=mary, version=version, given_name="Mary", family_name="Hughes", locality="leeds",
        status="active", address="4 Elm Grove", location=GeoPoint(lat=53.81, lon=-1.56),
    )  # fmt: skip


async def _feedback(feed: Feed, worker: uuid.UUID, **about: Any) -> None:
    async with feed.runtime.unit_of_work() as uow:
        await uow.development.add_feedback(
            Feedback(
                id=uuid.uuid4(),
                worker_id=worker,
                kind=FeedbackKind.COMPLIMENT,
                received_on=date(2026, 11, 2),
                summary="Always on time and kind",
                recorded_by=uuid.uuid4(),
                created_at=NOW,
                **about,
            )
        )
        await uow.commit()


async def _state(feed: Feed) -> list[dict[str, Any]]:
    rows = await feed.rows("SELECT individual_id, key_person_id, from_name, summary FROM feedback")
    rows += await feed.rows("SELECT individual_id, version, active FROM individuals_seen")
    return sorted(rows, key=repr)


async def test_feedback_no_longer_names_an_anonymised_individual_or_key_person(feed: Feed) -> None:
    mary, joan, other, worker = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed.deliver(feed.envelope(_record(IndividualRegistered, mary, 1), NOW))
    await _feedback(
        feed, worker, source=FeedbackSource.INDIVIDUAL, individual_id=mary, from_name="Mary Hughes"
    )
    await _feedback(
        feed,
        worker,
        source=FeedbackSource.KEY_PERSON,
        individual_id=mary,
        key_person_id=joan,
        from_name="Joan",
    )
    await _feedback(feed, worker, source=FeedbackSource.INDIVIDUAL, individual_id=other, from_name="Ann Lee")
    assert "Mary Hughes" in repr(await _state(feed))

    anonymised = IndividualAnonymised(
        individual_id=mary, version=2, locality="leeds", key_person_ids=[joan],
        care_ended_on=date(2018, 6, 1), retained_until=date(2026, 6, 1), anonymised_at=NOW,
    )  # fmt: skip
    once = feed.envelope(anonymised, NOW + timedelta(minutes=1))
    await feed.deliver(once)

    after = await _state(feed)
    names = {r["from_name"] for r in await feed.rows("SELECT from_name FROM feedback")}
    assert names == {None, "Ann Lee"}  # only the anonymised individual's and key person's names went
    summaries = [r["summary"] for r in await feed.rows("SELECT summary FROM feedback")]
    assert summaries == ["Always on time and kind"] * 3  # what was said stays (the worker's record)
    seen = await feed.rows("SELECT version, active FROM individuals_seen WHERE individual_id = :i", i=mary)
    assert [(r["version"], bool(r["active"])) for r in seen] == [(2, False)]

    # An older record arriving late and redeliveries change nothing.
    await feed.deliver(feed.envelope(_record(IndividualUpdated, mary, 1), NOW + timedelta(minutes=2)))
    await feed.deliver(once)
    await feed.deliver(feed.envelope(anonymised, NOW + timedelta(minutes=3)))
    assert await _state(feed) == after
