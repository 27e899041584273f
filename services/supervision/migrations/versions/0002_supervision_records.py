"""Supervisees, agreements, sessions, records, timeline milestones, training, DBS, shares and the read audit.

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
        "supervisees",
        sa.Column("worker_id", sa.Uuid(), primary_key=True),
        sa.Column("given_name", sa.String(200), nullable=False),
        sa.Column("family_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(50), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("start_date", sa.Date()),
        sa.Column("known_since", UtcDateTime(), nullable=False),
        sa.Column("known_on", sa.Date(), nullable=False),
        sa.Column("new_starter", sa.Boolean(), nullable=False),
        sa.Column("nqsw", sa.Boolean(), nullable=False),
        sa.Column("on_probation", sa.Boolean(), nullable=False),
        sa.Column("probation_months", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Uuid()),
        sa.Column("line_manager_id", sa.Uuid()),
        sa.Column("team", sa.String(200)),
    )
    op.create_index("ix_supervisees_supervisor_id", "supervisees", ["supervisor_id"])
    op.create_index("ix_supervisees_line_manager_id", "supervisees", ["line_manager_id"])
    op.create_index("ix_supervisees_team", "supervisees", ["team"])
    op.create_table(
        "agreements",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("supervisee_id", sa.Uuid(), nullable=False),
        sa.Column("supervisor_id", sa.Uuid(), nullable=False),
        sa.Column("frequency", sa.String(30), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("venue", sa.String(300), nullable=False),
        sa.Column("team", sa.String(200)),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("expectations", sa.JSON(), nullable=False),
        sa.Column("supervisee_signed_at", UtcDateTime()),
        sa.Column("supervisor_signed_at", UtcDateTime()),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("replaces_id", sa.Uuid()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_agreements_supervisee_id", "agreements", ["supervisee_id"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("supervisor_id", sa.Uuid(), nullable=False),
        sa.Column("supervisee_ids", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("reflective", sa.Boolean(), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("venue", sa.String(300), nullable=False),
        sa.Column("series_id", sa.Uuid()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reschedules", sa.JSON(), nullable=False),
    )
    op.create_index("ix_sessions_supervisor_id", "sessions", ["supervisor_id"])
    op.create_table(
        "session_participants",
        sa.Column("session_id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), primary_key=True),
    )
    op.create_index("ix_session_participants_worker_id", "session_participants", ["worker_id"])
    op.create_table(
        "records",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("supervisor_id", sa.Uuid(), nullable=False),
        sa.Column("supervisee_ids", sa.JSON(), nullable=False),
        sa.Column("meeting_on", sa.Date(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("signatures", sa.JSON(), nullable=False),
        sa.Column("disagreement", sa.JSON()),
        sa.Column("amends_id", sa.Uuid()),
        sa.Column("signed_at", UtcDateTime()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_records_session_id", "records", ["session_id"])
    op.create_table(
        "milestones",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("worker_id", "kind", "stage", name="uq_milestones_stage"),
    )
    op.create_index("ix_milestones_worker_id", "milestones", ["worker_id"])
    op.create_table(
        "training_records",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("course", sa.String(200), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date()),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_training_records_worker_id", "training_records", ["worker_id"])
    op.create_table(
        "dbs_checks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("recheck_due_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_dbs_checks_worker_id", "dbs_checks", ["worker_id"])
    op.create_table(
        "record_shares",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("shared_with", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(500), nullable=False),
        sa.Column("consent_given", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("shared_by", sa.Uuid(), nullable=False),
        sa.Column("shared_at", UtcDateTime(), nullable=False),
        sa.Column("until", sa.Date()),
    )
    op.create_index("ix_record_shares_worker_id", "record_shares", ["worker_id"])
    op.create_table(
        "record_reads",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("read_at", UtcDateTime(), nullable=False),
        sa.Column("reader_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("resource", sa.String(60), nullable=False),
        sa.Column("resource_id", sa.String(60)),
        sa.Column("basis", sa.String(40), nullable=False),
    )
    op.create_index("ix_record_reads_reader_id", "record_reads", ["reader_id"])
    op.create_index("ix_record_reads_worker_id", "record_reads", ["worker_id"])


def downgrade() -> None:
    op.drop_table("record_reads")
    op.drop_table("record_shares")
    op.drop_table("dbs_checks")
    op.drop_table("training_records")
    op.drop_table("milestones")
    op.drop_table("records")
    op.drop_table("session_participants")
    op.drop_table("sessions")
    op.drop_table("agreements")
    op.drop_table("supervisees")
