"""Alerts with their conditions and timeline, notifications, and the read models from other services.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rounds.infra.db import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("group_key", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("locality", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=True),
        sa.Column("individual_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.String(length=100), nullable=True),
        sa.Column("assignee_id", sa.String(length=100), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("fixed_chain", sa.JSON(), nullable=True),
        sa.Column("ack_deadline", UtcDateTime(), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.Column("source_time", UtcDateTime(), nullable=False),
        sa.Column("source_event_type", sa.String(length=100), nullable=False),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=2000), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_due", ["status", "ack_deadline"], unique=False)
        batch_op.create_index("ix_alerts_group_open", ["group_key", "status"], unique=False)
        batch_op.create_index("ix_alerts_locality_raised", ["locality", "raised_at"], unique=False)

    op.create_table(
        "known_individuals",
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("locality", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("time_zone", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("individual_id"),
    )
    op.create_table(
        "known_key_people",
        sa.Column("key_person_id", sa.Uuid(), nullable=False),
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("informed_of", sa.JSON(), nullable=False),
        sa.Column("preferred_channel", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("quiet_hours_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_hours_end", sa.String(length=5), nullable=True),
        sa.Column("time_zone", sa.String(length=50), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key_person_id"),
    )
    with op.batch_alter_table("known_key_people", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_known_key_people_individual_id"), ["individual_id"], unique=False
        )

    op.create_table(
        "known_visits",
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("locality", sa.String(length=100), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("time_zone", sa.String(length=50), nullable=False),
        sa.Column("planned_start", UtcDateTime(), nullable=False),
        sa.Column("workers", sa.JSON(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("visit_id"),
    )
    op.create_table(
        "known_workers",
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("locality", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("line_manager_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column("recipient_kind", sa.String(length=20), nullable=False),
        sa.Column("recipient_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("message_kind", sa.String(length=60), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("source_time", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_notifications_provider", ["provider_id"], unique=False)
        batch_op.create_index(
            "ix_notifications_recipient", ["recipient_kind", "recipient_id", "created_at"], unique=False
        )

    op.create_table(
        "on_call_shifts",
        sa.Column("shift_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("locality", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("preferred_channel", sa.String(length=20), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("shift_id"),
    )
    with op.batch_alter_table("on_call_shifts", schema=None) as batch_op:
        batch_op.create_index("ix_on_call_shifts_when", ["locality", "starts_at", "ends_at"], unique=False)

    op.create_table(
        "alert_conditions",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=True),
        sa.Column("individual_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
        ),
        sa.PrimaryKeyConstraint("alert_id", "subject", "kind"),
    )
    with op.batch_alter_table("alert_conditions", schema=None) as batch_op:
        batch_op.create_index("ix_alert_conditions_subject", ["subject"], unique=False)

    op.create_table(
        "alert_timeline",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_timeline", schema=None) as batch_op:
        batch_op.create_index("ix_alert_timeline_alert", ["alert_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_timeline", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_timeline_alert")

    op.drop_table("alert_timeline")
    with op.batch_alter_table("alert_conditions", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_conditions_subject")

    op.drop_table("alert_conditions")
    with op.batch_alter_table("on_call_shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_on_call_shifts_when")

    op.drop_table("on_call_shifts")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_recipient")
        batch_op.drop_index("ix_notifications_provider")
        batch_op.drop_index("ix_notifications_due")

    op.drop_table("notifications")
    op.drop_table("known_workers")
    op.drop_table("known_visits")
    with op.batch_alter_table("known_key_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_key_people_individual_id"))

    op.drop_table("known_key_people")
    op.drop_table("known_individuals")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_locality_raised")
        batch_op.drop_index("ix_alerts_group_open")
        batch_op.drop_index("ix_alerts_due")

    op.drop_table("alerts")
