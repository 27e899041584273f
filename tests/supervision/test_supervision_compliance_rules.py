"""The compliance engine's rules, table by table, from the policy's own numbers (004, 000 P24-P28)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from services.supervision.domain.calendar import add_months, local_date
from services.supervision.domain.compliance import (
    AgreementState,
    DbsCheck,
    Frequency,
    HeldSession,
    History,
    MilestoneKind,
    ObligationStatus,
    RuleId,
    SessionFormat,
    Severity,
    Supervisee,
    TrainingRecord,
    assess,
    status_on,
)

LONDON = ZoneInfo("Europe/London")
WORKER = uuid4()


def new_starter(start: date, *, nqsw: bool = False, probation_months: int = 6) -> Supervisee:
    return Supervisee(
        worker_id=WORKER,
        tracked_since=start,
        start_date=start,
        new_starter=True,
        nqsw=nqsw,
        on_probation=True,
        probation_months=probation_months,
    )


def existing(tracked_since: date) -> Supervisee:
    return Supervisee(worker_id=WORKER, tracked_since=tracked_since, start_date=date(2015, 4, 1))


def due_dates(supervisee: Supervisee, history: History, today: date, rule: RuleId) -> list[date]:
    return [o.due_on for o in assess(supervisee, history, today).obligations if o.rule is rule]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # a start on 31 January: month one ends in February
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 3, 15), -1, date(2026, 2, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 5, 10), 12, date(2027, 5, 10)),
    ],
)
def test_months_are_calendar_months_clamped_at_month_ends(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1)),  # BST: already 00:30 on 1 July
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2026, 12, 31)),  # GMT
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), date(2026, 3, 29)),  # the minute before clocks go forward
        (datetime(2026, 3, 28, 23, 59, tzinfo=UTC), date(2026, 3, 28)),
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25)),  # still BST: 00:30 on the 25th
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), date(2026, 10, 25)),  # back on GMT
    ],
)
def test_the_day_is_the_providers_local_day_across_clock_changes(instant: datetime, expected: date) -> None:
    assert local_date(instant, LONDON) == expected


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 1, 1, 12, 0), LONDON)


def test_a_deadline_on_30_june_is_overdue_at_23_30_utc_that_day_because_london_is_on_bst() -> None:
    due = date(2026, 6, 30)
    assert status_on(due, local_date(datetime(2026, 6, 30, 22, 59, tzinfo=UTC), LONDON), 14) is (
        ObligationStatus.DUE_SOON
    )
    assert status_on(due, local_date(datetime(2026, 6, 30, 23, 0, tzinfo=UTC), LONDON), 14) is (
        ObligationStatus.OVERDUE
    )


@pytest.mark.parametrize(
    ("today", "horizon", "expected"),
    [
        (date(2026, 5, 1), 14, ObligationStatus.DUE),
        (date(2026, 5, 16), 14, ObligationStatus.DUE),
        (date(2026, 5, 17), 14, ObligationStatus.DUE_SOON),
        (date(2026, 5, 31), 14, ObligationStatus.DUE_SOON),  # due today is still not late
        (date(2026, 6, 1), 14, ObligationStatus.OVERDUE),
        (date(2026, 5, 30), 0, ObligationStatus.DUE),
        (date(2026, 5, 31), 0, ObligationStatus.DUE_SOON),
        (date(2026, 5, 2), 30, ObligationStatus.DUE_SOON),
    ],
)
def test_status_follows_the_configurable_horizon(
    today: date, horizon: int, expected: ObligationStatus
) -> None:
    assert status_on(date(2026, 5, 31), today, horizon) is expected


@pytest.mark.parametrize(
    ("supervisee", "history", "expected_due", "source"),
    [
        # 004 1.18: at least six a year, so never more than two months apart.
        (existing(date(2026, 3, 10)), History(), date(2026, 5, 10), "004 1.18"),
        (
            existing(date(2026, 1, 1)),
            History(sessions=(HeldSession(date(2026, 4, 30)),)),
            date(2026, 6, 30),
            "004 1.18",
        ),
        # A group session does not count as one-to-one (004 1.8).
        (
            existing(date(2026, 1, 1)),
            History(
                sessions=(HeldSession(date(2026, 4, 30)), HeldSession(date(2026, 5, 20), SessionFormat.GROUP))
            ),
            date(2026, 6, 30),
            "004 1.18",
        ),
        # 004 1.20 and the timeline: monthly while new.
        (new_starter(date(2026, 1, 31)), History(), date(2026, 2, 28), "004 1.20, timeline"),
        (
            new_starter(date(2026, 1, 31)),
            History(sessions=(HeldSession(date(2026, 7, 30)),)),
            date(2026, 8, 30),
            "004 1.20, timeline",
        ),
        # After the first six months the policy minimum applies again.
        (
            new_starter(date(2026, 1, 31)),
            History(sessions=(HeldSession(date(2026, 7, 31)),)),
            date(2026, 9, 30),
            "004 1.18",
        ),
        # An extended probation keeps the monthly rhythm (004 timeline *Month 5).
        (
            new_starter(date(2026, 1, 31), probation_months=9),
            History(sessions=(HeldSession(date(2026, 8, 15)),)),
            date(2026, 9, 15),
            "004 1.20, timeline",
        ),
        # A signed agreement that says fortnightly is held to fortnightly (004 appendix 1).
        (
            existing(date(2026, 1, 1)),
            History(
                sessions=(HeldSession(date(2026, 4, 30)),),
                agreement=AgreementState(date(2026, 1, 2), None, Frequency.FORTNIGHTLY),
            ),
            date(2026, 5, 14),
            "004 appendix 1",
        ),
        # An unsigned agreement binds nobody yet.
        (
            existing(date(2026, 1, 1)),
            History(
                sessions=(HeldSession(date(2026, 4, 30)),),
                agreement=AgreementState(None, None, Frequency.WEEKLY),
            ),
            date(2026, 6, 30),
            "004 1.18",
        ),
        # An agreement less frequent than the policy does not loosen it.
        (
            existing(date(2026, 1, 1)),
            History(
                sessions=(HeldSession(date(2026, 4, 30)),),
                agreement=AgreementState(date(2026, 1, 2), None, Frequency.EIGHT_WEEKLY),
            ),
            date(2026, 6, 25),
            "004 appendix 1",
        ),
    ],
)
def test_one_to_one_supervision_falls_due_at_the_tightest_applicable_interval(
    supervisee: Supervisee, history: History, expected_due: date, source: str
) -> None:
    today = max((s.held_on for s in history.sessions), default=date(2026, 5, 1))
    [obligation] = [o for o in assess(supervisee, history, today).obligations if o.rule is RuleId.ONE_TO_ONE]
    assert obligation.due_on == expected_due
    assert obligation.source == source


ASYE_START = date(2026, 1, 5)


@pytest.mark.parametrize(
    ("last_reflective", "expected_due"),
    [
        (None, date(2026, 1, 12)),  # weekly from the first week
        (date(2026, 2, 9), date(2026, 2, 16)),  # week 5: still weekly
        (date(2026, 2, 16), date(2026, 3, 2)),  # day 42: the first six weeks are over, fortnightly
        (date(2026, 3, 23), date(2026, 4, 6)),  # fortnightly across the March clock change: 14 local days
        (date(2026, 7, 4), date(2026, 7, 18)),  # the last day of the first six months: fortnightly
        (date(2026, 7, 5), date(2026, 8, 5)),  # six months reached: monthly thereafter
        (date(2026, 11, 30), date(2026, 12, 30)),
        (date(2026, 12, 10), None),  # the next would fall after the ASYE year ends (5 January 2027)
    ],
)
def test_asye_reflective_supervision_is_weekly_then_fortnightly_then_monthly(
    last_reflective: date | None, expected_due: date | None
) -> None:
    sessions = (HeldSession(last_reflective, reflective=True),) if last_reflective else ()
    dues = due_dates(
        new_starter(ASYE_START, nqsw=True),
        History(sessions=sessions),
        date(2026, 12, 31),
        RuleId.ASYE_REFLECTIVE,
    )
    assert dues == ([expected_due] if expected_due else [])


def test_only_an_nqsw_owes_reflective_supervision_asye_stages_and_pdp_reviews() -> None:
    report = assess(new_starter(ASYE_START), History(), date(2026, 1, 6))
    rules = {o.rule for o in report.obligations}
    assert not rules & {RuleId.ASYE_REFLECTIVE, RuleId.ASYE_SUBMISSION, RuleId.PDP_REVIEW}
    assert RuleId.PROBATION_REVIEW in rules


@pytest.mark.parametrize(
    ("kind", "rule", "done", "today", "expected"),
    [
        # 004 timeline: probation reviews at months 1, 3, 5 and the decision at 6, from 31 January.
        (
            MilestoneKind.PROBATION_REVIEW,
            RuleId.PROBATION_REVIEW,
            set(),
            date(2026, 2, 1),
            [date(2026, 2, 28)],
        ),
        (MilestoneKind.PROBATION_REVIEW, RuleId.PROBATION_REVIEW, {1}, date(2026, 3, 1), [date(2026, 4, 30)]),
        (
            MilestoneKind.PROBATION_REVIEW,
            RuleId.PROBATION_REVIEW,
            {1},
            date(2026, 7, 15),
            [date(2026, 4, 30), date(2026, 6, 30), date(2026, 7, 31)],  # two missed, and the next
        ),
        (MilestoneKind.PROBATION_REVIEW, RuleId.PROBATION_REVIEW, {1, 3, 5, 6}, date(2026, 8, 1), []),
        # 004 progression pathway: ASYE stages at 3, 6, 9 and 12 months.
        (MilestoneKind.ASYE_SUBMISSION, RuleId.ASYE_SUBMISSION, set(), date(2026, 2, 1), [date(2026, 4, 30)]),
        (
            MilestoneKind.ASYE_SUBMISSION,
            RuleId.ASYE_SUBMISSION,
            {3, 6},
            date(2026, 8, 1),
            [date(2026, 10, 31)],
        ),
        (
            MilestoneKind.ASYE_SUBMISSION,
            RuleId.ASYE_SUBMISSION,
            {3, 6, 9},
            date(2026, 11, 1),
            [date(2027, 1, 31)],
        ),
        # 004 appendix D: PDP reviewed at three, six and nine months.
        (MilestoneKind.PDP_REVIEW, RuleId.PDP_REVIEW, set(), date(2026, 2, 1), [date(2026, 4, 30)]),
        (MilestoneKind.PDP_REVIEW, RuleId.PDP_REVIEW, {3, 6}, date(2026, 8, 1), [date(2026, 10, 31)]),
        (MilestoneKind.PDP_REVIEW, RuleId.PDP_REVIEW, {3, 6, 9}, date(2026, 11, 1), []),
    ],
)
def test_timeline_stages_fall_due_on_the_policys_months_from_a_month_end_start(
    kind: MilestoneKind, rule: RuleId, done: set[int], today: date, expected: list[date]
) -> None:
    history = History(milestones=frozenset((kind, m) for m in done))
    assert due_dates(new_starter(date(2026, 1, 31), nqsw=True), history, today, rule) == expected


def test_an_extended_probation_moves_the_decision_but_keeps_the_reviews_at_1_3_and_5() -> None:
    history = History(milestones=frozenset((MilestoneKind.PROBATION_REVIEW, m) for m in (1, 3, 5)))
    supervisee = new_starter(date(2026, 1, 31), probation_months=12)
    assert due_dates(supervisee, history, date(2026, 7, 1), RuleId.PROBATION_REVIEW) == [date(2027, 1, 31)]


def test_an_agreement_is_owed_within_a_month_and_its_review_date_then_counts() -> None:
    start = date(2026, 1, 31)
    assert due_dates(new_starter(start), History(), start, RuleId.SUPERVISION_AGREEMENT) == [
        date(2026, 2, 28)
    ]
    signed = History(agreement=AgreementState(date(2026, 2, 3), date(2027, 2, 3), Frequency.MONTHLY))
    assert due_dates(new_starter(start), signed, start, RuleId.SUPERVISION_AGREEMENT) == []
    assert due_dates(new_starter(start), signed, start, RuleId.AGREEMENT_REVIEW) == [date(2027, 2, 3)]


def test_appraisal_is_annual_from_the_last_one_or_the_first_year() -> None:
    start = date(2026, 1, 31)
    assert due_dates(new_starter(start), History(), start, RuleId.APPRAISAL) == [date(2027, 1, 31)]
    history = History(appraisals=(date(2025, 11, 3), date(2026, 11, 2)))
    assert due_dates(existing(date(2026, 1, 1)), history, date(2026, 12, 1), RuleId.APPRAISAL) == [
        date(2027, 11, 2)
    ]


def test_mandatory_training_expires_on_its_latest_completion_and_optional_courses_do_not_count() -> None:
    history = History(
        training=(
            TrainingRecord("moving and handling", date(2025, 1, 10), date(2026, 1, 9)),
            TrainingRecord("moving and handling", date(2026, 1, 5), date(2027, 1, 4)),
            TrainingRecord("safeguarding adults", date(2024, 6, 1), date(2026, 5, 31)),
            TrainingRecord("makaton", date(2024, 6, 1), date(2025, 5, 31), mandatory=False),
        )
    )
    report = assess(existing(date(2026, 1, 1)), history, date(2026, 6, 1))
    training = [
        (o.item, o.due_on, o.status, o.severity)
        for o in report.obligations
        if o.rule is RuleId.MANDATORY_TRAINING
    ]
    assert training == [
        ("safeguarding adults", date(2026, 5, 31), ObligationStatus.OVERDUE, Severity.CRITICAL),
        ("moving and handling", date(2027, 1, 4), ObligationStatus.DUE, Severity.INFO),
    ]


def test_the_dbs_recheck_falls_due_on_its_date_and_becomes_critical_after_it() -> None:
    history = History(dbs_checks=(DbsCheck(date(2023, 5, 1), date(2026, 5, 1)),))
    [soon] = [
        o
        for o in assess(existing(date(2026, 1, 1)), history, date(2026, 4, 20)).obligations
        if o.rule is RuleId.DBS_RECHECK
    ]
    [late] = [
        o
        for o in assess(existing(date(2026, 1, 1)), history, date(2026, 5, 2)).obligations
        if o.rule is RuleId.DBS_RECHECK
    ]
    assert (soon.status, soon.severity) == (ObligationStatus.DUE_SOON, Severity.WARNING)
    assert (late.status, late.severity) == (ObligationStatus.OVERDUE, Severity.CRITICAL)


def test_sessions_over_one_and_a_half_hours_in_the_last_year_are_findings() -> None:
    history = History(
        sessions=(
            HeldSession(date(2025, 4, 1), duration_minutes=120),  # more than a year ago
            HeldSession(date(2026, 2, 1), duration_minutes=90),
            HeldSession(date(2026, 3, 1), duration_minutes=91),
            HeldSession(date(2026, 3, 20), SessionFormat.GROUP, duration_minutes=60),
        )
    )
    report = assess(existing(date(2025, 1, 1)), history, date(2026, 4, 1))
    assert [(f.rule, f.on) for f in report.findings] == [(RuleId.SESSION_DURATION, date(2026, 3, 1))]
    assert report.one_to_ones_last_12_months == 2


def test_a_session_recorded_for_a_later_day_satisfies_nothing_yet() -> None:
    history = History(sessions=(HeldSession(date(2026, 5, 20)),))
    assert due_dates(existing(date(2026, 1, 1)), history, date(2026, 5, 1), RuleId.ONE_TO_ONE) == [
        date(2026, 3, 1)
    ]


def test_a_negative_horizon_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        assess(existing(date(2026, 1, 1)), History(), date(2026, 1, 1), due_soon_days=-1)


def test_an_existing_worker_is_not_overdue_for_the_years_before_supervision_knew_them() -> None:
    report = assess(existing(date(2026, 5, 1)), History(), date(2026, 5, 1))
    assert report.compliant
    assert {o.rule for o in report.obligations} == {
        RuleId.SUPERVISION_AGREEMENT,
        RuleId.ONE_TO_ONE,
        RuleId.PDP,
        RuleId.APPRAISAL,
    }
    assert all(o.due_on > date(2026, 5, 1) for o in report.obligations)


def test_overdue_severities_come_from_the_rule_table() -> None:
    report = assess(existing(date(2025, 1, 1)), History(), date(2026, 5, 1) + timedelta(days=1))
    severities = {o.rule: o.severity for o in report.overdue}
    assert severities[RuleId.ONE_TO_ONE] is Severity.HIGH
    assert severities[RuleId.PDP] is Severity.WARNING
