"""``rounds bench visits`` in miniature: it drives the real service process and counts what it sent."""

from __future__ import annotations

import pytest

from rounds.bench.visits import RECORDS_PER_VISIT, run

pytestmark = pytest.mark.integration


async def test_the_ingest_benchmark_accepts_every_record_once_and_drains_the_outbox(
    kafka_bootstrap: str,
) -> None:
    result = await run(
        visits=6, concurrency=[2], retry_share=0.5, postgres=None, bootstrap=kafka_bootstrap, seed=3
    )
    [level] = result["levels"]
    assert result["database"] == "sqlite"
    assert level["accepted"] == 6 * RECORDS_PER_VISIT  # every record once
    assert level["replayed"] == level["requests"] - level["accepted"]  # the retries got the original answer
    assert level["errors"] == 0
    assert level["drained_s"] >= 0  # everything announced left the outbox for the broker
    assert result["machine"]["cores"] >= 1


async def test_the_monitor_wave_benchmark_raises_every_late_once_across_replicas() -> None:
    from rounds.bench.visits import monitor_wave

    result = await monitor_wave(visits=30, replicas=2, postgres=None, batch_size=7)
    assert sum(result["raised_per_replica"]) == result["conditions_stored"] == result["late_events"] == 30
