"""Operations alerts for dead-lettered messages, one per original topic, partition and offset.

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
        "dead_letters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("original_topic", sa.String(length=200), nullable=False),
        sa.Column("original_partition", sa.Integer(), nullable=False),
        sa.Column("original_offset", sa.BigInteger(), nullable=False),
        sa.Column("service", sa.String(length=50), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=True),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("error", sa.String(length=600), nullable=False),
        sa.Column("error_type", sa.String(length=100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=True),
        sa.Column("dead_letter_topic", sa.String(length=200), nullable=False),
        sa.Column("dead_letter_partition", sa.Integer(), nullable=False),
        sa.Column("dead_letter_offset", sa.BigInteger(), nullable=False),
        sa.Column("dead_lettered_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "original_topic", "original_partition", "original_offset", name="uq_dead_letters_original"
        ),
    )
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.create_index("ix_dead_letters_recorded", ["recorded_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_index("ix_dead_letters_recorded")
    op.drop_table("dead_letters")
