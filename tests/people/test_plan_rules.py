"""The plan lifecycle as pure domain rules (003 P14, P19, P30-P31): draft, both sign-offs, revise."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import uuid4

import pytest

from services.people.domain.plans import (
    CopyHolder,
    Need,
    PlanContent,
    PlanHistory,
    PlanIncomplete,
    PlanRuleBroken,
    PlanStateRefused,
    PlanStatus,
    PlanVersion,
    SignerKind,
    SignOff,
    VisitLine,
    check_content,
    edit_draft,
    revise,
    sign,
)

AT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
MORNING = VisitLine("morning", "Morning call", frozenset(range(7)), time(8), 45, tasks=("Wash", "Breakfast"))
COMPLETE = PlanContent(
    start_date=date(2026, 6, 8),
    review_date=date(2026, 9, 8),
    needs=(Need("help with personal care"),),
    outcomes=("stays at home safely",),
    visits=(MORNING,),
    monitoring="weekly call with her daughter; review at 3 months",
    copies_held_by=(CopyHolder("Edna Moss"),),
)


def draft(content: PlanContent = COMPLETE) -> PlanVersion:
    return PlanVersion(uuid4(), uuid4(), 1, PlanStatus.DRAFT, content, AT)


def signature(kind: SignerKind) -> SignOff:
    return SignOff(kind, uuid4(), "someone", AT)


def test_a_draft_is_agreed_only_when_both_sides_have_signed() -> None:
    once = sign(draft(), signature(SignerKind.COORDINATOR))
    assert once.status is PlanStatus.DRAFT
    twice = sign(once, signature(SignerKind.REPRESENTATIVE))
    assert twice.status is PlanStatus.AGREED
    assert twice.agreed_at == AT


def test_the_same_side_cannot_sign_twice() -> None:
    once = sign(draft(), signature(SignerKind.INDIVIDUAL))
    with pytest.raises(PlanStateRefused):
        sign(once, signature(SignerKind.REPRESENTATIVE))


def test_editing_a_signed_draft_clears_the_signatures_and_moves_the_revision() -> None:
    once = sign(draft(), signature(SignerKind.COORDINATOR))
    edited = edit_draft(once, COMPLETE)
    assert edited.sign_offs == ()
    assert edited.revision == once.revision + 1


def test_an_incomplete_draft_cannot_be_signed_and_says_what_is_missing() -> None:
    with pytest.raises(PlanIncomplete) as refused:
        sign(draft(PlanContent(start_date=date(2026, 6, 8))), signature(SignerKind.COORDINATOR))
    fields = [f for f, _ in refused.value.missing]
    assert fields == ["needs", "outcomes", "review_date", "visits", "monitoring", "copies_held_by"]


def test_a_reason_replaces_the_individual_holding_a_copy() -> None:
    content = PlanContent(
        **{**vars(COMPLETE), "copies_held_by": (), "not_held_by_individual_reason": "kept by her attorney"}
    )
    assert sign(draft(content), signature(SignerKind.COORDINATOR)).status is PlanStatus.DRAFT


@pytest.mark.parametrize(
    ("line", "field_name"),
    [
        (VisitLine("a", "A", frozenset(), time(8), 30), "visits.0.weekdays"),
        (VisitLine("a", "A", frozenset({7}), time(8), 30), "visits.0.weekdays"),
        (VisitLine("a", "A", frozenset({1}), time(8), 4), "visits.0.duration_minutes"),
        (
            VisitLine("a", "A", frozenset({1}), time(8), 30, flexibility_minutes=241),
            "visits.0.flexibility_minutes",
        ),
        (VisitLine("a", "A", frozenset({1}), time(8), 30, workers_required=3), "visits.0.workers_required"),
    ],
)
def test_visit_lines_the_rota_could_not_plan_are_refused(line: VisitLine, field_name: str) -> None:
    with pytest.raises(PlanRuleBroken) as broken:
        check_content(PlanContent(start_date=date(2026, 6, 8), visits=(line,)))
    assert broken.value.field == field_name


def test_two_visit_lines_cannot_share_an_id() -> None:
    with pytest.raises(PlanRuleBroken) as broken:
        check_content(PlanContent(start_date=date(2026, 6, 8), visits=(MORNING, MORNING)))
    assert broken.value.field == "visits.1.id"


def test_an_agreed_revision_supersedes_the_version_in_force() -> None:
    agreed = sign(sign(draft(), signature(SignerKind.COORDINATOR)), signature(SignerKind.INDIVIDUAL))
    history = PlanHistory([agreed])
    revision = revise(agreed, AT)
    assert (revision.version, revision.status, revision.revision) == (
        2,
        PlanStatus.DRAFT,
        agreed.revision + 1,
    )
    history.versions.append(revision)
    assert history.current_agreed == agreed  # the agreed plan stays in force while the revision is drafted
    with pytest.raises(PlanStateRefused):
        revise(revision, AT)  # one draft at a time
    signed = sign(sign(revision, signature(SignerKind.COORDINATOR)), signature(SignerKind.INDIVIDUAL))
    changed = history.replace_latest(signed)
    assert [(v.version, v.status) for v in changed] == [(1, PlanStatus.SUPERSEDED), (2, PlanStatus.AGREED)]
    assert history.current_agreed == signed


def test_an_agreed_version_cannot_be_edited() -> None:
    agreed = sign(sign(draft(), signature(SignerKind.COORDINATOR)), signature(SignerKind.INDIVIDUAL))
    with pytest.raises(PlanStateRefused):
        edit_draft(agreed, COMPLETE)
