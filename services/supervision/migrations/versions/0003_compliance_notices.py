"""Compliance notices already announced (one per worker, rule, item, due date and state).

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
        "compliance_notices",
        sa.Column("worker_id", sa.Uuid(), primary_key=True),
        sa.Column("rule", sa.String(60), primary_key=True),
        sa.Column("item", sa.String(200), primary_key=True),
        sa.Column("due_on", sa.Date(), primary_key=True),
        sa.Column("state", sa.String(20), primary_key=True),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("emitted_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("compliance_notices")
