"""Commands and events the alerts service carries out: load, ask the domain, record, publish.

Each function runs inside the caller's unit of work and never commits: the consumer or the route
commits the state change with its outbox events, so an alert and the event announcing it are never
apart (and a redelivered event, stopped by the inbox, changes nothing).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from opentelemetry import metrics

from rounds.contracts.alerts import (
    AlertAcknowledged,
    AlertAssigned,
    AlertEscalated,
    AlertRaised,
    AlertResolved,
    AlertUpdated,
    NotificationStatusChanged,
)
from rounds.contracts.people import IndividualAnonymised
from services.alerts.adapters.repository import AlertRecord
from services.alerts.domain import grouping
from services.alerts.domain.escalation import chain_at, deadline_after_severity_change, first_step, next_step
from services.alerts.domain.grouping import AlertState, AlertStatus, Clear, Create, Ignore, Join, Suppress
from services.alerts.domain.recipients import ChannelName, Recipient, RecipientKind, Send, parse_clock, plan
from services.alerts.domain.rules import AlertPolicy, Audience, Owner, Rule
from services.alerts.domain.signals import Category, Severity, Signal, SignalKind
from services.alerts.domain.templates import local_clock, render
from services.alerts.unit_of_work import AlertsUnitOfWork

log = logging.getLogger(__name__)
meter = metrics.get_meter(__name__)
#: Seconds from the event's publication to the alert stored, and to each notification dispatched.
alert_latency = meter.create_histogram(
    "rounds.alerts.latency",
    unit="s",
    description="Event published -> alert stored (stage=stored) -> notification sent (stage=dispatched)",
)


class NotAllowed(Exception):
    """The alert is not in a state that allows this (e.g. acknowledging a resolved alert)."""


# --- signals -> alerts ------------------------------------------------------------------------------


async def handle_signal(
    uow: AlertsUnitOfWork, signal: Signal, policy: AlertPolicy, now: datetime
) -> UUID | None:
    """Turn one condition into a new alert, a change of an existing one, or nothing (a duplicate).

    Returns the alert the signal raised or joined (None when no rule or no alert applies).
    """
    rule = policy.rules.rule_for(signal.kind)
    if rule is None:
        return None
    candidates = await uow.alerts.open_candidates(signal.subject, signal.run_key)
    decision = grouping.decide(signal, rule, candidates)
    if isinstance(decision, Create):
        return await _raise(uow, decision, signal, rule, policy, now)
    if isinstance(decision, Ignore):
        return None
    alert = decision.alert
    grouping.apply(decision, signal, rule)
    revision = await uow.alerts.save_state(
        alert, await _title(uow, alert), now, {signal.subject: signal.visit_id}
    )
    if isinstance(decision, Suppress):
        await uow.alerts.record(alert.id, now, "suppressed", kind=signal.kind, subject=signal.subject)
    elif isinstance(decision, Clear):
        await _cleared(uow, alert, decision, signal, now)
    else:
        await _joined(uow, alert, decision, signal, rule, policy, now, revision)
    return alert.id


async def _raise(
    uow: AlertsUnitOfWork, decision: Create, signal: Signal, rule: Rule, policy: AlertPolicy, now: datetime
) -> UUID:
    state = grouping.new_alert(uuid4(), decision, signal, rule)
    fixed = list(signal.owner_chain) if rule.owner is Owner.SUPERVISOR and signal.owner_chain else None
    chain = fixed if fixed is not None else await _roster_chain(uow, signal.locality, now)
    step = first_step(chain, now, policy.rules.ack_window(state.severity))
    title = await _title(uow, state)
    await uow.alerts.add(
        {
            "id": state.id,
            "group_key": state.group_key,
            "category": state.category.value,
            "severity": state.severity.value,
            "status": state.status.value,
            "locality": state.locality,
            "title": title[:300],
            "worker_id": state.worker_id,
            "individual_id": state.individual_id,
            "owner_id": step.owner_id,
            "assignee_id": None,
            "level": step.level,
            "fixed_chain": fixed,
            "ack_deadline": step.deadline,
            "occurrences": 1,
            "revision": 1,
            "raised_at": now,
            "source_time": signal.occurred_at,
            "source_event_type": signal.source_event_type,
            "updated_at": now,
        }
    )
    await uow.alerts.save_state(state, title, now, {signal.subject: signal.visit_id})
    await uow.alerts.record(
        state.id, now, "raised", kind=signal.kind, subject=signal.subject, severity=state.severity
    )
    await uow.alerts.record(
        state.id,
        now,
        "escalation_step",
        level=step.level,
        owner_id=step.owner_id,
        deadline=step.deadline,
        reason=step.reason,
        chain=chain,
    )
    record = await _get(uow, state.id)
    uow.publish(
        AlertRaised(**await _snapshot(uow, record), raised_at=now, source_event_type=signal.source_event_type)
    )
    alert_latency.record(
        max(0.0, (now - signal.occurred_at).total_seconds()), {"stage": "stored", "severity": state.severity}
    )
    first_kind = "supervision_overdue" if state.category is Category.SUPERVISION else "alert_raised"
    await _notify_owner(uow, record, first_kind, f"alert:{state.id}:owner:{step.level}", policy, now)
    await _inform(uow, state, signal, rule, policy, now)
    return state.id


async def _joined(
    uow: AlertsUnitOfWork,
    alert: AlertState,
    decision: Join,
    signal: Signal,
    rule: Rule,
    policy: AlertPolicy,
    now: datetime,
    revision: int,
) -> None:
    record = await _get(uow, alert.id)
    if decision.severity_raised:
        # 000 P39: a late visit that became missed is more urgent; the owner must not wait longer.
        window = policy.rules.ack_window(alert.severity)
        deadline = deadline_after_severity_change(record.ack_deadline, now, window)
        if deadline != record.ack_deadline:
            await uow.alerts.change(alert.id, now, ack_deadline=deadline)
            record = await _get(uow, alert.id)
        await uow.alerts.record(
            alert.id,
            now,
            "severity_raised",
            kind=signal.kind,
            subject=signal.subject,
            previous=decision.previous_severity,
            severity=alert.severity,
            deadline=deadline,
        )
        uow.publish(
            AlertUpdated(
                **await _snapshot(uow, record),
                change="severity_raised",
                previous_severity=decision.previous_severity.value,
            )
        )
        await _notify_owner(
            uow, record, "alert_raised", f"alert:{alert.id}:owner:severity:{alert.severity}", policy, now
        )
    else:
        # A storm: the new visit joins the run's alert; its owner is not paged again.
        await uow.alerts.record(alert.id, now, "grouped", kind=signal.kind, subject=signal.subject)
        uow.publish(AlertUpdated(**await _snapshot(uow, record), change="grouped"))
    await _inform(uow, alert, signal, rule, policy, now)


async def _cleared(
    uow: AlertsUnitOfWork, alert: AlertState, decision: Clear, signal: Signal, now: datetime
) -> None:
    await uow.alerts.record(alert.id, now, "condition_cleared", kind=signal.kind, subject=signal.subject)
    message = _FAMILY_MESSAGES.get(signal.kind)
    if message is not None:
        # A "running late" text held for quiet hours is no longer true once the worker has arrived.
        withdrawn = await uow.notifications.withdraw(
            alert.id,
            f"alert:{alert.id}:{signal.subject}:{message}:",
            f"no longer true: {signal.kind.value} ended",
            now,
        )
        if withdrawn:
            await uow.alerts.record(alert.id, now, "withdrawn", message_kind=message, count=withdrawn)
    if not decision.close:
        uow.publish(
            AlertUpdated(**await _snapshot(uow, await _get(uow, alert.id)), change="condition_cleared")
        )
        return
    outcome = (
        f"cleared by the source: {signal.kind.value} ended ({signal.detail.get('resolution', 'resolved')})"
    )
    await uow.alerts.change(
        alert.id,
        now,
        status=AlertStatus.RESOLVED.value,
        resolved_at=now,
        resolved_by="system",
        outcome=outcome,
        ack_deadline=None,
    )
    await uow.alerts.record(alert.id, now, "resolved", actor="system", outcome=outcome)
    record = await _get(uow, alert.id)
    uow.publish(
        AlertResolved(**await _snapshot(uow, record), resolved_by="system", resolved_at=now, outcome=outcome)
    )


async def _roster_chain(uow: AlertsUnitOfWork, locality: str, at: datetime) -> list[str]:
    return chain_at(await uow.known.shifts_covering(locality, at), locality, at)


async def _chain(uow: AlertsUnitOfWork, record: AlertRecord, at: datetime) -> list[str]:
    if record.fixed_chain is not None:
        return list(record.fixed_chain)
    return await _roster_chain(uow, record.locality, at)


async def _title(uow: AlertsUnitOfWork, alert: AlertState) -> str:
    worker = await uow.known.worker(alert.worker_id) if alert.worker_id else None
    individual = await uow.known.individual(alert.individual_id) if alert.individual_id else None
    return grouping.title(
        alert, worker["name"] if worker else None, individual["name"] if individual else None
    )


async def _get(uow: AlertsUnitOfWork, alert_id: UUID) -> AlertRecord:
    record = await uow.alerts.get(alert_id)
    assert record is not None, f"alert {alert_id} vanished inside its own transaction"
    return record


async def _snapshot(uow: AlertsUnitOfWork, record: AlertRecord) -> dict[str, Any]:
    """The fields every alert event carries, from the alert as stored."""
    return {
        "alert_id": record.id,
        "revision": record.revision,
        "category": record.category,
        "severity": record.severity,
        "locality": record.locality,
        "title": record.title,
        "status": record.status,
        "owner_id": record.owner_id,
        "individual_id": record.individual_id,
        "worker_id": record.worker_id,
        "visit_ids": await uow.alerts.visit_ids(record.id),
        "occurrences": record.occurrences,
        "ack_deadline": record.ack_deadline,
    }


# --- escalation -------------------------------------------------------------------------------------


async def escalate(uow: AlertsUnitOfWork, alert_id: UUID, policy: AlertPolicy, now: datetime) -> bool:
    """Move an unacknowledged alert past its deadline one step up its chain; False if not due.

    Safe with several replicas: the step is claimed with the revision the replica read, so when two
    try at once only one moves it (the other finds its UPDATE matched nothing and records nothing).
    """
    record = await uow.alerts.get(alert_id)
    if record is None or record.status != AlertStatus.OPEN.value or record.ack_deadline is None:
        return False
    if record.ack_deadline > now:
        return False
    chain = await _chain(uow, record, now)
    window = policy.rules.ack_window(Severity(record.severity))
    step = next_step(record.level, chain, now, window, late_by=now - record.ack_deadline)
    if not await uow.alerts.claim_escalation(record, step.level, step.owner_id, step.deadline, now):
        return False
    await uow.alerts.record(
        alert_id,
        now,
        "escalation_step",
        level=step.level,
        owner_id=step.owner_id,
        deadline=step.deadline,
        reason=step.reason,
        previous_owner_id=record.owner_id,
        chain=chain,
    )
    moved = await _get(uow, alert_id)
    if step.level == record.level and step.owner_id == record.owner_id:
        return True  # the chain ran out: recorded, and nobody new to tell
    uow.publish(
        AlertEscalated(
            **await _snapshot(uow, moved),
            level=step.level,
            previous_owner_id=record.owner_id,
            reason=step.reason,
            escalated_at=now,
        )
    )
    await _notify_owner(uow, moved, "alert_escalated", f"alert:{alert_id}:owner:{step.level}", policy, now)
    return True


# --- people acting on alerts -----------------------------------------------------------------------


async def acknowledge(uow: AlertsUnitOfWork, alert_id: UUID, by: str, now: datetime) -> AlertRecord | None:
    """Someone took the alert on: escalation stops (000 P39). Repeating it changes nothing."""
    record = await uow.alerts.get(alert_id)
    if record is None:
        return None
    if record.status == AlertStatus.RESOLVED.value:
        raise NotAllowed("the alert is resolved already")
    if record.status == AlertStatus.ACKNOWLEDGED.value:
        return record
    await uow.alerts.change(
        alert_id,
        now,
        status=AlertStatus.ACKNOWLEDGED.value,
        acknowledged_at=now,
        acknowledged_by=by,
        ack_deadline=None,
    )
    await uow.alerts.record(alert_id, now, "acknowledged", actor=by, late=now > (record.ack_deadline or now))
    await uow.incidents.responded(alert_id, now)  # 000 P39: the response time an incident review reads
    record = await _get(uow, alert_id)
    uow.publish(AlertAcknowledged(**await _snapshot(uow, record), acknowledged_by=by, acknowledged_at=now))
    return record


async def assign(
    uow: AlertsUnitOfWork, alert_id: UUID, assignee: str, by: str, now: datetime
) -> AlertRecord | None:
    """Give the alert to someone to act on; an open alert counts as acknowledged by the assigner."""
    record = await uow.alerts.get(alert_id)
    if record is None:
        return None
    if record.status == AlertStatus.RESOLVED.value:
        raise NotAllowed("the alert is resolved already")
    if record.status == AlertStatus.OPEN.value:
        await acknowledge(uow, alert_id, by, now)
    await uow.alerts.change(alert_id, now, assignee_id=assignee)
    await uow.alerts.record(alert_id, now, "assigned", actor=by, assignee_id=assignee)
    record = await _get(uow, alert_id)
    uow.publish(AlertAssigned(**await _snapshot(uow, record), assigned_to=assignee, assigned_by=by))
    return record


async def add_note(uow: AlertsUnitOfWork, alert_id: UUID, text: str, by: str, now: datetime) -> bool:
    """Add a note to the alert's record (000 P40); False when there is no such alert."""
    if await uow.alerts.get(alert_id) is None:
        return False
    await uow.alerts.record(alert_id, now, "note", actor=by, text=text)
    return True


