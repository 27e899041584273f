"""The alerts service's own tables (the outbox and inbox come from rounds.infra).

Alerts, their conditions and their timeline (every step recorded: raised, grouped, suppressed,
escalated, acknowledged, assigned, noted, resolved, notified); notifications with their delivery
state and lease; and the read models kept from other services' events (workers, individuals, key
people, visits, the on-call roster). The timeline's growing id is also the cursor of the live feed.
"""

from __future__ import annotations

import sqlalchemy as sa

from rounds.infra.db import UtcDateTime

metadata = sa.MetaData()

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("group_key", sa.String(200), nullable=False),
    sa.Column("category", sa.String(20), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("locality", sa.String(100), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("worker_id", sa.Uuid(), nullable=True),
    sa.Column("individual_id", sa.Uuid(), nullable=True),
    sa.Column("owner_id", sa.String(100), nullable=True),
    sa.Column("assignee_id", sa.String(100), nullable=True),
    sa.Column("level", sa.Integer(), nullable=False),
    # The chain for alerts not owned by the on-call roster (a worker's supervisor, then their manager).
    sa.Column("fixed_chain", sa.JSON(), nullable=True),
    sa.Column("ack_deadline", UtcDateTime(), nullable=True),
    sa.Column("occurrences", sa.Integer(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("raised_at", UtcDateTime(), nullable=False),
    sa.Column("source_time", UtcDateTime(), nullable=False),
    sa.Column("source_event_type", sa.String(100), nullable=False),
    sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
    sa.Column("acknowledged_by", sa.String(100), nullable=True),
    sa.Column("resolved_at", UtcDateTime(), nullable=True),
    sa.Column("resolved_by", sa.String(100), nullable=True),
    sa.Column("outcome", sa.String(2000), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_alerts_group_open", "group_key", "status"),
    sa.Index("ix_alerts_due", "status", "ack_deadline"),
    sa.Index("ix_alerts_locality_raised", "locality", "raised_at"),
)

alert_conditions = sa.Table(
    "alert_conditions",
    metadata,
    sa.Column("alert_id", sa.Uuid(), sa.ForeignKey("alerts.id"), primary_key=True),
    sa.Column("subject", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("visit_id", sa.Uuid(), nullable=True),
    sa.Column("individual_id", sa.Uuid(), nullable=True),
    sa.Index("ix_alert_conditions_subject", "subject"),
)

alert_timeline = sa.Table(
    "alert_timeline",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Uuid(), sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(100), nullable=True),
    sa.Column("detail", sa.JSON(), nullable=False),
    sa.Index("ix_alert_timeline_alert", "alert_id", "id"),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    # One message per (cause, recipient, kind): a redelivered or regrouped cause never sends twice.
    sa.Column("dedupe_key", sa.String(300), nullable=False, unique=True),
    sa.Column("alert_id", sa.Uuid(), nullable=True),
    sa.Column("recipient_kind", sa.String(20), nullable=False),
    sa.Column("recipient_id", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("address", sa.String(300), nullable=True),
    sa.Column("message_kind", sa.String(60), nullable=False),
    sa.Column("language", sa.String(10), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(300), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
    sa.Column("lease_until", UtcDateTime(), nullable=True),
    sa.Column("last_error", sa.String(2000), nullable=True),
    sa.Column("provider_id", sa.String(200), nullable=True),
    sa.Column("source_time", UtcDateTime(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.Column("delivered_at", UtcDateTime(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_notifications_due", "status", "next_attempt_at"),
    sa.Index("ix_notifications_recipient", "recipient_kind", "recipient_id", "created_at"),
    sa.Index("ix_notifications_provider", "provider_id"),
)

# --- read models from other services' events -------------------------------------------------------

known_workers = sa.Table(
    "known_workers",
    metadata,
    sa.Column("worker_id", sa.Uuid(), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("locality", sa.String(100), nullable=False),
    sa.Column("language", sa.String(10), nullable=False),
    sa.Column("line_manager_id", sa.Uuid(), nullable=True),
    sa.Column("active", sa.Boolean(), nullable=False),
)

known_individuals = sa.Table(
    "known_individuals",
    metadata,
    sa.Column("individual_id", sa.Uuid(), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("locality", sa.String(100), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("phone", sa.String(50), nullable=True),
    sa.Column("language", sa.String(10), nullable=False),
    sa.Column("time_zone", sa.String(50), nullable=False),
)

known_key_people = sa.Table(
    "known_key_people",
    metadata,
    sa.Column("key_person_id", sa.Uuid(), primary_key=True),
    sa.Column("individual_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("phone", sa.String(50), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("consent", sa.Boolean(), nullable=False),
    sa.Column("informed_of", sa.JSON(), nullable=False),
    sa.Column("preferred_channel", sa.String(20), nullable=True),
    sa.Column("language", sa.String(10), nullable=False),
    sa.Column("quiet_hours_start", sa.String(5), nullable=True),
    sa.Column("quiet_hours_end", sa.String(5), nullable=True),
    sa.Column("time_zone", sa.String(50), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
)

known_visits = sa.Table(
    "known_visits",
    metadata,
    sa.Column("visit_id", sa.Uuid(), primary_key=True),
    sa.Column("individual_id", sa.Uuid(), nullable=False),
    sa.Column("locality", sa.String(100), nullable=False),
    sa.Column("local_date", sa.Date(), nullable=False),
    sa.Column("time_zone", sa.String(50), nullable=False),
    sa.Column("planned_start", UtcDateTime(), nullable=False),
    sa.Column("workers", sa.JSON(), nullable=False),
    sa.Column("cancelled", sa.Boolean(), nullable=False),
)

on_call_shifts = sa.Table(
    "on_call_shifts",
    metadata,
    sa.Column("shift_id", sa.Uuid(), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("person_id", sa.String(100), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("locality", sa.String(100), nullable=False),
    sa.Column("level", sa.Integer(), nullable=False),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=False),
    sa.Column("phone", sa.String(50), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("preferred_channel", sa.String(20), nullable=True),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Index("ix_on_call_shifts_when", "locality", "starts_at", "ends_at"),
)

# --- incidents (000 P38-P42) ------------------------------------------------------------------------

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    # The app's record id when the incident came from a visit: the same report is recorded once.
    sa.Column("source_record_id", sa.Uuid(), nullable=True, unique=True),
    sa.Column("alert_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("locality", sa.String(100), nullable=False),
    sa.Column("worker_id", sa.Uuid(), nullable=True),
    sa.Column("individual_id", sa.Uuid(), nullable=True),
    sa.Column("visit_id", sa.Uuid(), nullable=True),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("injured", sa.Boolean(), nullable=False),
    sa.Column("emergency_services_called", sa.Boolean(), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("reported_at", UtcDateTime(), nullable=False),
    sa.Column("reported_by", sa.String(100), nullable=True),
    sa.Column("first_response_at", UtcDateTime(), nullable=True),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Column("closed_by", sa.String(100), nullable=True),
    sa.Column("outcome", sa.String(4000), nullable=True),
    sa.Column("improvements", sa.JSON(), nullable=False),
    sa.Index("ix_incidents_reported", "reported_at", "id"),
)

incident_actions = sa.Table(
    "incident_actions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.Uuid(), sa.ForeignKey("incidents.id"), nullable=False, index=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("by", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # response | support
    sa.Column("support", sa.String(30), nullable=True),
    sa.Column("text", sa.String(4000), nullable=False),
)

# --- the partner feed: how far each outgoing feed has got through the timeline -----------------------

feed_cursors = sa.Table(
    "feed_cursors",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("cursor", sa.BigInteger(), nullable=False),
    sa.Column("lease_until", UtcDateTime(), nullable=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.String(500), nullable=True),
)

# Who read an incident record (health and injury details of workers and individuals), and when.
incident_reads = sa.Table(
    "incident_reads",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("reader_id", sa.String(100), nullable=False),
    sa.Column("role", sa.String(50), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
)

# Operations alerts: one per message some service dead-lettered (services/alerts/dead_letter_watch.py).
# Keyed by where the message was first published, so a redelivered dead letter is not a second alert.
# The payload is never stored, and the error is cleaned of the values it quotes.
dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("original_topic", sa.String(200), nullable=False),
    sa.Column("original_partition", sa.Integer(), nullable=False),
    sa.Column("original_offset", sa.BigInteger(), nullable=False),
    sa.Column("service", sa.String(50), nullable=False),
    sa.Column("consumer", sa.String(100), nullable=False),
    sa.Column("event_type", sa.String(200), nullable=True),
    sa.Column("event_id", sa.String(200), nullable=True),
    sa.Column("error", sa.String(600), nullable=False),
    sa.Column("error_type", sa.String(100), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=True),
    sa.Column("dead_letter_topic", sa.String(200), nullable=False),
    sa.Column("dead_letter_partition", sa.Integer(), nullable=False),
    sa.Column("dead_letter_offset", sa.BigInteger(), nullable=False),
    sa.Column("dead_lettered_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint(
        "original_topic", "original_partition", "original_offset", name="uq_dead_letters_original"
    ),
    sa.Index("ix_dead_letters_recorded", "recorded_at", "id"),
)
