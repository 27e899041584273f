"""The rota's read model of workers, and the outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rounds.infra.db import UtcDateTime
from rounds.infra.messaging_tables import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables_v1(op)
    op.create_table(
        "workers",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("given_name", sa.String(200), nullable=False),
        sa.Column("family_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(50), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("contracted_hours_per_week", sa.Float()),
        sa.Column("known_since", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_workers_locality", "workers", ["locality"])


def downgrade() -> None:
    op.drop_index("ix_workers_locality", table_name="workers")
    op.drop_table("workers")
    drop_messaging_tables_v1(op)
