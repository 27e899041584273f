"""The on-call roster: shifts, each locality's cover requirement, and the gaps last reported.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rounds.infra.db import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "on_call_shifts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("worker_name", sa.String(401), nullable=False),
        sa.Column("role", sa.String(50), nullable=False),
        sa.Column("contact_phone", sa.String(30), nullable=False),
        sa.Column("contact_email", sa.String(254)),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_on_call_shifts_locality_starts", "on_call_shifts", ["locality", "starts_at", "id"])
    op.create_index("ix_on_call_shifts_worker", "on_call_shifts", ["worker_id", "starts_at"])
    op.create_table(
        "on_call_cover",
        sa.Column("locality", sa.String(200), primary_key=True),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("levels_required", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "on_call_gap_reports",
        sa.Column("locality", sa.String(200), primary_key=True),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.Column("checked_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("on_call_gap_reports")
    op.drop_table("on_call_cover")
    op.drop_table("on_call_shifts")