async def resolve(
    uow: AlertsUnitOfWork, alert_id: UUID, outcome: str, by: str, now: datetime
) -> AlertRecord | None:
    """Close the alert with its outcome (000 P40)."""
    record = await uow.alerts.get(alert_id)
    if record is None:
        return None
    if record.status == AlertStatus.RESOLVED.value:
        raise NotAllowed("the alert is resolved already")
    await uow.alerts.change(
        alert_id,
        now,
        status=AlertStatus.RESOLVED.value,
        resolved_at=now,
        resolved_by=by,
        outcome=outcome,
        ack_deadline=None,
    )
    await uow.alerts.record(alert_id, now, "resolved", actor=by, outcome=outcome)
    record = await _get(uow, alert_id)
    uow.publish(
        AlertResolved(**await _snapshot(uow, record), resolved_by=by, resolved_at=now, outcome=outcome)
    )
    return record


# --- notifications ----------------------------------------------------------------------------------


async def _notify_owner(
    uow: AlertsUnitOfWork, record: AlertRecord, kind: str, dedupe_key: str, policy: AlertPolicy, now: datetime
) -> None:
    if record.owner_id is None:
        return
    recipient = await _manager(uow, record.owner_id)
    values = {
        "severity": record.severity.upper(),
        "title": record.title,
        "locality": record.locality,
        "time": local_clock(record.raised_at, recipient.time_zone),
        "deadline": local_clock(record.ack_deadline, recipient.time_zone),
    }
    # The person on call is to be reached whatever the hour: quiet hours do not apply (000 P37).
    await queue_notification(
        uow,
        recipient,
        None,
        kind,
        values,
        dedupe_key,
        record.id,
        record.source_time,
        now,
        policy,
        urgent=True,
    )


