"""Events the alerts service publishes: the life of an alert, and what became of each notification.

Alert events go to ``rounds.alerts.alerts`` keyed by ``alert_id`` (the order that matters is one
alert's history: raised, updated, escalated, acknowledged, assigned, resolved). Each carries what a
dashboard or a partner webhook needs to show the alert without calling back: its severity, category,
locality, the person who owns it now and the ``revision`` that grows by one with every change (a
consumer keeps the newest revision and ignores an older one).

Notification events go to ``rounds.alerts.notifications`` keyed by ``notification_id``: a message to
a worker, individual, key person or on-call manager went from ``queued`` to ``sent``, ``delivered``
or ``failed`` (000 P44, P45). Message bodies never leave the service in an event; recipients are
named by id and kind only.

Compatibility: consumers must ignore fields they do not know; a new optional field keeps the
version, anything else is a new ``.v2`` class beside this one.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from rounds.contracts.base import Event

ALERTS_TOPIC = "rounds.alerts.alerts"
NOTIFICATIONS_TOPIC = "rounds.alerts.notifications"

Severity = Literal["low", "medium", "high", "critical"]
#: visit: late, missed, short or overrunning visits; lone_working: checked in, never out; sos: a worker
#: asked for help; incident: an accident or incident a worker reported (000 P38-P40); supervision: an
#: overdue supervision or development obligation (004); cover: a gap in a locality's on-call roster
#: (000 P37; added before any consumer existed).
Category = Literal["visit", "lone_working", "sos", "incident", "supervision", "cover"]
NotificationStatus = Literal["queued", "sent", "delivered", "failed"]
RecipientKind = Literal["worker", "individual", "key_person", "manager"]
Channel = Literal["webhook", "email", "sms", "log"]


class _AlertSnapshot(Event):
    """What every alert event carries (not an event itself: it has no ``type``)."""

    topic: ClassVar[str] = ALERTS_TOPIC
    key_field: ClassVar[str] = "alert_id"

    alert_id: UUID
    revision: int = Field(ge=1, description="grows by one with every change of the alert")
    category: Category
    severity: Severity
    locality: str
    title: str
    status: Literal["open", "acknowledged", "resolved"]
    owner_id: str | None = Field(default=None, description="the person the alert is with now (on call)")
    individual_id: UUID | None = None
    worker_id: UUID | None = None
    visit_ids: list[UUID] = Field(default_factory=list, description="visits the alert groups")
    occurrences: int = Field(default=1, ge=1, description="signals grouped into this alert")
    ack_deadline: datetime | None = Field(
        default=None, description="UTC instant the alert escalates unless acknowledged"
    )


class AlertRaised(_AlertSnapshot):
    """A rule turned an event into a new alert, sent to the manager on call for its locality (000 P37)."""

    type: ClassVar[str] = "rounds.alert.raised.v1"

    raised_at: datetime
    source_event_type: str


class AlertUpdated(_AlertSnapshot):
    """A related signal joined the alert (a late visit became missed, another visit of the run is late).

    ``change`` says what happened: ``severity_raised``, ``grouped`` (a new visit joined a storm) or
    ``condition_cleared`` (one of its conditions ended, e.g. the worker checked in).
    """

    type: ClassVar[str] = "rounds.alert.updated.v1"

    change: Literal["severity_raised", "grouped", "condition_cleared"]
    previous_severity: Severity | None = None


class AlertEscalated(_AlertSnapshot):
    """Nobody acknowledged the alert in time, so it went to the next person in the on-call chain."""

    type: ClassVar[str] = "rounds.alert.escalated.v1"

    level: int = Field(ge=1, description="1 is the first person on call")
    previous_owner_id: str | None = None
    reason: str
    escalated_at: datetime


class AlertAcknowledged(_AlertSnapshot):
    """Someone took the alert on: escalation stops (000 P39: respond promptly)."""

    type: ClassVar[str] = "rounds.alert.acknowledged.v1"

    acknowledged_by: str
    acknowledged_at: datetime


class AlertAssigned(_AlertSnapshot):
    """The alert was given to someone to act on."""

    type: ClassVar[str] = "rounds.alert.assigned.v1"

    assigned_to: str
    assigned_by: str


class AlertResolved(_AlertSnapshot):
    """The alert is closed with an outcome (000 P40: clear and accurate records)."""

    type: ClassVar[str] = "rounds.alert.resolved.v1"

    resolved_by: str
    resolved_at: datetime
    outcome: str


class NotificationStatusChanged(Event):
    """A notification moved on: queued, sent (handed to the channel), delivered or failed."""

    type: ClassVar[str] = "rounds.notification.status.changed.v1"
    topic: ClassVar[str] = NOTIFICATIONS_TOPIC
    key_field: ClassVar[str] = "notification_id"

    notification_id: UUID
    alert_id: UUID | None = None
    recipient_kind: RecipientKind
    recipient_id: str
    channel: Channel
    message_kind: str = Field(description="the template, e.g. visit_missed or schedule_changed")
    language: str = "en"
    status: NotificationStatus
    attempts: int = Field(ge=0)
    error: str | None = None
    at: datetime
