"""Visits from the rota and workers' skills and plans from people reach supervision over the real broker.

An observation may then name the visit (000 P9), and the skills-gap report counts the worker and the
plan (000 P29-P30). A redelivered event counts once (the inbox); an older version changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from rounds.contracts.base import Event
from rounds.contracts.people import CarePlanAgreed, CompetencyHeld, PlanVisit, WorkerUpdated
from rounds.contracts.rota import VisitAllocated
from rounds.infra.cloudevents import Envelope
from rounds.infra.kafka import KafkaPublisher
from tests.integration.kit import consume_from_now, eventually
from tests.supervision.conftest import Supervision

pytestmark = pytest.mark.integration


async def test_visits_workers_and_plans_arrive_from_the_broker(s: Supervision) -> None:
    await consume_from_now(s.runtime.consumer, s.runtime.settings.kafka_bootstrap_servers)
    await s.runtime.start()
    start = datetime(2026, 2, 15, 8, tzinfo=UTC)
    visit = VisitAllocated(
        visit_id=uuid4(), individual_id=uuid4(), package_id=uuid4(), locality="Ripon",
        local_date=start.date(), planned_start=start, planned_end=start + timedelta(minutes=30),
        window_start=start, window_end=start + timedelta(minutes=30), workers_required=1,
        workers=[s.team.worker],
    )  # fmt: skip
    worker = uuid4()

    def updated(version: int, skills: list[str]) -> WorkerUpdated:
        return WorkerUpdated(
            worker_id=worker, version=version, given_name="Di", family_name="Ng", role="care_worker",
            locality="Ripon", status="active", skills=skills,
            competencies=[CompetencyHeld(name=skill) for skill in skills],
        )  # fmt: skip

    plan = CarePlanAgreed(
        individual_id=visit.individual_id, plan_id=uuid4(), version=1, locality="Ripon",
        start_date=date(2026, 2, 1), agreed_at=s.clock.now(),
        visits=[PlanVisit(id="am", name="Morning", weekdays=[0, 3], preferred_start="08:00",
                          duration_minutes=30, required_skills=["catheter_care"])],
    )  # fmt: skip
    # Version 2 first, then the stale version 1: the newer record stands. The visit comes twice.
    events: list[Event] = [visit, visit, updated(2, ["catheter_care"]), updated(1, []), plan]
    publisher = KafkaPublisher(s.runtime.settings, client_id="test.rota-and-people")
    try:
        envelopes = [
            Envelope.wrap(e, source="/rounds/test", time=s.clock.now(), trace_headers={}).to_kafka()
            for e in events
        ]
        await publisher.send_batch(envelopes)
    finally:
        await publisher.close()

    async def observed() -> bool:
        response = await s.client.post(
            f"/workers/{s.team.worker}/observations",
            json={
                "kind": "observation",
                "visit_id": str(visit.visit_id),
                "areas": [{"area": "Communication", "rating": "meets"}],
            },
            headers=s.as_(s.team.supervisor),
        )
        assert response.status_code in (201, 404), response.text
        return response.status_code == 201

    async def counted() -> bool:
        report = (await s.client.get("/skills-gap", params={"locality": "Ripon"})).json()
        return bool(report["localities"]) and report["localities"][0]["active_plans"] == 1

    await eventually(observed, timeout=60)
    await eventually(counted, timeout=30)
    (ripon,) = (await s.client.get("/skills-gap", params={"locality": "Ripon"})).json()["localities"]
    assert ripon["skills"] == [
        {
            "skill": "catheter_care",
            "plans": 1,
            "weekly_worker_visits": 2,
            "holders": 1,
            "lapsing": 0,
            "weekly_visits_per_holder": 2.0,
            "coverage": "thin",
        }
    ]
