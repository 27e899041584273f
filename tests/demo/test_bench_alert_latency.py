"""``rounds bench alert-latency`` in miniature: real visits and alerts, each missed visit paged once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from rounds.bench import _alert_latency_day as day
from rounds.bench.alert_latency import STAGES, summary
from rounds.cli import app
from services.visits.domain import monitor
from services.visits.domain.monitor import Thresholds
from services.visits.domain.visits import VisitState


def test_the_day_is_attended_up_to_now_and_nothing_else_falls_due_within_ten_minutes() -> None:
    now = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # 17:00 in London: inside the day
    plan = day.plan_day(now, visits=1_000, missed=10)
    assert len(plan.visits) == 990
    assert len(plan.workers) == 99 + 10  # ten visits per worker, and one each for the missed visits
    assert plan.day_start == datetime(2026, 6, 10, 6, 0, tzinfo=UTC)  # 07:00 BST
    assert max(s.visit.planned_start for s in plan.visits) < plan.day_start + timedelta(hours=15)
    for seeded in plan.visits:
        state = VisitState(
            seeded.visit, {seeded.attendance.worker_id: seeded.attendance} if seeded.attendance else {}
        )
        due = monitor.next_deadline(state, Thresholds())
        assert (seeded.attendance is not None) == (seeded.visit.planned_start < now)
        assert due is None or due >= now + timedelta(minutes=15)


def test_a_missed_visit_is_missed_at_its_instant_and_was_late_before_the_window() -> None:
    now = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)
    plan = day.plan_day(now, visits=100, missed=4)
    instants = day.missed_instants(now + timedelta(seconds=10), 8.0, 4)
    assert instants == [now + timedelta(seconds=s) for s in (11, 13, 15, 17)]
    seeded = day.missed_visits(plan, instants, now)
    assert len({s.visit.workers for s in seeded}) == 4  # a worker each: four alerts, not one run
    for item, instant in zip(seeded, instants, strict=True):
        pending = {d.condition: d.deadline for d in monitor.pending(VisitState(item.visit), Thresholds())}
        assert pending == {"late": instant - timedelta(minutes=15), "missed": instant}


def test_percentiles_are_nearest_rank_in_milliseconds() -> None:
    figures = summary([float(n) for n in range(1, 101)])
    assert (figures["count"], figures["p50_ms"], figures["p99_ms"], figures["max_ms"]) == (
        100,
        51.0,
        99.0,
        100.0,
    )
    assert summary([])["count"] == 0


def test_an_unknown_database_is_refused_naming_the_option() -> None:
    result = CliRunner().invoke(app, ["bench", "alert-latency", "--database", "mysql"])
    assert result.exit_code == 2
    assert "--database" in result.output


@pytest.mark.integration
async def test_every_missed_visit_raises_one_alert_and_pages_the_manager_once(kafka_bootstrap: str) -> None:
    from rounds.bench.alert_latency import run, table

    result = await run(
        visits=2_000,
        missed=20,
        window_seconds=3.0,
        lead_seconds=4.0,
        database="sqlite",
        bootstrap=kafka_bootstrap,
    )
    assert result["benchmark"] == "alert-latency"
    assert (result["visits"], result["missed"]) == (2_000, 20)
    # Every missed visit: detected at the threshold planned, one alert, one page to the on-call manager.
    assert result["threshold_mismatches"] == 0
    assert result["alerts_per_missed_visit"] == [1]
    assert result["notifications_per_missed_visit"] == [1]
    for stage in STAGES:
        figures = result["stages"][stage]
        assert figures["count"] == 20
        assert 0 <= figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
        assert len(result["samples_ms"][stage]) == 20
    # Each stage comes after the one before it, visit by visit (nothing is raised before its threshold).
    assert min(result["samples_ms"]["detected"]) >= 0
    assert result["stages"]["detected"]["p50_ms"] <= result["stages"]["stored"]["p50_ms"]
    assert result["stages"]["stored"]["p50_ms"] <= result["stages"]["dispatched"]["p50_ms"]
    assert result["stages"]["stored"]["target_p99_ms"] == 1000.0
    assert result["stages"]["dispatched"]["target_p99_ms"] == 2000.0
    assert isinstance(result["stages"]["stored"]["pass"], bool)
    assert result["machine"]["cores"] >= 1
    assert len(result["load_average_after"]) == 3
    json.dumps(result)  # what the command writes
    assert table(result).row_count == 3
