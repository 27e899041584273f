"""Rules, grouping and suppression as pure functions: one alert per problem (000 P37, P39)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from services.alerts.domain.grouping import (
    AlertState,
    AlertStatus,
    Clear,
    Create,
    Ignore,
    Join,
    Suppress,
    apply,
    decide,
    new_alert,
    title,
)
from services.alerts.domain.rules import Audience, InvalidRules, Owner, RuleBook
from services.alerts.domain.signals import Category, Severity, Signal, SignalKind

BOOK = RuleBook.defaults()
NOW = datetime(2026, 3, 29, 7, 30, tzinfo=UTC)
DAY = date(2026, 3, 29)


def visit_signal(
    kind: SignalKind, visit: UUID, worker: UUID | None, individual: UUID | None = None, cleared: bool = False
) -> Signal:
    return Signal(
        kind=kind,
        subject=str(visit),
        locality="Harrogate",
        occurred_at=NOW,
        source_event_type="test",
        cleared=cleared,
        visit_id=visit,
        worker_id=worker,
        individual_id=individual or uuid4(),
        local_date=DAY,
    )


def feed(signals: list[Signal]) -> tuple[list[AlertState], list[object]]:
    """Run signals through grouping as the handler does: the alerts raised and each decision."""
    alerts: list[AlertState] = []
    decisions: list[object] = []
    for signal in signals:
        rule = BOOK.rule_for(signal.kind)
        assert rule is not None
        decision = decide(signal, rule, alerts)
        if isinstance(decision, Create):
            alerts.append(new_alert(uuid4(), decision, signal, rule))
        else:
            apply(decision, signal, rule)
        decisions.append(decision)
    return alerts, decisions


def test_default_rules_follow_the_issue() -> None:
    def severity(kind: SignalKind) -> Severity:
        rule = BOOK.rule_for(kind)
        assert rule is not None
        return rule.severity

    assert severity(SignalKind.VISIT_MISSED) is Severity.HIGH
    assert severity(SignalKind.LONE_WORKER_OVERDUE) is Severity.CRITICAL
    assert severity(SignalKind.SOS) is Severity.CRITICAL
    assert severity(SignalKind.VISIT_LATE) is Severity.MEDIUM
    supervision = BOOK.rule_for(SignalKind.SUPERVISION_OVERDUE)
    assert supervision is not None
    assert (supervision.severity, supervision.owner) == (Severity.LOW, Owner.SUPERVISOR)


def test_late_then_missed_for_one_individual_is_one_alert_whose_severity_rises() -> None:
    visit, worker = uuid4(), uuid4()
    alerts, decisions = feed(
        [
            visit_signal(SignalKind.VISIT_LATE, visit, worker),
            visit_signal(SignalKind.VISIT_MISSED, visit, worker),
        ]
    )
    assert len(alerts) == 1
    assert isinstance(decisions[1], Join)
    assert decisions[1].severity_raised
    assert decisions[1].previous_severity is Severity.MEDIUM
    assert alerts[0].severity is Severity.HIGH
    assert alerts[0].conditions == {str(visit): {SignalKind.VISIT_LATE, SignalKind.VISIT_MISSED}}


def test_the_same_condition_again_is_suppressed() -> None:
    visit, worker = uuid4(), uuid4()
    alerts, decisions = feed([visit_signal(SignalKind.VISIT_MISSED, visit, worker)] * 3)
    assert len(alerts) == 1
    assert [type(d) for d in decisions] == [Create, Suppress, Suppress]
    assert alerts[0].occurrences == 3


def test_a_whole_run_late_after_a_breakdown_is_one_alert_not_eight() -> None:
    worker = uuid4()
    visits = [uuid4() for _ in range(8)]
    alerts, decisions = feed([visit_signal(SignalKind.VISIT_LATE, v, worker) for v in visits])
    assert len(alerts) == 1
    assert all(isinstance(d, Join) and not d.severity_raised for d in decisions[1:])
    assert set(alerts[0].conditions) == {str(v) for v in visits}
    assert alerts[0].individual_id is None  # eight individuals: none is named on the summary
    assert title(alerts[0], worker_name="Asha Patel") == "8 visits on Asha Patel's run: late"


def test_different_workers_late_are_separate_alerts() -> None:
    alerts, _ = feed(
        [
            visit_signal(SignalKind.VISIT_LATE, uuid4(), uuid4()),
            visit_signal(SignalKind.VISIT_LATE, uuid4(), uuid4()),
        ]
    )
    assert len(alerts) == 2


def test_an_unallocated_missed_visit_is_grouped_by_visit() -> None:
    visit = uuid4()
    alerts, _ = feed([visit_signal(SignalKind.VISIT_MISSED, visit, None)] * 2)
    assert len(alerts) == 1
    assert alerts[0].group_key == f"visit:{visit}"


def test_a_resolved_alert_does_not_swallow_a_new_condition() -> None:
    visit, worker = uuid4(), uuid4()
    alerts, _ = feed([visit_signal(SignalKind.VISIT_LATE, visit, worker)])
    alerts[0].status = AlertStatus.RESOLVED
    rule = BOOK.rule_for(SignalKind.VISIT_MISSED)
    assert rule is not None
    assert isinstance(decide(visit_signal(SignalKind.VISIT_MISSED, visit, worker), rule, alerts), Create)


def test_a_late_visit_that_started_after_all_closes_its_unacknowledged_alert() -> None:
    visit, worker = uuid4(), uuid4()
    alerts, decisions = feed(
        [
            visit_signal(SignalKind.VISIT_LATE, visit, worker),
            visit_signal(SignalKind.VISIT_LATE, visit, worker, cleared=True),
        ]
    )
    assert isinstance(decisions[1], Clear)
    assert decisions[1].close
    assert alerts[0].status is AlertStatus.RESOLVED


def test_clearing_one_visit_of_a_run_keeps_the_alert_open() -> None:
    worker, first, second = uuid4(), uuid4(), uuid4()
    alerts, decisions = feed(
        [
            visit_signal(SignalKind.VISIT_LATE, first, worker),
            visit_signal(SignalKind.VISIT_LATE, second, worker),
            visit_signal(SignalKind.VISIT_LATE, first, worker, cleared=True),
        ]
    )
    assert isinstance(decisions[2], Clear)
    assert not decisions[2].close
    assert alerts[0].status is AlertStatus.OPEN


def test_an_acknowledged_alert_stays_with_its_owner_when_its_conditions_clear() -> None:
    visit, worker = uuid4(), uuid4()
    alerts, _ = feed([visit_signal(SignalKind.VISIT_LATE, visit, worker)])
    alerts[0].status = AlertStatus.ACKNOWLEDGED
    rule = BOOK.rule_for(SignalKind.VISIT_LATE)
    assert rule is not None
    decision = decide(visit_signal(SignalKind.VISIT_LATE, visit, worker, cleared=True), rule, alerts)
    assert isinstance(decision, Clear)
    assert not decision.close


def test_a_cleared_condition_nobody_raised_is_ignored() -> None:
    rule = BOOK.rule_for(SignalKind.VISIT_LATE)
    assert rule is not None
    signal = visit_signal(SignalKind.VISIT_LATE, uuid4(), uuid4(), cleared=True)
    assert isinstance(decide(signal, rule, []), Ignore)


def test_lone_worker_overdue_is_its_own_critical_alert_beside_the_visit_alert() -> None:
    visit, worker = uuid4(), uuid4()
    lone = Signal(
        kind=SignalKind.LONE_WORKER_OVERDUE,
        subject=f"lone:{visit}",
        locality="Harrogate",
        occurred_at=NOW,
        source_event_type="test",
        visit_id=visit,
        worker_id=worker,
        local_date=DAY,
    )
    alerts, _ = feed([visit_signal(SignalKind.VISIT_OVERRUN, visit, worker), lone])
    assert [(a.category, a.severity) for a in alerts] == [
        (Category.VISIT, Severity.LOW),
        (Category.LONE_WORKING, Severity.CRITICAL),
    ]


def test_a_provider_overrides_rules_and_windows() -> None:
    book = BOOK.with_overrides(
        {
            "visit_late": {"severity": "high", "inform": ["key_people"]},
            "visit_short": {"enabled": False},
            "ack_minutes": {"critical": 3},
        }
    )
    late = book.rule_for(SignalKind.VISIT_LATE)
    assert late is not None
    assert late.severity is Severity.HIGH
    assert late.inform == {Audience.KEY_PEOPLE}
    assert book.rule_for(SignalKind.VISIT_SHORT) is None
    assert book.ack_window(Severity.CRITICAL).total_seconds() == 180
    assert BOOK.ack_window(Severity.CRITICAL).total_seconds() == 300  # the defaults are untouched


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"visit_lat": {"severity": "high"}}, "visit_lat"),
        ({"visit_late": {"severity": "urgent"}}, "urgent"),
        ({"visit_late": {"colour": "red"}}, "colour"),
        ({"ack_minutes": {"high": 0}}, "positive"),
        ({"visit_late": "high"}, "mapping"),
    ],
)
def test_a_typo_in_the_rules_is_refused_with_the_reason(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRules, match=message):
        BOOK.with_overrides(overrides)