async def _manager(uow: AlertsUnitOfWork, person_id: str) -> Recipient:
    shift = await uow.known.on_call_person(person_id)
    if shift is not None:
        channel = _channel_or_none(shift["preferred_channel"])
        return Recipient(
            RecipientKind.MANAGER,
            person_id,
            shift["name"],
            preferred_channel=channel or ChannelName.SMS,
            phone=shift["phone"],
            email=shift["email"],
            uses_app=True,
        )
    worker = await uow.known.worker(UUID(person_id)) if _is_uuid(person_id) else None
    name = worker["name"] if worker else person_id
    language = worker["language"] if worker else "en"
    return Recipient(RecipientKind.MANAGER, person_id, name, language=language, uses_app=True)


#: What individuals and key people are told about a signal (000 P44).
_FAMILY_MESSAGES = {
    SignalKind.VISIT_LATE: "visit_late",
    SignalKind.VISIT_MISSED: "visit_missed",
    SignalKind.INCIDENT: "incident_reported",
}


async def _inform(
    uow: AlertsUnitOfWork, alert: AlertState, signal: Signal, rule: Rule, policy: AlertPolicy, now: datetime
) -> None:
    """Tell the individual and key people the rule names (000 P44), once per alert, kind and person."""
    if not rule.inform or signal.individual_id is None:
        return
    kind = _FAMILY_MESSAGES.get(signal.kind)
    if kind is None:
        return
    individual = await uow.known.individual(signal.individual_id)
    visit = await uow.known.visit(signal.visit_id) if signal.visit_id else None
    planned = visit.planned_start if visit else signal.detail.get("planned_start")
    recipients: list[Recipient] = []
    if Audience.INDIVIDUAL in rule.inform and individual is not None:
        recipients.append(_individual_recipient(individual))
    if Audience.KEY_PEOPLE in rule.inform:
        recipients += [_key_person(kp) for kp in await uow.known.key_people_of(signal.individual_id)]
    for recipient in recipients:
        values = {
            "name": recipient.name,
            "individual": individual["name"] if individual else "your relative",
            "planned": local_clock(planned, recipient.time_zone) if isinstance(planned, datetime) else "-",
            "time": local_clock(signal.occurred_at, recipient.time_zone),
            "office": policy.office_phone,
        }
        key = f"alert:{alert.id}:{signal.subject}:{kind}:{recipient.kind}:{recipient.id}"
        await queue_notification(
            uow, recipient, rule.consent_topic, kind, values, key, alert.id, signal.occurred_at, now, policy
        )


