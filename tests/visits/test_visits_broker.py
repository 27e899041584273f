"""The visits service running for real: rota's and people's events in over the broker, the monitor
firing within 2 s of a threshold on the system clock, and its events out on rounds.visits.telemetry."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import httpx
import pytest

from rounds.contracts.people import GeoPoint, IndividualRegistered
from rounds.contracts.rota import VisitScheduled
from rounds.infra.cloudevents import Envelope
from rounds.infra.kafka import KafkaPublisher
from rounds.infra.migrations import upgrade_head
from services.visits.main import VisitsRuntime, create_app
from services.visits.settings import VisitsSettings
from tests.integration.kit import consume_from_now, eventually, read_for
from tests.visits.conftest import worker_actor
from tests.visits.factories import HOME

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_visits_from_the_rota_are_monitored_and_announced_on_the_broker(
    database_url: str, kafka_bootstrap: str
) -> None:
    await asyncio.to_thread(upgrade_head, "visits", database_url)
    settings = VisitsSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_session_timeout_ms=3000,
        outbox_poll_seconds=0.1,
        monitor_poll_seconds=0.5,
    )
    app = create_app(settings)  # the system clock: the monitor runs in real time
    runtime: VisitsRuntime = app.state.runtime
    await consume_from_now(runtime.consumer, runtime.settings.kafka_bootstrap_servers)
    await runtime.start()
    publisher = KafkaPublisher(settings, client_id="test.rota")
    individual, worker, late_visit, on_time = uuid4(), uuid4(), uuid4(), uuid4()
    now = datetime.now(UTC)

    def scheduled(visit_id: object, start: datetime) -> VisitScheduled:
        return VisitScheduled(
            visit_id=visit_id, individual_id=individual, package_id=uuid4(), locality="Knaresborough",
            local_date=date.today(), planned_start=start, planned_end=start + timedelta(minutes=30),
            window_start=start, window_end=start + timedelta(minutes=15), tasks=["lunch"],
            workers_required=1, workers=[worker], address="2 High Street",
        )  # fmt: skip

    home = IndividualRegistered(
        individual_id=individual, version=1, given_name="Edna", family_name="Hale", locality="Knaresborough",
        status="active", address="2 High Street", location=GeoPoint(lat=HOME.lat, lon=HOME.lon),
    )  # fmt: skip
    first = [home, scheduled(on_time, now + timedelta(minutes=5))]
    try:
        await publisher.send_batch(
            [Envelope.wrap(e, source="/rounds/test", time=now, trace_headers={}).to_kafka() for e in first]
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://visits"
        ) as client:

            async def expected(visit_id: object) -> bool:
                got = await client.get(f"/visits/{visit_id}", headers=worker_actor(worker))
                return got.status_code == 200

            await eventually(lambda: expected(on_time), timeout=60)  # the consumer is in its group
            # Now a visit whose late threshold (start + 15 min) passes 12 s from now (room for a busy broker).
            deadline = datetime.now(UTC) + timedelta(seconds=12)
            late_envelope = Envelope.wrap(
                scheduled(late_visit, deadline - timedelta(minutes=15)),
                source="/rounds/test", time=datetime.now(UTC), trace_headers={},
            )  # fmt: skip
            # Kafka delivers at least once: the schedule arrives twice and counts once.
            await publisher.send_batch([late_envelope.to_kafka(), late_envelope.to_kafka()])
            await eventually(lambda: expected(late_visit), timeout=30, every=0.1)
            known_at = datetime.now(UTC)
            assert known_at < deadline, (
                f"the visit arrived {known_at - deadline} after its deadline: too slow to time"
            )
            checked_in = await client.post(
                f"/visits/{on_time}/check-in",
                json={"record_id": str(uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
                      "method": "gps", "position": {"lat": HOME.lat, "lon": HOME.lon, "accuracy_m": 8}},
                headers=worker_actor(worker),
            )  # fmt: skip
            assert checked_in.status_code == 201, checked_in.text
            assert checked_in.json()["flagged"] is False  # the home's coordinates came from people's event

        async def announced() -> bool:
            records = await read_for(kafka_bootstrap, "rounds.visits.telemetry", 1.0)
            mine = [r for r in records if r.key in (str(late_visit).encode(), str(on_time).encode())]
            types = {dict(r.headers)["ce_type"].decode() for r in mine}
            return {"rounds.visit.late.v1", "rounds.visit.checked_in.v1"} <= types

        await eventually(announced, timeout=60, every=0.5)
        records = await read_for(kafka_bootstrap, "rounds.visits.telemetry", 1.0)
        late = [json.loads(r.value) for r in records if dict(r.headers)["ce_type"] == b"rounds.visit.late.v1"
                and r.key == str(late_visit).encode()]  # fmt: skip
        assert len(late) == 1  # once, though the schedule was delivered twice
        raised_at = datetime.fromisoformat(late[0]["raised_at"])
        deadline = datetime.fromisoformat(late[0]["deadline"])
        assert timedelta(0) <= raised_at - deadline <= timedelta(seconds=2)
    finally:
        await publisher.close()
        await runtime.stop()
