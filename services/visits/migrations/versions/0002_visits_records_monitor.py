"""Expected visits, allocations, homes and NFC tags, append-only records and amendments, attendance,
the monitor's conditions (one per visit and condition), thresholds and the read audit.

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
        "allocations",
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", "worker_id"),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocations_worker_id"), ["worker_id"], unique=False)

    op.create_table(
        "amendments",
        sa.Column("amendment_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("amended_by", sa.String(length=200), nullable=False),
        sa.Column("amended_at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("amendment_id"),
    )
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_amendments_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_amendments_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "attendances",
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("checked_in_at", UtcDateTime(), nullable=False),
        sa.Column("check_in_record", sa.Uuid(), nullable=False),
        sa.Column("checked_out_at", UtcDateTime(), nullable=True),
        sa.Column("check_out_record", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("visit_id", "worker_id"),
    )
    op.create_table(
        "conditions",
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.Column("deadline", UtcDateTime(), nullable=False),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.Column("raised_by", sa.String(length=200), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", "condition"),
    )
    op.create_table(
        "expected_visits",
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("package_id", sa.Uuid(), nullable=False),
        sa.Column("locality", sa.String(length=200), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("service_type", sa.String(length=100), nullable=False),
        sa.Column("planned_start", UtcDateTime(), nullable=False),
        sa.Column("planned_end", UtcDateTime(), nullable=False),
        sa.Column("window_start", UtcDateTime(), nullable=False),
        sa.Column("window_end", UtcDateTime(), nullable=False),
        sa.Column("tasks", sa.JSON(), nullable=False),
        sa.Column("workers_required", sa.Integer(), nullable=False),
        sa.Column("workers", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("home_lat", sa.Float(), nullable=True),
        sa.Column("home_lon", sa.Float(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("rota_updated_at", UtcDateTime(), nullable=False),
        sa.Column("next_check_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("visit_id"),
    )
    with op.batch_alter_table("expected_visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expected_visits_individual_id"), ["individual_id"], unique=False)
        batch_op.create_index(
            "ix_expected_visits_locality_date", ["locality", "local_date", "planned_start"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_expected_visits_next_check_at"), ["next_check_at"], unique=False)

    op.create_table(
        "homes",
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("locality", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("individual_id"),
    )
    op.create_table(
        "nfc_tags",
        sa.Column("tag_id", sa.String(length=100), nullable=False),
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("registered_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("tag_id"),
    )
    with op.batch_alter_table("nfc_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nfc_tags_individual_id"), ["individual_id"], unique=False)

    op.create_table(
        "record_reads",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("reader", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=50), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=False),
        sa.Column("what", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("record_reads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_reads_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "thresholds",
        sa.Column("visit_type", sa.String(length=100), nullable=False),
        sa.Column("late_after_minutes", sa.Float(), nullable=False),
        sa.Column("missed_after_minutes", sa.Float(), nullable=False),
        sa.Column("short_share", sa.Float(), nullable=False),
        sa.Column("overrun_after_minutes", sa.Float(), nullable=False),
        sa.Column("overdue_grace_minutes", sa.Float(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("visit_type"),
    )
    op.create_table(
        "visit_records",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("verification", sa.JSON(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("record_id"),
    )
    with op.batch_alter_table("visit_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_records_visit_id"), ["visit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_records_worker_id"), ["worker_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_records_worker_id"))
        batch_op.drop_index(batch_op.f("ix_visit_records_visit_id"))

    op.drop_table("visit_records")
    op.drop_table("thresholds")
    with op.batch_alter_table("record_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_reads_visit_id"))

    op.drop_table("record_reads")
    with op.batch_alter_table("nfc_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nfc_tags_individual_id"))

    op.drop_table("nfc_tags")
    op.drop_table("homes")
    with op.batch_alter_table("expected_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expected_visits_next_check_at"))
        batch_op.drop_index("ix_expected_visits_locality_date")
        batch_op.drop_index(batch_op.f("ix_expected_visits_individual_id"))

    op.drop_table("expected_visits")
    op.drop_table("conditions")
    op.drop_table("attendances")
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_amendments_visit_id"))
        batch_op.drop_index(batch_op.f("ix_amendments_record_id"))

    op.drop_table("amendments")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_worker_id"))

    op.drop_table("allocations")