async def queue_notification(
    uow: AlertsUnitOfWork,
    recipient: Recipient,
    topic: str | None,
    kind: str,
    values: dict[str, Any],
    dedupe_key: str,
    alert_id: UUID | None,
    source_time: datetime,
    now: datetime,
    policy: AlertPolicy,
    urgent: bool = False,
) -> None:
    """Record a message for ``recipient``: queued for the dispatcher, or withheld with the reason."""
    if await uow.notifications.exists(dedupe_key):
        return
    available = None if policy.channels is None else frozenset(ChannelName(c) for c in policy.channels)
    decision = plan(
        recipient, topic, now, urgent=urgent, log_fallback=policy.log_fallback, available=available
    )
    message = render(kind, recipient.language, values)
    notification_id = uuid4()
    sending = isinstance(decision, Send)
    await uow.notifications.add(
        {
            "id": notification_id,
            "dedupe_key": dedupe_key[:300],
            "alert_id": alert_id,
            "recipient_kind": recipient.kind.value,
            "recipient_id": recipient.id,
            "channel": decision.channel.value if isinstance(decision, Send) else "log",
            "address": decision.address if isinstance(decision, Send) else None,
            "message_kind": kind,
            "language": message.language,
            "subject": message.subject[:300],
            "body": message.body,
            "status": "queued" if sending else "withheld",
            "reason": (
                ("held for quiet hours" if decision.held_for_quiet_hours else None)
                if isinstance(decision, Send)
                else decision.reason
            ),
            "attempts": 0,
            "next_attempt_at": decision.not_before if isinstance(decision, Send) else None,
            "lease_until": None,
            "last_error": None,
            "provider_id": None,
            "source_time": source_time,
            "created_at": now,
            "sent_at": None,
            "delivered_at": None,
            "updated_at": now,
        }
    )
    if alert_id is not None:
        await uow.alerts.record(
            alert_id,
            now,
            "notified" if sending else "withheld",
            recipient_kind=recipient.kind,
            recipient_id=recipient.id,
            message_kind=kind,
            reason=None if isinstance(decision, Send) else decision.reason,
        )
    if isinstance(decision, Send):
        uow.publish(
            NotificationStatusChanged(
                notification_id=notification_id,
                alert_id=alert_id,
                recipient_kind=recipient.kind.value,
                recipient_id=recipient.id,
                channel=decision.channel.value,
                message_kind=kind,
                language=message.language,
                status="queued",
                attempts=0,
                at=now,
            )
        )


