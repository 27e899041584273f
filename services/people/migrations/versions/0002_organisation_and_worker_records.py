"""Localities and teams; the worker's full record, its version and last compliance verdict.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("workers", sa.Column("profile", sa.JSON()))
    op.add_column("workers", sa.Column("status", sa.String(20), nullable=False, server_default="active"))
    op.add_column("workers", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("workers", sa.Column("may_work", sa.Boolean()))
    op.add_column("workers", sa.Column("compliance_reasons", sa.JSON()))
    op.add_column("workers", sa.Column("compliance_day", sa.Date()))
    op.create_index("ix_workers_locality_name", "workers", ["locality", "family_name", "given_name", "id"])
    op.create_index("ix_workers_name", "workers", ["family_name", "given_name", "id"])
    op.create_table(
        "localities",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("locality_id", sa.Uuid(), sa.ForeignKey("localities.id"), nullable=False),
        sa.Column("manager_id", sa.Uuid(), sa.ForeignKey("workers.id")),
    )


def downgrade() -> None:
    op.drop_table("teams")
    op.drop_table("localities")
    op.drop_index("ix_workers_name", "workers")
    op.drop_index("ix_workers_locality_name", "workers")
    with op.batch_alter_table("workers") as batch:
        for column in ("compliance_day", "compliance_reasons", "may_work", "version", "status", "profile"):
            batch.drop_column(column)
