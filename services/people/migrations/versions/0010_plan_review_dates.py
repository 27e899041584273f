"""Plan versions carry their review date as a column (003 P10: plans due for review are listed).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

import json
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("care_plan_versions") as batch:
        batch.add_column(sa.Column("review_date", sa.Date()))
    op.create_index("ix_care_plan_versions_review", "care_plan_versions", ["status", "review_date"])
    # Fill the column from the versions already held.
    versions = sa.table(
        "care_plan_versions",
        sa.column("plan_id", sa.Uuid()),
        sa.column("version", sa.Integer()),
        sa.column("content", sa.JSON()),
        sa.column("review_date", sa.Date()),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(versions.c.plan_id, versions.c.version, versions.c.content)).all():
        content = row.content if isinstance(row.content, dict) else json.loads(row.content)
        if content.get("review_date"):
            bind.execute(
                versions.update()
                .where(versions.c.plan_id == row.plan_id, versions.c.version == row.version)
                .values(review_date=date.fromisoformat(content["review_date"]))
            )


def downgrade() -> None:
    op.drop_index("ix_care_plan_versions_review", "care_plan_versions")
    with op.batch_alter_table("care_plan_versions") as batch:
        batch.drop_column("review_date")
