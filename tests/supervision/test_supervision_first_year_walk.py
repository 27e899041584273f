"""A new starter's first twelve months, walked day by day through the compliance engine (004 timeline).

The NQSW starts on 31 January 2026 (a month end, and the year crosses both clock changes). In the
first walk a conscientious supervisor does everything on the day it falls due: nothing is ever
overdue, and what they did lands exactly on the policy's timeline. In the second nothing is done:
every obligation turns due soon fourteen days ahead and overdue the day after its date.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

from services.supervision.domain.calendar import add_months
from services.supervision.domain.compliance import (
    AgreementState,
    Frequency,
    HeldSession,
    History,
    MilestoneKind,
    ObligationStatus,
    RuleId,
    Supervisee,
    assess,
)

START = date(2026, 1, 31)
NQSW = Supervisee(
    worker_id=uuid4(),
    tracked_since=START,
    start_date=START,
    new_starter=True,
    nqsw=True,
    on_probation=True,
)
MILESTONE_OF = {
    RuleId.PROBATION_REVIEW: MilestoneKind.PROBATION_REVIEW,
    RuleId.ASYE_SUBMISSION: MilestoneKind.ASYE_SUBMISSION,
    RuleId.PDP_REVIEW: MilestoneKind.PDP_REVIEW,
}


def days_of_first_year() -> list[date]:
    end = add_months(START, 12)
    return [START + timedelta(days=n) for n in range((end - START).days + 1)]


def do(history: History, rule: RuleId, item: str, today: date) -> History:
    """What the supervisor does on ``today`` to meet the obligation."""
    if rule is RuleId.ONE_TO_ONE:
        return replace(history, sessions=(*history.sessions, HeldSession(today)))
    if rule is RuleId.ASYE_REFLECTIVE:
        return replace(history, sessions=(*history.sessions, HeldSession(today, reflective=True)))
    if rule in MILESTONE_OF:
        month = int(item.removeprefix("month "))
        return replace(history, milestones=history.milestones | {(MILESTONE_OF[rule], month)})
    if rule in (RuleId.SUPERVISION_AGREEMENT, RuleId.AGREEMENT_REVIEW):
        return replace(history, agreement=AgreementState(today, add_months(today, 12), Frequency.MONTHLY))
    if rule is RuleId.PDP:
        return replace(history, pdp_agreed_on=today)
    if rule is RuleId.APPRAISAL:
        return replace(history, appraisals=(*history.appraisals, today))
    raise AssertionError(f"the walk does not know how to meet {rule}")


def test_a_supervisor_who_acts_on_each_due_day_is_never_overdue_and_follows_the_timeline() -> None:
    history = History()
    done: dict[RuleId, list[date]] = {}
    for today in days_of_first_year():
        for _ in range(5):  # meeting one obligation can bring the next due the same day
            due_today = [o for o in assess(NQSW, history, today).obligations if o.due_on == today]
            if not due_today:
                break
            for obligation in due_today:
                history = do(history, obligation.rule, obligation.item, today)
                done.setdefault(obligation.rule, []).append(today)
        report = assess(NQSW, history, today)
        assert report.overdue == (), (today, report.overdue)

    assert done[RuleId.PROBATION_REVIEW] == [
        date(2026, 2, 28),
        date(2026, 4, 30),
        date(2026, 6, 30),
        date(2026, 7, 31),
    ]
    assert done[RuleId.ASYE_SUBMISSION] == [
        date(2026, 4, 30),
        date(2026, 7, 31),
        date(2026, 10, 31),
        date(2027, 1, 31),
    ]
    assert done[RuleId.PDP_REVIEW] == [date(2026, 4, 30), date(2026, 7, 31), date(2026, 10, 31)]
    assert done[RuleId.SUPERVISION_AGREEMENT] == [date(2026, 2, 28)]
    assert done[RuleId.PDP] == [date(2026, 2, 28)]
    assert done[RuleId.APPRAISAL] == [date(2027, 1, 31)]

    reflective = done[RuleId.ASYE_REFLECTIVE]
    gaps = [(b - a).days for a, b in zip([START, *reflective], reflective, strict=False)]
    assert gaps[:6] == [7] * 6  # weekly for the first six weeks (to 14 March)
    six_months = add_months(START, 6)
    fortnightly = [d for d in reflective[6:] if d <= six_months]
    assert fortnightly
    assert all(g == 14 for g in gaps[6 : 6 + len(fortnightly)])
    monthly = [d for d in reflective if d > six_months]
    assert all(add_months(a, 1) == b for a, b in itertools.pairwise(monthly))
    assert len(monthly) >= 5

    one_to_ones = done[RuleId.ONE_TO_ONE]
    assert one_to_ones[:6] == [add_months(START, 1)] + [add_months(date(2026, 2, 28), n) for n in range(1, 6)]
    assert len(one_to_ones) >= 6  # at least six a year (004 1.18)


def test_when_nothing_is_done_each_obligation_is_due_soon_14_days_ahead_and_overdue_the_day_after() -> None:
    first_seen: dict[tuple[RuleId, str, date], dict[ObligationStatus, date]] = {}
    for today in days_of_first_year():
        for o in assess(NQSW, History(), today).obligations:
            first_seen.setdefault((o.rule, o.item, o.due_on), {}).setdefault(o.status, today)

    for (rule, item, due_on), statuses in first_seen.items():
        if ObligationStatus.OVERDUE in statuses:
            assert statuses[ObligationStatus.OVERDUE] == due_on + timedelta(days=1), (rule, item)
        if ObligationStatus.DUE_SOON in statuses and due_on - timedelta(days=14) >= START:
            assert statuses[ObligationStatus.DUE_SOON] == due_on - timedelta(days=14), (rule, item)

    overdue_on_last_day = {(o.rule, o.item) for o in assess(NQSW, History(), add_months(START, 12)).overdue}
    assert overdue_on_last_day >= {
        (RuleId.PROBATION_REVIEW, "month 1"),
        (RuleId.PROBATION_REVIEW, "month 6"),
        (RuleId.ASYE_SUBMISSION, "month 9"),
        (RuleId.PDP_REVIEW, "month 9"),
        (RuleId.ONE_TO_ONE, ""),
        (RuleId.ASYE_REFLECTIVE, ""),
        (RuleId.SUPERVISION_AGREEMENT, ""),
        (RuleId.PDP, ""),
    }
