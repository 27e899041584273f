"""Packages from people's events: an agreed plan and the individual's record become visits (003 P14).

Through the real broker: people's events arrive as CloudEvents, the consumer derives the package,
generates its visits and announces them; a stay in hospital pauses them and coming home brings them
back (000 P43). Through the handlers: versions only move forward, and workers who may not work or
have left are not planned.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from rounds.contracts.base import Event
from rounds.contracts.people import (
    CarePlanAgreed,
    GeoPoint,
    IndividualRegistered,
    IndividualStatusChanged,
    IndividualUpdated,
    PlanVisit,
    WorkerComplianceChanged,
    WorkerRegistered,
)
from rounds.infra.cloudevents import Envelope
from rounds.infra.kafka import KafkaPublisher
from rounds.infra.messaging_tables import outbox
from services.rota import handlers
from tests.integration.kit import consume_from_now, eventually
from tests.rota.conftest import EVERY_DAY, NOW, TOMORROW

pytestmark = pytest.mark.integration


def _individual(individual_id: uuid.UUID, version: int = 1, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "individual_id": individual_id,
        "version": version,
        "given_name": "Mary",
        "family_name": "Hughes",
        "locality": "leeds",
        "status": "active",
        "address": "4 Elm Grove",
        "location": GeoPoint(lat=53.81, lon=-1.56),
        "carer_gender": "female",
    }
    return {**fields, **changes}


def _plan(individual_id: uuid.UUID, version: int, *lines: PlanVisit) -> CarePlanAgreed:
    return CarePlanAgreed(
        individual_id=individual_id,
        plan_id=uuid.uuid5(individual_id, "plan"),
        version=version,
        locality="leeds",
        start_date=date(2026, 11, 1),
        visits=list(lines),
        agreed_at=NOW,
    )


MORNING = PlanVisit(
    id="morning", name="Morning call", weekdays=list(range(7)), preferred_start="08:00",
    duration_minutes=45, tasks=["wash", "breakfast"], workers_required=2, required_skills=["Hoist"],
)  # fmt: skip
EVENING = PlanVisit(
    id="evening", name="Bed", weekdays=list(range(7)), preferred_start="20:30", duration_minutes=30
)


async def _day(rota: httpx.AsyncClient, day: date = TOMORROW) -> dict[str, dict[str, Any]]:
    response = await rota.get("/visits", params={"date": str(day)})
    assert response.status_code == 200, response.text
    return {v["id"]: v for v in response.json()}


async def _outbox(rota: httpx.AsyncClient) -> list[Any]:
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        rows = await session.execute(sa.select(outbox.c.type, outbox.c.data))
        return [(row.type, json.loads(row.data)) for row in rows]


async def test_an_agreed_plan_on_the_broker_becomes_visits_that_pause_in_hospital(
    rota: httpx.AsyncClient,
) -> None:
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    await consume_from_now(runtime.consumer, runtime.settings.kafka_bootstrap_servers)
    await runtime.start()
    publisher = KafkaPublisher(runtime.settings, client_id="test.people")
    mary = uuid.uuid4()

    async def send(*events: Event) -> None:
        envelopes = [Envelope.wrap(e, source="/rounds/people", time=NOW, trace_headers={}) for e in events]
        await publisher.send_batch([e.to_kafka() for e in envelopes])

    try:
        plan = _plan(mary, 1, MORNING, EVENING)
        await send(IndividualRegistered(**_individual(mary)), plan, plan)  # at least once: twice

        async def two_visits_tomorrow() -> bool:
            return len(await _day(rota)) == 2

        await eventually(two_visits_tomorrow, timeout=60)  # includes joining the group
        visits = sorted((await _day(rota)).values(), key=lambda v: v["planned_start"])
        assert [v["planned_start"] for v in visits] == ["2026-11-24T08:00:00Z", "2026-11-24T20:30:00Z"]
        assert visits[0]["workers_required"] == 2
        assert visits[0]["tasks"] == ["wash", "breakfast"]
        assert all(v["status"] == "scheduled" for v in visits)

        # Into hospital from tomorrow: tomorrow's visits are cancelled, today's stay.
        await send(
            IndividualStatusChanged(
                individual_id=mary, version=2, locality="leeds", previous_status="active",
                status="in_hospital", effective_at=datetime(2026, 11, 24, tzinfo=UTC),
            )
        )  # fmt: skip

        async def cancelled() -> bool:
            return all(v["status"] == "cancelled" for v in (await _day(rota)).values())

        await eventually(cancelled, timeout=60)
        today = await _day(rota, date(2026, 11, 23))
        assert [v["status"] for v in today.values()] == ["scheduled", "scheduled"]

        await send(
            IndividualStatusChanged(
                individual_id=mary, version=3, locality="leeds", previous_status="in_hospital",
                status="active", effective_at=datetime(2026, 11, 24, 12, tzinfo=UTC),
            )
        )  # fmt: skip

        async def back_for_the_evening() -> bool:
            by_time = sorted((await _day(rota)).values(), key=lambda v: v["planned_start"])
            return [v["status"] for v in by_time] == ["cancelled", "scheduled"]  # home at noon

        await eventually(back_for_the_evening, timeout=60)
    finally:
        await publisher.close()

    sent = [(t, p) for t, p in await _outbox(rota) if p.get("individual_id") == str(mary)]
    types = Counter(t for t, _ in sent)
    assert types["rounds.visit.scheduled.v1"] == 4 * 2 + 5  # today and 3 days ahead, then 5 back
    assert types["rounds.visit.cancelled.v1"] == 3 * 2
    cancelled_payloads = [p for t, p in sent if t == "rounds.visit.cancelled.v1"]
    assert {p["reason"] for p in cancelled_payloads} == {"individual_status"}
    scheduled = next(p for t, p in sent if t == "rounds.visit.scheduled.v1" and p["visit_kind"] == "morning")
    assert scheduled["address"] == "4 Elm Grove"
    assert scheduled["location"] == {"lat": 53.81, "lon": -1.56}


async def test_plan_and_record_versions_only_move_forward(rota: httpx.AsyncClient) -> None:
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    config = rota.app.state.rota_config  # type: ignore[attr-defined]
    mary = uuid.uuid4()

    async def handle(event: Event) -> None:
        async with runtime.unit_of_work() as uow:
            if isinstance(event, CarePlanAgreed):
                await handlers.record_plan(uow, config, event)
            elif isinstance(event, IndividualRegistered | IndividualUpdated):
                await handlers.record_individual(uow, config, event)
            await uow.commit()

    await handle(_plan(mary, 1, MORNING, EVENING))  # the plan before the record: nothing to plan yet
    assert await _day(rota) == {}
    await handle(IndividualRegistered(**_individual(mary)))
    assert len(await _day(rota)) == 2
    await handle(_plan(mary, 2, MORNING))  # the evening visit stops
    assert [v["status"] for v in (await _day(rota)).values()].count("cancelled") == 1
    await handle(_plan(mary, 1, MORNING, EVENING))  # an old version redelivered: ignored
    assert [v["status"] for v in (await _day(rota)).values()].count("cancelled") == 1
    await handle(IndividualUpdated(**_individual(mary, 2, carer_gender="no preference", address="9 Oak St")))
    await handle(IndividualUpdated(**_individual(mary, 1, address="old address")))  # older: ignored
    types = Counter(t for t, _ in await _outbox(rota))
    # No gender preference any more changes what each future morning visit needs: all four re-announced.
    assert types["rounds.visit.changed.v1"] == 4
    async with runtime.unit_of_work() as uow:
        individual, plan = await uow.individuals.get(mary)
        package = await uow.packages.get(uuid.uuid5(mary, "agreed-care-plan"))
    assert individual is not None
    assert individual.address == "9 Oak St"
    assert plan is not None
    assert plan.version == 2
    assert package is not None
    assert (package.carer_gender, package.address, package.source_plan_version) == (None, "9 Oak St", 2)
    assert next(iter(package.visits)).required_skills == frozenset({"hoist"})


async def test_a_worker_who_may_not_work_is_not_planned(rota: httpx.AsyncClient) -> None:
    runtime = rota.app.state.runtime  # type: ignore[attr-defined]
    worker = uuid.uuid4()
    async with runtime.unit_of_work() as uow:
        registered = WorkerRegistered(
            worker_id=worker, given_name="Ann", family_name="Lee", role="care_worker", locality="leeds",
            gender="female", home_base=GeoPoint(lat=53.8, lon=-1.55), transport_mode="walk",
        )  # fmt: skip
        await handlers.record_worker(uow, registered, NOW)
        await uow.commit()
    profile = {"availability": EVERY_DAY}  # the coordinator gives the hours; people gave the rest
    assert (await rota.put(f"/workers/{worker}/planning-profile", json=profile)).status_code == 204
    async with runtime.unit_of_work() as uow:
        await handlers.record_compliance(
            uow,
            WorkerComplianceChanged(
                worker_id=worker, locality="leeds", day=date(2026, 11, 23), may_work=False,
                reasons=["dbs_recheck_overdue"], checked_at=NOW,
            ),
        )  # fmt: skip
        await uow.commit()
    async with runtime.unit_of_work() as uow:
        saved = await uow.planning.get(worker)
    assert saved is not None
    assert (saved.gender, saved.transport, saved.may_work) == ("female", "walk", False)
    await rota.post("/packages", json={
        "individual_id": str(uuid.uuid4()), "locality": "leeds", "location": {"lat": 53.81, "lon": -1.56},
        "start_date": "2026-11-01",
        "visits": [{"id": "tea", "weekdays": [0, 1], "preferred_start": "17:00", "duration_minutes": 30}],
    })  # fmt: skip
    run = await rota.post(
        "/planning-runs", json={"locality": "leeds", "date": str(TOMORROW), "engine": "greedy"}
    )
    await rota.app.state.planning_runner.drain()  # type: ignore[attr-defined]
    result = (await rota.get(f"/planning-runs/{run.json()['id']}")).json()["result"]
    assert result["workers_planned"] == 0
    assert result["indicators"]["unallocated_visits"] == 1
