"""Continuity where the workforce allows it: only visits a known carer could have done count (issue 4)."""

from __future__ import annotations

from services.rota.domain.indicators import indicators, known_worker_could_go
from services.rota.domain.planning import Allocation, Plan
from tests.rota.test_rules import problem, visit, worker


def test_a_known_carer_counts_only_when_qualified_allowed_and_free_for_the_whole_visit() -> None:
    known = worker()
    on_shift = visit(known_workers=frozenset({known.id}))
    assert known_worker_could_go(problem([on_shift], [known]), on_shift)

    needs_hoist = visit(known_workers=frozenset({known.id}), required_skills=frozenset({"hoist"}))
    wants_a_man = visit(known_workers=frozenset({known.id}), carer_gender="male")
    refused = visit(known_workers=frozenset({known.id}), refused_workers=frozenset({known.id}))
    # The shift ends at 14:00: a 45-minute visit that may start no earlier than 13:30 does not fit.
    too_late = visit(known_workers=frozenset({known.id}), window_start=13 * 60 + 30, window_end=15 * 60)
    # Off sick all morning.
    sick = worker(id=known.id, absences=((7 * 60, 12 * 60),))
    strangers_only = visit(known_workers=frozenset())
    for v, w in [
        (needs_hoist, known), (wants_a_man, known), (refused, known), (too_late, known),
        (on_shift, sick), (strangers_only, known),
    ]:  # fmt: skip
        assert not known_worker_could_go(problem([v], [w]), v)


def test_the_share_counts_only_allocations_a_known_carer_could_have_done() -> None:
    known, stranger, other = worker(), worker(), worker()
    kept = visit(known_workers=frozenset({known.id}))
    lost = visit(known_workers=frozenset({known.id}), window_start=10 * 60, window_end=11 * 60)
    impossible = visit(known_workers=frozenset({other.id}), required_skills=frozenset({"hoist"}))
    day = problem([kept, lost, impossible], [known, stranger, other])
    plan = Plan(
        [
            Allocation(kept.id, known.id, 8 * 60),
            Allocation(lost.id, stranger.id, 10 * 60),
            Allocation(impossible.id, stranger.id, 8 * 60),
        ]
    )
    figures = indicators(day, plan)
    assert figures.known_possible_allocations == 2
    assert figures.continuity_where_possible == 0.5
    assert round(figures.continuity, 4) == round(1 / 3, 4)