#: What replaces a removed name: the same placeholder people writes (docs/people.md, retention).
REMOVED = "(anonymised)"


async def anonymise_individual(uow: AlertsUnitOfWork, event: IndividualAnonymised) -> None:
    """Retention ran out (docs/people.md, 000 K66): alerts forgets who the individual and their key
    people are and how to reach them; ids, alerts, incidents and message bodies stay (see the docs).

    A redelivery finds the individual at the event's version and changes nothing.
    """
    await uow.known.anonymise_individual(
        event.individual_id, event.version, event.locality, event.key_person_ids, REMOVED
    )


async def key_person_is_news(uow: AlertsUnitOfWork, individual_id: UUID) -> bool:
    """Whether a key-person event may be kept: not once their individual was anonymised (people sends
    none after that, so one arriving then is older news that would bring the details back)."""
    return not await uow.known.is_anonymised(individual_id, REMOVED)


def _individual_recipient(row: dict[str, Any]) -> Recipient:
    return Recipient(
        RecipientKind.INDIVIDUAL,
        str(row["individual_id"]),
        row["name"],
        language=row["language"],
        phone=row["phone"],
        time_zone=row["time_zone"],
        active=row["status"] != "ended",
    )


def _key_person(row: dict[str, Any]) -> Recipient:
    return Recipient(
        RecipientKind.KEY_PERSON,
        str(row["key_person_id"]),
        row["name"],
        language=row["language"],
        preferred_channel=_channel_or_none(row["preferred_channel"]),
        email=row["email"],
        phone=row["phone"],
        consent=row["consent"],
        informed_of=frozenset(row["informed_of"] or []),
        quiet_start=parse_clock(row["quiet_hours_start"]),
        quiet_end=parse_clock(row["quiet_hours_end"]),
        time_zone=row["time_zone"],
        active=row["active"],
    )


