"""``rounds bench ingest`` in miniature: the real gateway and visits, every event counted on Kafka."""

from __future__ import annotations

import asyncio
import time

import pytest
from typer.testing import CliRunner

from rounds.bench._ingest_load import Outcome, open_loop, percentile, summary
from rounds.cli import app


async def test_the_open_loop_charges_a_slow_server_for_the_queue_it_builds() -> None:
    # A server that answers one request at a time, 50 ms each, offered 100 a second: a closed loop would
    # see 50 ms every time; the open loop sees the queue grow, because arrivals do not wait for answers.
    lock = asyncio.Lock()

    async def send(_due: float) -> int:
        async with lock:
            await asyncio.sleep(0.05)
        return 201

    started = time.perf_counter()
    outcome = await open_loop([send] * 10, rate=100)
    assert outcome.statuses == {201: 10}
    assert time.perf_counter() - started >= 0.5  # ten answers of 50 ms in a row
    assert max(outcome.latencies) >= 0.35  # the last waited behind nine others (due at 0.09 s)
    assert min(outcome.latencies) < 0.1


def test_a_failed_answer_is_not_accepted_and_percentiles_are_nearest_rank() -> None:
    outcome = Outcome(latencies=[0.001 * n for n in range(1, 101)], statuses={201: 99, 0: 1}, seconds=2.0)
    figures = summary(outcome, frozenset({201}))
    assert (figures["accepted"], figures["errors"], figures["accepted_per_s"]) == (99, 1, 49.5)
    assert (figures["p50_ms"], figures["p99_ms"]) == (51.0, 99.0)
    assert percentile([], 0.99) == 0.0


def test_an_unknown_database_is_refused_naming_the_option() -> None:
    result = CliRunner().invoke(app, ["bench", "ingest", "--database", "mysql"])
    assert result.exit_code == 2
    assert "--database" in result.output


@pytest.mark.integration
async def test_every_event_accepted_through_the_gateway_is_on_the_topic_once(kafka_bootstrap: str) -> None:
    from rounds.bench.ingest import EVENTS_PER_VISIT, run, tables, verdict

    result = await run(
        rates=[15], step_seconds=2.0, ceiling_seconds=1.0, database="sqlite", bootstrap=kafka_bootstrap
    )
    [step] = result["steps"]
    visits = round(15 * 2.0 / EVENTS_PER_VISIT)
    # Every offered event got through the gateway, was stored, and its event reached Kafka exactly once.
    assert step["sent"] == step["accepted"] == visits * EVENTS_PER_VISIT
    assert step["errors"] == 0
    assert step["on_topic"] == step["accepted"]
    assert (step["lost"], step["duplicated"]) == (0, 0)
    for kind in ("checked_in", "task_recorded", "checked_out"):
        assert result["events_on_topic_by_type"][f"rounds.visit.{kind}.v1"] >= visits
    # The three paths side by side, the gateway as a share of each ceiling.
    gateway, bare, kafka = result["rows"]
    assert [row["name"] for row in result["rows"]] == ["gateway", "bare_fastapi", "raw_aiokafka"]
    assert bare["accepted"] > 0
    assert bare["errors"] == 0
    assert kafka["accepted"] > 0
    assert kafka["errors"] == 0
    assert bare["gateway_share_of_it"] == round(gateway["accepted_per_s"] / bare["accepted_per_s"], 3)
    assert kafka["value_bytes"] > 100  # the size of the telemetry events read back from the topic
    assert result["machine"]["cores"] >= 1
    assert result["machine"]["memory_bytes"]
    assert step["load_before"] is not None
    assert len(step["load_after"]) == 3
    # What each process spent per event: the gateway and visits did work, the bare endpoint less of it.
    assert step["cpu_ms_per_event"]["gateway"] > 0
    assert step["cpu_ms_per_event"]["visits"] > 0
    assert 0 < bare["cpu_ms_per_event"]["bare"] < step["cpu_ms_per_event"]["visits"]
    assert len(tables(result)) == 2
    assert "events/s" in verdict(result)
