"""An index for an individual's visits by day (their schedule).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_visits_individual_date", "visits", ["individual_id", "local_date"])


def downgrade() -> None:
    op.drop_index("ix_visits_individual_date", table_name="visits")
