"""Workers' weekly availability and their absences.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rounds.infra.db import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_availability",
        sa.Column("worker_id", sa.Uuid(), sa.ForeignKey("workers.id"), primary_key=True),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("max_working_minutes_per_day", sa.Integer()),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "worker_absences",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("short_notice", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(2000)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_worker_absences_worker_starts", "worker_absences", ["worker_id", "starts_at", "id"])


def downgrade() -> None:
    op.drop_table("worker_absences")
    op.drop_table("worker_availability")