def _channel_or_none(value: str | None) -> ChannelName | None:
    try:
        return ChannelName(value) if value else None
    except ValueError:
        return None  # a channel this version does not know (e.g. "post"): fall back to one it does


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


# --- care arrangements and schedules (000 P44, P45) -------------------------------------------------


async def inform_about_individual(
    uow: AlertsUnitOfWork,
    individual_id: UUID,
    kind: str,
    topic: str,
    values: dict[str, Any],
    cause: str,
    source_time: datetime,
    policy: AlertPolicy,
    now: datetime,
    include_individual: bool = True,
    planned: datetime | None = None,
    previous: datetime | None = None,
) -> None:
    """Tell an individual and their consenting key people about a change to their care (000 P44)."""
    individual = await uow.known.individual(individual_id)
    recipients = [_key_person(kp) for kp in await uow.known.key_people_of(individual_id)]
    if include_individual and individual is not None:
        recipients.insert(0, _individual_recipient(individual))
    for recipient in recipients:
        filled = {
            **values,
            "name": recipient.name,
            "individual": individual["name"] if individual else "your relative",
            "planned": local_clock(planned, recipient.time_zone) if planned else "-",
            "previous": local_clock(previous, recipient.time_zone) if previous else "-",
            "office": policy.office_phone,
        }
        key = f"{cause}:{kind}:{recipient.kind}:{recipient.id}"
        await queue_notification(uow, recipient, topic, kind, filled, key, None, source_time, now, policy)


async def status_change_is_news(
    uow: AlertsUnitOfWork, individual_id: UUID, version: int, status: str
) -> bool:
    """Whether a status change is the individual's newest (then kept); an older one replayed is not.

    A status change carries the individual's record version, so one older than what is kept arrived
    late (a replay): telling the key people then would undo the newer news (000 P44).
    """
    known = await uow.known.individual(individual_id)
    if known is None:
        return True  # nothing to compare with: the event is the best word there is
    if known["version"] > version:
        return False
    await uow.known.put_individual({**known, "version": version, "status": status})
    return True


def schedule_cause(worker_id: UUID, day: date, version: int) -> str:
    """The cause of the message for one version of a worker's day (its dedupe key)."""
    return f"schedule:{worker_id}:{day}:{version}"


async def schedule_is_news(uow: AlertsUnitOfWork, worker_id: UUID, day: date, version: int) -> bool:
    """Whether no newer version of the worker's day was told already (an older one replayed is not news)."""
    prefix = schedule_cause(worker_id, day, 0)[:-1]
    told = [key.removeprefix(prefix) for key in await uow.notifications.keys_starting(prefix)]
    return not any(int(v) > version for v in told if v.isdigit())


async def inform_worker_of_schedule(
    uow: AlertsUnitOfWork,
    worker_id: UUID,
    day: date,
    counts: dict[str, int],
    cause: str,
    source_time: datetime,
    policy: AlertPolicy,
    now: datetime,
) -> None:
    """Tell a worker their day changed, through their app (000 P45)."""
    worker = await uow.known.worker(worker_id)
    recipient = Recipient(
        RecipientKind.WORKER,
        str(worker_id),
        worker["name"] if worker else "colleague",
        language=worker["language"] if worker else "en",
        uses_app=True,
        active=bool(worker["active"]) if worker else True,
    )
    values = {"name": recipient.name, "day": day.strftime("%a %d %b"), **counts}
    await queue_notification(
        uow, recipient, None, "schedule_changed", values, cause, None, source_time, now, policy
    )


async def publish_notification_status(uow: AlertsUnitOfWork, notification_id: UUID, now: datetime) -> None:
    """Announce a notification's current status (after a send attempt or a provider's receipt)."""
    record = await uow.notifications.get(notification_id)
    if record is None or record.status == "withheld":
        return
    uow.publish(
        NotificationStatusChanged(
            notification_id=record.id,
            alert_id=record.alert_id,
            recipient_kind=record.recipient_kind,
            recipient_id=record.recipient_id,
            channel=record.channel,
            message_kind=record.message_kind,
            language=record.language,
            status=record.status,
            attempts=record.attempts,
            error=record.last_error,
            at=now,
        )
    )
