"""Workers reach supervision from people's events on the real broker, once each (000 P6, 004 1.20)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from rounds.contracts.people import WorkerRegistered
from rounds.infra.cloudevents import Envelope
from rounds.infra.kafka import KafkaPublisher
from tests.integration.kit import consume_from_now, eventually
from tests.supervision.conftest import Supervision

pytestmark = pytest.mark.integration


async def test_a_registered_worker_becomes_a_supervisee_once_with_their_new_starter_status(
    s: Supervision,
) -> None:
    await consume_from_now(s.runtime.consumer, s.runtime.settings.kafka_bootstrap_servers)
    await s.runtime.start()
    starter, veteran = uuid4(), uuid4()
    publisher = KafkaPublisher(s.runtime.settings, client_id="test.people")
    try:
        envelopes = [
            Envelope.wrap(
                WorkerRegistered(
                    worker_id=worker,
                    given_name="Bea",
                    family_name="Oduya",
                    role="occupational_therapist",
                    locality="Selby",
                    start_date=start,
                ),
                source="/rounds/people",
                time=s.clock.now(),
                trace_headers={},
            )
            for worker, start in ((starter, date(2026, 2, 2)), (veteran, date(2018, 9, 3)))
        ]
        # The first event twice: Kafka delivers at least once, the inbox makes it count once.
        await publisher.send_batch([e.to_kafka() for e in (envelopes[0], envelopes[0], envelopes[1])])

        async def both_known() -> bool:
            responses = [await s.client.get(f"/workers/{w}") for w in (starter, veteran)]
            return all(r.status_code == 200 for r in responses)

        await eventually(both_known, timeout=60)
    finally:
        await publisher.close()
    new = (await s.client.get(f"/workers/{starter}")).json()
    old = (await s.client.get(f"/workers/{veteran}")).json()
    assert (new["new_starter"], new["on_probation"], new["start_date"]) == (True, True, "2026-02-02")
    assert (old["new_starter"], old["on_probation"]) == (False, False)
    compliance = (await s.client.get(f"/workers/{starter}/compliance")).json()
    assert [
        o["item"] for o in compliance["due"] + compliance["due_soon"] if o["rule"] == "probation_review"
    ] == ["month 1"]
