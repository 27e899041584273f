"""Individuals, key people, restricted access notes, visit windows and the access audit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rounds.infra.db import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "individuals",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("given_name", sa.String(200), nullable=False),
        sa.Column("family_name", sa.String(200), nullable=False),
        sa.Column("nhs_number", sa.String(10), unique=True),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_individuals_name", "individuals", ["family_name", "given_name", "id"])
    op.create_table(
        "key_people",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("individual_id", sa.Uuid(), sa.ForeignKey("individuals.id"), nullable=False),
        sa.Column("given_name", sa.String(200), nullable=False),
        sa.Column("family_name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_key_people_individual_id", "key_people", ["individual_id"])
    op.create_table(
        "access_notes",
        sa.Column("individual_id", sa.Uuid(), sa.ForeignKey("individuals.id"), primary_key=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("key_safe_code", sa.String(50)),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "visit_windows",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("individual_id", sa.Uuid(), sa.ForeignKey("individuals.id"), nullable=False),
        sa.Column("worker_id", sa.Uuid(), sa.ForeignKey("workers.id"), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_visit_windows_reader", "visit_windows", ["individual_id", "worker_id", "ends_at"])
    op.create_table(
        "access_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("reader_id", sa.String(200), nullable=False),
        sa.Column("reader_role", sa.String(50), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_access_audit_individual_id", "access_audit", ["individual_id"])


def downgrade() -> None:
    op.drop_table("access_audit")
    op.drop_table("visit_windows")
    op.drop_table("access_notes")
    op.drop_table("key_people")
    op.drop_table("individuals")
