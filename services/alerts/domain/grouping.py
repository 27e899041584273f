"""No alert fatigue: one alert per problem, whatever number of signals describe it.

- A signal about a subject an open alert already holds joins that alert: a late visit that becomes
  missed is one alert whose severity rises; the same condition again is a duplicate and is suppressed.
- A worker's late or missed visits on one day share a run key: the second and later visits join the
  first alert, so a run made late by a car breakdown is one alert summarising eight visits.
- A cleared condition (the worker checked in after all) is taken off its alert; when nothing is left
  active the alert closes itself if nobody took it on yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from services.alerts.domain.rules import Rule
from services.alerts.domain.signals import Category, Severity, Signal, SignalKind, higher


class AlertStatus(StrEnum):
    """Where an alert is in its life."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass
class AlertState:
    """What grouping needs of an alert: its key, severity and the conditions active per subject."""

    id: UUID
    group_key: str
    category: Category
    severity: Severity
    status: AlertStatus
    locality: str
    worker_id: UUID | None = None
    individual_id: UUID | None = None
    occurrences: int = 1
    # subject -> kinds active now; a subject stays (with no kinds) once all its conditions cleared.
    conditions: dict[str, set[SignalKind]] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        """Not resolved yet (open or acknowledged)."""
        return self.status is not AlertStatus.RESOLVED

    @property
    def active(self) -> bool:
        """Whether any of its conditions is still going on."""
        return any(self.conditions.values())

    def holds(self, subject: str) -> bool:
        """Whether ``subject`` belongs to this alert."""
        return subject in self.conditions


@dataclass(frozen=True)
class Create:
    """No open alert covers the signal: raise a new one under ``group_key``."""

    group_key: str


@dataclass(frozen=True)
class Join:
    """The signal belongs to ``alert``; ``severity_raised`` when it made the alert more urgent."""

    alert: AlertState
    previous_severity: Severity
    severity_raised: bool
    new_subject: bool


@dataclass(frozen=True)
class Suppress:
    """The same condition on the same subject is already on an open alert (a duplicate)."""

    alert: AlertState


@dataclass(frozen=True)
class Clear:
    """A condition ended; ``close`` when the alert has nothing active left and nobody took it on."""

    alert: AlertState
    close: bool


@dataclass(frozen=True)
class Ignore:
    """A cleared condition no open alert knows (it never raised one, or it was closed already)."""

    reason: str


Decision = Create | Join | Suppress | Clear | Ignore


def decide(signal: Signal, rule: Rule, open_alerts: Sequence[AlertState]) -> Decision:
    """Where ``signal`` goes among the ``open_alerts`` that might cover it (no side effects)."""
    candidates = [a for a in open_alerts if a.is_open]
    holder = next((a for a in candidates if a.holds(signal.subject)), None)
    if signal.cleared:
        if holder is None or signal.kind not in holder.conditions[signal.subject]:
            return Ignore("no open alert holds this condition")
        remaining = any(
            kinds - ({signal.kind} if subject == signal.subject else set())
            for subject, kinds in holder.conditions.items()
        )
        return Clear(holder, close=not remaining and holder.status is AlertStatus.OPEN)
    if holder is not None:
        if signal.kind in holder.conditions[signal.subject]:
            return Suppress(holder)
        return _join(holder, signal, rule, new_subject=False)
    run_key = signal.run_key
    if run_key is not None:
        run = next((a for a in candidates if a.group_key == run_key), None)
        if run is not None:
            return _join(run, signal, rule, new_subject=True)
    return Create(run_key or f"{rule.category.value}:{signal.subject}")


def severity_of(signal: Signal, rule: Rule) -> Severity:
    """The signal's own severity where it carries one (an incident), else its rule's."""
    return signal.severity or rule.severity


def _join(alert: AlertState, signal: Signal, rule: Rule, new_subject: bool) -> Join:
    severity = higher(alert.severity, severity_of(signal, rule))
    return Join(alert, alert.severity, severity is not alert.severity, new_subject)


def apply(decision: Decision, signal: Signal, rule: Rule) -> None:
    """Change the alert a decision names (``Create`` is applied by whoever builds the new alert)."""
    if isinstance(decision, Join):
        alert = decision.alert
        alert.severity = higher(alert.severity, severity_of(signal, rule))
        alert.conditions.setdefault(signal.subject, set()).add(signal.kind)
        alert.occurrences += 1
        if decision.new_subject and alert.individual_id != signal.individual_id:
            alert.individual_id = None  # a run spans several individuals: no single one is named
    elif isinstance(decision, Suppress):
        decision.alert.occurrences += 1
    elif isinstance(decision, Clear):
        decision.alert.conditions[signal.subject].discard(signal.kind)
        if decision.close:
            decision.alert.status = AlertStatus.RESOLVED


def new_alert(alert_id: UUID, decision: Create, signal: Signal, rule: Rule) -> AlertState:
    """The state of the alert a ``Create`` decision raises."""
    return AlertState(
        id=alert_id,
        group_key=decision.group_key,
        category=rule.category,
        severity=severity_of(signal, rule),
        status=AlertStatus.OPEN,
        locality=signal.locality,
        worker_id=signal.worker_id,
        individual_id=signal.individual_id,
        conditions={signal.subject: {signal.kind}},
    )


_KIND_WORDS = {
    SignalKind.VISIT_LATE: "late",
    SignalKind.VISIT_MISSED: "missed",
    SignalKind.VISIT_SHORT: "short",
    SignalKind.VISIT_OVERRUN: "overrunning",
    SignalKind.LONE_WORKER_OVERDUE: "lone worker overdue",
    SignalKind.SOS: "SOS",
    SignalKind.INCIDENT: "incident reported",
    SignalKind.SUPERVISION_OVERDUE: "supervision overdue",
    SignalKind.ON_CALL_GAP: "on-call cover gap",
}


def title(alert: AlertState, worker_name: str | None = None, individual_name: str | None = None) -> str:
    """One line for the dashboard: a storm reads as one summary, not a list of alerts."""
    ever = [s for s in alert.conditions]
    kinds = sorted({k for ks in alert.conditions.values() for k in ks}, key=lambda k: k.value)
    words = ", ".join(_KIND_WORDS[k] for k in kinds) or "cleared"
    who = worker_name or (str(alert.worker_id)[:8] if alert.worker_id else None)
    if alert.category is Category.VISIT and len(ever) > 1:
        return f"{len(ever)} visits on {who or 'one'}'s run: {words}"
    if alert.category is Category.VISIT:
        for_whom = f" for {individual_name}" if individual_name else ""
        by = f" ({who})" if who else ""
        return f"Visit {words}{for_whom}{by}"
    if alert.category is Category.SUPERVISION:
        return f"Supervision overdue for {who or 'a worker'}"
    if alert.category is Category.COVER:
        return f"Gap in on-call cover: {alert.locality}"
    return f"{words[:1].upper()}{words[1:]}: {who or 'a worker'}"
