"""The risk assessment of each individual's home.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_assessments",
        sa.Column("individual_id", sa.Uuid(), sa.ForeignKey("individuals.id"), primary_key=True),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_risk_assessments_review", "risk_assessments", ["status", "review_date", "individual_id"]
    )


def downgrade() -> None:
    op.drop_table("risk_assessments")
