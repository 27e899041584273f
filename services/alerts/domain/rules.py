"""Rules: which signal becomes which alert, who owns it and who is told (000 P37, P39, P44).

The defaults follow the issue and the standard: a missed visit is high, lone worker overdue and SOS
are critical, a late visit is medium, an overdue supervision is low and goes to the supervisor.
A provider overrides any of them with a small mapping (``ROUNDS_ALERTS_RULES`` as JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from services.alerts.domain.signals import Category, Severity, SignalKind

_E = TypeVar("_E", bound=StrEnum)


class Owner(StrEnum):
    """Who an alert goes to first."""

    ON_CALL = "on_call"  # the locality's on-call chain (000 P37)
    SUPERVISOR = "supervisor"  # the worker's supervisor, then their line manager (004)


class Audience(StrEnum):
    """People told about an alert besides its owner."""

    INDIVIDUAL = "individual"
    KEY_PEOPLE = "key_people"
    WORKER = "worker"


@dataclass(frozen=True)
class Rule:
    """What one kind of signal becomes."""

    kind: SignalKind
    category: Category
    severity: Severity
    owner: Owner = Owner.ON_CALL
    inform: frozenset[Audience] = frozenset()
    # What a key person consented to hear about that covers this (people's ``informed_of`` words).
    consent_topic: str | None = None
    enabled: bool = True


DEFAULT_RULES: Mapping[SignalKind, Rule] = {
    r.kind: r
    for r in (
        # 000 P44: individuals and key people are told promptly when a visit will be late.
        Rule(
            SignalKind.VISIT_LATE,
            Category.VISIT,
            Severity.MEDIUM,
            inform=frozenset({Audience.INDIVIDUAL, Audience.KEY_PEOPLE}),
            consent_topic="visit_changes",
        ),
        Rule(
            SignalKind.VISIT_MISSED,
            Category.VISIT,
            Severity.HIGH,
            inform=frozenset({Audience.KEY_PEOPLE}),
            consent_topic="missed_visits",
        ),
        Rule(SignalKind.VISIT_SHORT, Category.VISIT, Severity.LOW),
        Rule(SignalKind.VISIT_OVERRUN, Category.VISIT, Severity.LOW),
        # 000 P16-P17, P39: a lone worker who never checked out, or asked for help, is an emergency.
        Rule(SignalKind.LONE_WORKER_OVERDUE, Category.LONE_WORKING, Severity.CRITICAL),
        Rule(SignalKind.SOS, Category.SOS, Severity.CRITICAL),
        Rule(
            SignalKind.INCIDENT,
            Category.INCIDENT,
            Severity.HIGH,
            inform=frozenset({Audience.KEY_PEOPLE}),
            consent_topic="incidents",
        ),
        Rule(SignalKind.SUPERVISION_OVERDUE, Category.SUPERVISION, Severity.LOW, owner=Owner.SUPERVISOR),
        # 000 P37: someone competent must be on call whenever workers are on duty.
        Rule(SignalKind.ON_CALL_GAP, Category.COVER, Severity.HIGH),
    )
}

#: How long the person an alert is with has to acknowledge it before it goes up the chain (000 P39).
DEFAULT_ACK_WINDOWS: Mapping[Severity, timedelta] = {
    Severity.CRITICAL: timedelta(minutes=5),
    Severity.HIGH: timedelta(minutes=15),
    Severity.MEDIUM: timedelta(minutes=30),
    Severity.LOW: timedelta(days=3),
}


class InvalidRules(ValueError):
    """A provider's rule overrides name an unknown kind, field or value."""


@dataclass(frozen=True)
class RuleBook:
    """The rules in force and the acknowledgement windows per severity."""

    rules: Mapping[SignalKind, Rule]
    ack_windows: Mapping[Severity, timedelta]

    @classmethod
    def defaults(cls) -> RuleBook:
        """The shipped rules."""
        return cls(dict(DEFAULT_RULES), dict(DEFAULT_ACK_WINDOWS))

    def rule_for(self, kind: SignalKind) -> Rule | None:
        """The enabled rule for ``kind``, or None when the provider switched it off."""
        rule = self.rules.get(kind)
        return rule if rule is not None and rule.enabled else None

    def ack_window(self, severity: Severity) -> timedelta:
        """How long ``severity`` waits for an acknowledgement."""
        return self.ack_windows[severity]

    def with_overrides(self, overrides: Mapping[str, Any]) -> RuleBook:
        """A copy with a provider's changes, e.g. ``{"visit_late": {"severity": "high"}}``.

        ``{"ack_minutes": {"critical": 3}}`` changes a window. Unknown names are refused, not ignored,
        so a typo in the configuration cannot silently leave the defaults in force.
        """
        rules = dict(self.rules)
        windows = dict(self.ack_windows)
        for name, change in overrides.items():
            if not isinstance(change, Mapping):
                raise InvalidRules(f"{name}: expected a mapping of fields")
            if name == "ack_minutes":
                for severity, minutes in change.items():
                    windows[_parse(Severity, severity, name)] = timedelta(minutes=_positive(minutes, name))
                continue
            kind = _parse(SignalKind, name, "rules")
            rules[kind] = _changed(rules[kind], change)
        return RuleBook(rules, windows)


def _changed(rule: Rule, change: Mapping[str, Any]) -> Rule:
    fields: dict[str, Any] = {}
    for name, value in change.items():
        where = f"{rule.kind}.{name}"
        if name == "severity":
            fields[name] = _parse(Severity, value, where)
        elif name == "owner":
            fields[name] = _parse(Owner, value, where)
        elif name == "inform":
            if not isinstance(value, list):
                raise InvalidRules(f"{where}: expected a list")
            fields[name] = frozenset(_parse(Audience, v, where) for v in value)
        elif name == "enabled":
            if not isinstance(value, bool):
                raise InvalidRules(f"{where}: expected true or false")
            fields[name] = value
        elif name == "consent_topic":
            fields[name] = str(value)
        else:
            raise InvalidRules(f"{where}: not a rule field (severity, owner, inform, enabled, consent_topic)")
    return replace(rule, **fields)


def _parse(enum: type[_E], value: Any, where: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidRules(f"{where}: {value!r} is not one of {allowed}") from None


def _positive(value: Any, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise InvalidRules(f"{where}: {value!r} is not a positive number of minutes")
    return float(value)


@dataclass(frozen=True)
class AlertPolicy:
    """The provider's rules and the few words and switches the handlers need from the settings."""

    rules: RuleBook = field(default_factory=RuleBook.defaults)
    office_phone: str = "the office"
    log_fallback: bool = True
    # The channel names (webhook, email, sms, log) this installation configured; None: all.
    channels: frozenset[str] | None = None
