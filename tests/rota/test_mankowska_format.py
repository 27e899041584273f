"""Reading Mankowska et al. (2014) instances: a real file from ../shared when present, and a tiny one."""

from __future__ import annotations

from pathlib import Path

import pytest

from rounds.bench._mankowska_format import Task, parse_best_known, parse_instance, read_instance

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "rota" / "mankowska"

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/rota/mankowska is absent")


@needs_data
def test_a_real_instance_is_read_section_by_section() -> None:
    instance = read_instance(DATA / "InstanzCPLEX_HCSRP_10_1.txt")
    assert instance.label == "A1"
    assert list(instance.patients) == list(range(1, 11))
    assert (instance.caregivers, instance.services) == (3, 6)
    # DS lists 11 10 9 (1-based): patients 8, 9 and 10 need two services.
    assert [p for p in instance.patients if instance.is_double(p)] == [8, 9, 10]
    assert instance.requires[8] == (4, 5)
    assert len(instance.tasks) == 13
    assert instance.tasks[-2:] == [Task(10, 2), Task(10, 5)]
    assert instance.qualified[0] == frozenset({0, 1, 2})
    assert instance.distance[0][1] == pytest.approx(38.470768)
    assert instance.processing[3][2] == 14.0
    assert (instance.min_gap[9], instance.max_gap[9]) == (51.0, 102.0)
    assert (instance.earliest[1], instance.latest[1]) == (345.0, 465.0)


@needs_data
def test_every_real_instance_parses_and_has_a_best_known_value() -> None:
    best = parse_best_known((DATA / "best_known.md").read_text())
    files = sorted(DATA.glob("Instanz*.txt"))
    assert len(files) == 70
    assert best["InstanzCPLEX_HCSRP_10_1"].cost == pytest.approx(218.199)
    labels = {read_instance(path).label for path in files if "_300_" not in path.name}
    assert {"A1", "B10", "F7"} <= labels
    assert {path.stem for path in files} <= set(best)


def test_a_patient_needing_more_services_than_ds_says_is_refused() -> None:
    text = "\n".join(
        [
            "nbNodes", "3", "nbVehi", "1", "nbServi", "2",
            "r", "1 1", "1 1", "1 1",
            "DS", "",
            "a", "1 1",
            "x", "0 1 0", "y", "0 0 0",
            "d", "0 1 0", "1 0 1", "0 1 0",
            "p", "0 0", "5 5", "0 0",
            "mind", "0 0 0", "maxd", "0 0 0", "e", "0 0 0", "l", "100 100 100",
        ]
    )  # fmt: skip
    with pytest.raises(ValueError, match="patient 1 needs 2 services"):
        parse_instance(text)
    assert parse_instance(text.replace("DS\n", "DS\n2")).is_double(1)


def test_the_best_known_table_gives_cost_and_parts() -> None:
    table = (
        "| instance | distance_traveled | max_tardiness | total_tardiness | total_cost | solution |\n"
        "|:--|--:|--:|--:|--:|:--|\n"
        "| X_10_2.json | 687.29 | 26.295 | 26.295 | 246.627 | sol.json |\n"
    )
    (row,) = parse_best_known(table).items()
    assert row[0] == "X_10_2"
    assert (row[1].distance, row[1].max_tardiness, row[1].cost) == (687.29, 26.295, 246.627)
