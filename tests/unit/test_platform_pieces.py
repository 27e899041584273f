"""Settings, topology, clock and domain rules of the spine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rounds.infra.clock import FrozenClock
from rounds.infra.db import UtcDateTime
from rounds.infra.settings import ServiceSettings
from rounds.infra.topology import SERVICE_NAMES, load_topology
from services.people.domain.workers import normalise_skills
from services.rota.domain.workforce import RotaWorker


def test_topology_declares_every_service_a_port_and_a_dead_letter_topic() -> None:
    topology = load_topology()
    assert tuple(s.name for s in topology.services) == SERVICE_NAMES
    ports = [s.port for s in topology.services] + [topology.gateway_port]
    assert len(set(ports)) == len(ports)
    assert not set(ports) & {5432, 3306, 6379, 5672, 1883, 4222}
    for name in SERVICE_NAMES:
        assert topology.dead_letter_topic(name) == f"rounds.{name}.dlq"
    assert all(t.partitions >= 1 and t.retention_ms > 0 for t in topology.topics)


def test_each_service_reads_its_own_prefix_and_the_shared_broker_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("ROUNDS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ROUNDS_ROTA_DATABASE_URL", "postgresql+asyncpg://rota@db/rota")
    rota = ServiceSettings.for_service("rota")
    people = ServiceSettings.for_service("people")

    assert rota.kafka_bootstrap_servers == people.kafka_bootstrap_servers == "kafka:9092"
    assert rota.database_url == "postgresql+asyncpg://rota@db/rota"
    assert people.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'people.db'}"
    assert (rota.port, people.port) == (8102, 8101)
    assert people.provider_time_zone == "Europe/London"


def test_the_frozen_clock_moves_only_when_told() -> None:
    clock = FrozenClock(datetime(2026, 10, 25, 0, 59, tzinfo=UTC))
    clock.advance(timedelta(minutes=2))
    assert clock.now() == datetime(2026, 10, 25, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        FrozenClock(datetime(2026, 10, 25))


def test_timestamps_are_stored_in_utc_and_naive_ones_are_refused() -> None:
    column = UtcDateTime()
    from zoneinfo import ZoneInfo

    # 01:30 BST on the day the clocks go back is 00:30 UTC.
    london = datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("Europe/London"))
    stored = column.process_bind_param(london, dialect=None)  # type: ignore[arg-type]
    assert stored == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert column.process_result_value(datetime(2026, 10, 25, 0, 30), dialect=None) == stored  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2026, 10, 25, 1, 30), dialect=None)  # type: ignore[arg-type]


def test_skills_are_matched_trimmed_lower_case_and_once() -> None:
    assert normalise_skills([" Medication", "medication", "", "PEG feeding "]) == [
        "medication",
        "peg feeding",
    ]


def test_the_rota_allocates_only_workers_holding_every_required_skill() -> None:
    from uuid import uuid4

    worker = RotaWorker(uuid4(), "Ben", "Okafor", "care_worker", "Ripon", ["medication", "personal_care"])
    assert worker.has_skills({"medication"})
    assert not worker.has_skills({"medication", "hoist"})
