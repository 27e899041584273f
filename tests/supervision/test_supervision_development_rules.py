"""The development rules as pure functions: PDPs, appraisals, observations, feedback, progression, skills."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.supervision.domain.compliance import (
    ComplianceReport,
    Obligation,
    ObligationStatus,
    RuleId,
    Severity,
)
from services.supervision.domain.development import (
    Appraisal,
    DevelopmentGoal,
    DevelopmentPlan,
    EvidenceKind,
    Feedback,
    FeedbackKind,
    FeedbackSource,
    GoalStatus,
    Observation,
    ObservationKind,
    ObservedArea,
    PlanReview,
    ProgressionEvidence,
    Rating,
    VisitSeen,
    check_feedback,
    check_observation,
    progression,
)
from services.supervision.domain.errors import RuleBroken
from services.supervision.domain.teams import summarise
from services.supervision.domain.workforce import (
    Coverage,
    HeldCompetency,
    PlanNeed,
    VisitNeed,
    WorkforceMember,
    skills_gap,
)

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
TODAY = date(2026, 3, 2)
WORKER, SUPERVISOR = uuid4(), uuid4()


def plan(**changes: object) -> DevelopmentPlan:
    fields: dict[str, object] = {
        "id": uuid4(),
        "worker_id": WORKER,
        "agreed_on": date(2026, 2, 20),
        "agreed_by": SUPERVISOR,
        "goals": (DevelopmentGoal("Moving and handling", "Assessor course", "hoist", date(2026, 6, 1)),),
        "today": TODAY,
        "created_at": AT,
        **changes,
    }
    return DevelopmentPlan.agree(**fields)  # type: ignore[arg-type]


# --- PDPs (000 P28; 004 appendix D) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"goals": ()}, "goals"),
        ({"agreed_by": WORKER}, "agreed_by"),
        ({"agreed_on": TODAY + timedelta(days=1)}, "agreed_on"),
        ({"goals": (DevelopmentGoal("x", "y", None, date(2026, 1, 1)),)}, "goals.0.target_on"),
    ],
)
def test_a_plan_needs_goals_a_supervisor_and_sensible_dates(changes: dict[str, object], field: str) -> None:
    with pytest.raises(RuleBroken) as refused:
        plan(**changes)
    assert refused.value.field == field


@pytest.mark.parametrize(("stage", "accepted"), [(3, True), (6, True), (9, True), (4, False), (12, False)])
def test_pdp_reviews_are_staged_at_three_six_and_nine_months(stage: int, accepted: bool) -> None:
    review = PlanReview(TODAY, SUPERVISOR, "On track", stage)
    if accepted:
        assert plan().reviewed(review, None, TODAY).reviews == (review,)
    else:
        with pytest.raises(RuleBroken, match="months 3, 6, 9"):
            plan().reviewed(review, None, TODAY)


def test_a_review_updates_each_goal_and_a_stage_is_reviewed_once() -> None:
    reviewed = plan().reviewed(PlanReview(TODAY, SUPERVISOR, "Done", 3), (GoalStatus.ACHIEVED,), TODAY)
    assert [g.status for g in reviewed.goals] == [GoalStatus.ACHIEVED]
    with pytest.raises(RuleBroken, match="already recorded"):
        reviewed.reviewed(PlanReview(TODAY, SUPERVISOR, "Again", 3), None, TODAY)
    with pytest.raises(RuleBroken, match="one status per goal"):
        plan().reviewed(PlanReview(TODAY, SUPERVISOR, "x"), (GoalStatus.OPEN, GoalStatus.OPEN), TODAY)
    with pytest.raises(RuleBroken, match="after it was agreed"):
        plan().reviewed(PlanReview(date(2026, 2, 1), SUPERVISOR, "x"), None, TODAY)


# --- appraisals (004 1.7, appendix 2 item 4) ------------------------------------------------------


@pytest.mark.parametrize(
    ("next_review_on", "accepted"),
    [
        (date(2026, 8, 2), True),  # six-monthly
        (date(2027, 2, 2), True),  # annual, to the day
        (date(2027, 2, 3), False),  # beyond a year
        (date(2026, 2, 2), False),  # the same day
    ],
)
def test_an_appraisal_is_reviewed_within_a_year(next_review_on: date, accepted: bool) -> None:
    def hold() -> Appraisal:
        return Appraisal(
            uuid4(), WORKER, SUPERVISOR, date(2026, 2, 2), "Good year", (), (), next_review_on, AT
        )

    if accepted:
        assert hold().next_review_on == next_review_on
    else:
        with pytest.raises(RuleBroken) as refused:
            hold()
        assert refused.value.field == "next_review_on"


# --- observations (000 P9) ------------------------------------------------------------------------


def visit(**changes: object) -> VisitSeen:
    fields: dict[str, object] = {
        "visit_id": uuid4(),
        "individual_id": uuid4(),
        "locality": "Harrogate",
        "local_date": date(2026, 3, 1),
        "planned_start": datetime(2026, 3, 1, 8, tzinfo=UTC),
        "planned_end": datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
        "workers": (WORKER,),
        **changes,
    }
    return VisitSeen(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seen", "observer", "areas", "field"),
    [
        (visit(cancelled=True), SUPERVISOR, 1, "visit_id"),
        (visit(workers=(uuid4(),)), SUPERVISOR, 1, "visit_id"),
        (visit(local_date=TODAY + timedelta(days=1)), SUPERVISOR, 1, "visit_id"),
        (visit(), WORKER, 1, "observer_id"),
        (visit(), SUPERVISOR, 0, "areas"),
    ],
)
def test_an_observation_is_of_an_allocated_worker_at_a_visit_that_happened(
    seen: VisitSeen, observer: UUID, areas: int, field: str
) -> None:
    with pytest.raises(RuleBroken) as refused:
        check_observation(seen, worker_id=WORKER, observer_id=observer, areas=areas, today=TODAY)
    assert refused.value.field == field
    check_observation(visit(), worker_id=WORKER, observer_id=SUPERVISOR, areas=1, today=TODAY)


@pytest.mark.parametrize(
    ("ratings", "outcome"),
    [
        ((Rating.MEETS, Rating.MEETS), Rating.MEETS),
        ((Rating.MEETS, Rating.PARTLY_MEETS), Rating.PARTLY_MEETS),
        ((Rating.PARTLY_MEETS, Rating.DOES_NOT_MEET), Rating.DOES_NOT_MEET),
    ],
)
def test_an_observations_outcome_is_its_weakest_area(ratings: tuple[Rating, ...], outcome: Rating) -> None:
    areas = tuple(ObservedArea(f"area {i}", r) for i, r in enumerate(ratings))
    seen = visit()
    observation = Observation(
        uuid4(), WORKER, SUPERVISOR, ObservationKind.SPOT_CHECK, seen.visit_id, seen.individual_id,
        seen.local_date, areas, "", (), AT,
    )  # fmt: skip
    assert observation.outcome is outcome


# --- feedback (000 P8, P22) -----------------------------------------------------------------------


def feedback(**changes: object) -> Feedback:
    fields: dict[str, object] = {
        "id": uuid4(),
        "worker_id": WORKER,
        "source": FeedbackSource.INDIVIDUAL,
        "kind": FeedbackKind.COMPLIMENT,
        "received_on": TODAY,
        "summary": "Always on time and kind",
        "recorded_by": SUPERVISOR,
        "created_at": AT,
        "individual_id": uuid4(),
        **changes,
    }
    return Feedback(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"individual_id": None}, "individual_id"),
        ({"source": FeedbackSource.KEY_PERSON}, "key_person_id"),
        ({"source": FeedbackSource.COLLEAGUE}, "from_name"),
        ({"received_on": TODAY + timedelta(days=1)}, "received_on"),
    ],
)
def test_feedback_says_who_it_came_from(changes: dict[str, object], field: str) -> None:
    with pytest.raises(RuleBroken) as refused:
        check_feedback(feedback(**changes), None, TODAY)
    assert refused.value.field == field


def test_feedback_about_a_visit_matches_its_worker_and_individual() -> None:
    seen = visit()
    check_feedback(feedback(individual_id=seen.individual_id, visit_id=seen.visit_id), seen, TODAY)
    with pytest.raises(RuleBroken, match="another individual"):
        check_feedback(feedback(visit_id=seen.visit_id), seen, TODAY)
    with pytest.raises(RuleBroken, match="not allocated"):
        check_feedback(feedback(worker_id=uuid4(), individual_id=seen.individual_id), seen, TODAY)


# --- progression (004 progression arrangements) ---------------------------------------------------


def evidence(year: int, kind: EvidenceKind, signed: bool = True) -> ProgressionEvidence:
    return ProgressionEvidence(
        uuid4(), WORKER, year, kind, "x", date(2026, 1, 5), SUPERVISOR, AT,
        SUPERVISOR if signed else None, date(2026, 1, 6) if signed else None,
    )  # fmt: skip


def test_a_year_is_complete_with_a_signed_statement_training_and_support() -> None:
    held = (evidence(1, EvidenceKind.STATEMENT), evidence(1, EvidenceKind.TRAINING, signed=False))
    assert [y.complete for y in progression(held)] == [False, False]
    held += (evidence(1, EvidenceKind.SUPPORT),)
    year_1, year_2 = progression(held)
    assert (year_1.complete, year_1.training, year_2.complete) == (True, 1, False)
    with pytest.raises(RuleBroken, match="team manager has signed"):
        evidence(2, EvidenceKind.STATEMENT, signed=False)
    with pytest.raises(RuleBroken, match="two years"):
        evidence(3, EvidenceKind.TRAINING, signed=False)


# --- team compliance ------------------------------------------------------------------------------


def report(*overdue: RuleId, due_soon: int = 0) -> ComplianceReport:
    obligations = [
        Obligation(rule, "", date(2026, 2, 1), ObligationStatus.OVERDUE, Severity.HIGH, "", "")
        for rule in overdue
    ] + [
        Obligation(RuleId.APPRAISAL, "", TODAY, ObligationStatus.DUE_SOON, Severity.WARNING, "", "")
        for _ in range(due_soon)
    ]
    return ComplianceReport(uuid4(), TODAY, tuple(obligations))


def test_a_group_summary_splits_supervision_from_training() -> None:
    summary = summarise(
        [
            report(),
            report(RuleId.ONE_TO_ONE, due_soon=2),
            report(RuleId.MANDATORY_TRAINING, RuleId.DBS_RECHECK),
            report(RuleId.ONE_TO_ONE, RuleId.MANDATORY_TRAINING),
        ]
    )
    assert (summary.workers, summary.compliant, summary.compliant_percent) == (4, 1, 25.0)
    assert (summary.supervision_compliant, summary.training_compliant) == (2, 2)
    assert summary.overdue_by_rule == {"dbs_recheck": 1, "mandatory_training": 2, "one_to_one_supervision": 2}
    assert summary.due_soon == 2
    assert summarise([]).compliant_percent is None


# --- skills gap (000 P29-P30) ---------------------------------------------------------------------


def member(locality: str, *skills: str, expires: date | None = None, **flags: bool) -> WorkforceMember:
    return WorkforceMember(
        uuid4(),
        locality,
        flags.get("active", True),
        flags.get("may_work", True),
        frozenset(skills),
        tuple(HeldCompetency(s, expires) for s in skills if expires),
    )


def need(locality: str, *visits: tuple[frozenset[str], int], active: bool = True) -> PlanNeed:
    return PlanNeed(
        uuid4(), locality, date(2026, 1, 1), None, active, tuple(VisitNeed(s, n) for s, n in visits)
    )


def test_skills_required_by_active_plans_are_set_against_available_holders() -> None:
    hoist, peg = frozenset({"hoist"}), frozenset({"peg_feeding"})
    workers = [
        member("Harrogate", "hoist"),
        member("Harrogate", "hoist", expires=date(2026, 4, 1)),  # lapses within 90 days
        member("Harrogate", "peg_feeding", expires=TODAY),  # expired today: does not count
        member("Harrogate", "peg_feeding", may_work=False),  # DBS lapsed: not available
        member("Selby", "peg_feeding"),
        member("Selby", "hoist", active=False),
    ]
    plans = [
        need("Harrogate", (hoist, 14), (peg, 7)),
        need("Harrogate", (hoist | peg, 2)),
        need("Harrogate", (peg, 21), active=False),  # in hospital: no demand now
        need("Selby", (hoist, 7)),
    ]
    harrogate, selby = skills_gap(workers, plans, TODAY)
    lines = {s.skill: s for s in harrogate.skills}
    assert (harrogate.workers, harrogate.available_workers, harrogate.active_plans) == (4, 3, 2)
    assert (lines["hoist"].plans, lines["hoist"].weekly_worker_visits, lines["hoist"].holders) == (2, 16, 2)
    assert (lines["hoist"].lapsing, lines["hoist"].coverage, lines["hoist"].weekly_visits_per_holder) == (
        1,
        Coverage.COVERED,
        8.0,
    )
    assert (lines["peg_feeding"].holders, lines["peg_feeding"].coverage) == (0, Coverage.UNCOVERED)
    assert [s.skill for s in harrogate.gaps] == ["peg_feeding"]
    assert [(s.skill, s.coverage) for s in selby.skills] == [("hoist", Coverage.UNCOVERED)]
    # With one holder enough, nothing changes for an uncovered skill; with three, hoist is thin.
    assert [s.skill for s in skills_gap(workers, plans, TODAY, min_holders=3)[0].gaps] == [
        "peg_feeding",
        "hoist",
    ]
