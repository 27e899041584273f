"""Individuals and their agreed plans, from people's events (the source of derived packages).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "individuals",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("record", sa.JSON()),
        sa.Column("plan", sa.JSON()),
    )


def downgrade() -> None:
    op.drop_table("individuals")
