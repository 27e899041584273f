"""Visit windows remember the rota visit they came from, so a change to the visit replaces them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit_windows") as batch:
        batch.add_column(sa.Column("visit_id", sa.Uuid()))
    op.create_index("ix_visit_windows_visit_id", "visit_windows", ["visit_id"])


def downgrade() -> None:
    op.drop_index("ix_visit_windows_visit_id", "visit_windows")
    with op.batch_alter_table("visit_windows") as batch:
        batch.drop_column("visit_id")
