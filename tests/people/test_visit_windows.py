"""The rota's visits, on the real broker, decide which worker may read a key-safe code and when (000 P16)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from rounds.contracts.rota import VisitAllocated, VisitCancelled
from rounds.infra.clock import FrozenClock
from rounds.infra.cloudevents import Envelope
from rounds.infra.kafka import KafkaPublisher
from tests.integration.kit import consume_from_now, eventually
from tests.people.conftest import NOW
from tests.people.test_individuals_api import EDNA
from tests.people.test_oncall_api import MANAGER

pytestmark = pytest.mark.integration


def worker(worker_id: str) -> dict[str, str]:
    return {"X-Rounds-Actor": json.dumps({"sub": "u", "role": "care_worker", "worker_id": worker_id})}


def visit(
    kind: type[VisitAllocated] | type[VisitCancelled], visit_id: UUID, edna: str, workers: list[str]
) -> Any:
    # 10:30 to 11:15 in London (09:30-10:15 UTC), startable from 10:00 to 11:00.
    return kind(
        visit_id=visit_id,
        individual_id=UUID(edna),
        package_id=uuid4(),
        locality="Harrogate",
        local_date=date(2026, 6, 1),
        planned_start=NOW + timedelta(minutes=30),
        planned_end=NOW + timedelta(minutes=75),
        window_start=NOW,
        window_end=NOW + timedelta(minutes=60),
        workers_required=1,
        workers=[UUID(w) for w in workers],
    )


async def test_only_the_allocated_worker_reads_the_code_and_a_reallocation_or_cancellation_takes_it_away(
    people: httpx.AsyncClient, clock: FrozenClock
) -> None:
    runtime = people.app.state.runtime  # type: ignore[attr-defined]
    await consume_from_now(runtime.consumer, runtime.settings.kafka_bootstrap_servers)
    await runtime.start()
    edna = (await people.post("/individuals", json=EDNA)).json()["id"]
    coordinator = {"X-Rounds-Actor": json.dumps({"sub": "c", "role": "coordinator"})}
    await people.put(
        f"/individuals/{edna}/access-notes", json={"notes": "n", "key_safe_code": "4821"}, headers=coordinator
    )
    dee = (
        await people.post("/workers", json={**MANAGER, "role": "care_worker", "given_name": "Dee"})
    ).json()["id"]
    eve = (
        await people.post("/workers", json={**MANAGER, "role": "care_worker", "given_name": "Eve"})
    ).json()["id"]
    notes = f"/individuals/{edna}/access-notes"
    assert (await people.get(notes, headers=worker(dee))).status_code == 403

    visit_id = uuid4()
    publisher = KafkaPublisher(runtime.settings, client_id="test.rota")

    async def publish(event: Any) -> None:
        envelope = Envelope.wrap(event, source="/rounds/rota", time=clock.now(), trace_headers={})
        await publisher.send_batch([envelope.to_kafka(), envelope.to_kafka()])  # at least once: twice

    async def reads(worker_id: str, status: int) -> bool:
        return (await people.get(notes, headers=worker(worker_id))).status_code == status

    try:
        await publish(visit(VisitAllocated, visit_id, edna, [dee]))
        await eventually(lambda: reads(dee, 200), timeout=60)
        assert (await people.get(notes, headers=worker(dee))).json()["key_safe_code"] == "4821"
        assert await reads(eve, 403)

        clock.advance(timedelta(hours=3))  # long after the visit and its grace: no more
        assert await reads(dee, 403)
        clock.advance(timedelta(hours=-3))

        await publish(visit(VisitAllocated, visit_id, edna, [eve]))
        await eventually(lambda: reads(eve, 200), timeout=60)
        assert await reads(dee, 403)

        await publish(visit(VisitCancelled, visit_id, edna, [eve]))
        await eventually(lambda: reads(eve, 403), timeout=60)
    finally:
        await publisher.close()
