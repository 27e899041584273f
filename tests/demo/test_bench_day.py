"""``rounds bench day`` in miniature: a tiny compressed day, every flow counted, and the counting itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from aiokafka import TopicPartition
from typer.testing import CliRunner

from rounds.bench._day_count import failed, flow, flows
from rounds.bench._day_platform import lag
from rounds.bench._day_script import Compression, chains, compressed_thresholds, script
from rounds.cli import app
from rounds.demo.day import DayRates
from rounds.embedded.broker import EmbeddedBroker

RECORD = "rounds.visit.checked_in.v1"
MISSED = "rounds.visit.missed.v1"


def _day_events(records: list[str]) -> list[tuple[str, dict[str, str]]]:
    return [(RECORD, {"record_id": r}) for r in records] + [(MISSED, {"visit_id": "v1"})]


def test_a_record_missing_from_the_topic_is_counted_lost_and_fails_the_day() -> None:
    events = _day_events(["r1", "r2"])  # r3 was accepted and never announced
    rows = flows(["r1", "r2", "r3"], events, [("v1", "visit_missed")], [], [], ["v1"])
    [records] = [row for row in rows if row["flow"].startswith("app records")]
    assert (records["in"], records["out"], records["lost"], records["lost_ids"]) == (3, 2, 1, ["r3"])
    assert failed(rows) == [records["flow"]]


def test_an_event_twice_or_an_alert_condition_twice_is_a_duplicate() -> None:
    events = _day_events(["r1", "r1"])
    rows = flows(["r1"], events, [("v1", "visit_missed"), ("v1", "visit_missed")], [], [], ["v1"])
    by_flow = {row["flow"]: row for row in rows}
    assert (
        by_flow["app records accepted (201) -> record events on rounds.visits.telemetry"]["duplicated"] == 1
    )
    assert by_flow["visit missed events -> alert conditions (alerts DB)"]["duplicated"] == 1
    assert len(failed(rows)) == 2


def test_a_day_with_everything_once_passes_and_unexpected_ids_are_reported_not_failed() -> None:
    rows = flows(["r1"], _day_events(["r1", "r9"]), [("v1", "visit_missed")], [], [], ["v1"])
    assert failed(rows) == []
    assert rows[0]["unexpected"] == 1
    assert flow("f", [], {})["in"] == 0


def test_lag_counts_from_the_committed_offset_and_uncommitted_partitions_as_the_group_starts() -> None:
    a, b = TopicPartition("t", 0), TopicPartition("t", 1)
    assert lag({a: 10, b: 4}, {a: 7}) == 3 + 4  # a new group starts at the earliest offset
    assert lag({a: 10, b: 4}, {a: 7}, from_zero=False) == 3  # one that starts at the latest owes nothing


def test_the_compressed_day_keeps_each_apps_order_and_divides_the_thresholds() -> None:
    day = script(40, 7, date(2026, 11, 23), "test")
    origin, last = day.span()
    clock = Compression(origin, datetime(2026, 11, 23, 12, tzinfo=UTC), speed=600)
    sent = chains(day, clock)
    assert sum(len(c) for c in sent) == day.records
    for chain in sent:
        assert [s.due_s for s in chain] == sorted(s.due_s for s in chain)
        assert chain[0].kind == "check_in"
    assert max(s.due_s for c in sent for s in c) == pytest.approx((last - origin).total_seconds() / 600)
    assert compressed_thresholds(600)["late_after"] == pytest.approx(15 / 600)


def test_an_unknown_database_is_refused_naming_the_option() -> None:
    result = CliRunner().invoke(app, ["bench", "day", "--database", "mysql"])
    assert result.exit_code == 2
    assert "--database" in result.output


@pytest.fixture
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    # A broker of its own: the services' consumer groups would otherwise start on other tests' events.
    with EmbeddedBroker(log_dir=tmp_path_factory.mktemp("day-broker")) as broker:
        yield broker


@pytest.mark.integration
async def test_a_tiny_day_loses_and_duplicates_nothing(own_broker: EmbeddedBroker) -> None:
    from rounds.bench.day import run, tables

    result = await run(
        visits=24,
        day_seconds=10.0,
        seed_value=7,
        database="sqlite",
        bootstrap=own_broker.bootstrap_servers,
        connections=8,
        settle_timeout=60.0,
        rates=DayRates(missed=0.3, never_checked_out=0.1),
    )
    assert result["benchmark"] == "day"
    assert result["failed"] == []
    assert result["accepted"] == result["sent"] > 0
    by_flow = {row["flow"]: row for row in result["flows"]}
    records = by_flow["app records accepted (201) -> record events on rounds.visits.telemetry"]
    assert records["in"] == records["out"] == result["accepted"]
    missed = by_flow["visits scripted as missed -> VisitMissed on the topic"]
    assert missed["in"] == missed["out"] > 0  # the monitor raised every visit nobody went to
    assert by_flow["visit missed events -> alert conditions (alerts DB)"]["out"] >= missed["in"]
    assert result["settled_s"] is not None
    for name in ("lag rounds.alerts", "lag rounds.gateway.webhooks", "outbox visits", "outbox alerts"):
        points = result["series"][name]
        assert points
        assert all(len(p) == 2 for p in points)
    assert {"cores", "memory_bytes"} <= set(result["machine"])
    assert result["national"]["visits"] == 1_500_000
    assert len(tables(result)) == 2
