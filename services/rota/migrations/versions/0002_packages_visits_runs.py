"""Care packages, visits, planning runs, workers' planning profiles and published schedule versions.

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
        "worker_planning",
        sa.Column("worker_id", sa.Uuid(), primary_key=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "packages",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_packages_individual", "packages", ["individual_id"])
    op.create_table(
        "visits",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("package_id", sa.Uuid(), nullable=False),
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("window_start", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )
    op.create_index("ix_visits_locality_date", "visits", ["locality", "local_date"])
    op.create_index("ix_visits_package", "visits", ["package_id"])
    op.create_table(
        "planning_runs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("engine", sa.String(30), nullable=False),
        sa.Column("time_limit_s", sa.Float(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime()),
        sa.Column("result", sa.JSON()),
        sa.Column("error", sa.Text()),
    )
    op.create_table(
        "schedule_versions",
        sa.Column("worker_id", sa.Uuid(), primary_key=True),
        sa.Column("local_date", sa.Date(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("visit_ids", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("schedule_versions")
    op.drop_table("planning_runs")
    op.drop_index("ix_visits_package", table_name="visits")
    op.drop_index("ix_visits_locality_date", table_name="visits")
    op.drop_table("visits")
    op.drop_index("ix_packages_individual", table_name="packages")
    op.drop_table("packages")
    op.drop_table("worker_planning")
