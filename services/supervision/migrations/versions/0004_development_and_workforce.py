"""Development (PDPs, appraisals, observations, feedback, progression) and the read models of visits,
workers' skills and plans' required skills.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rounds.infra.db import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "development_plans",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("agreed_by", sa.Uuid(), nullable=False),
        sa.Column("goals", sa.JSON(), nullable=False),
        sa.Column("reviews", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_development_plans_worker_id", "development_plans", ["worker_id"])
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("appraiser_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.Column("training_needs", sa.JSON(), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_appraisals_worker_id", "appraisals", ["worker_id"])
    op.create_table(
        "observations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("observer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_observations_worker_id", "observations", ["worker_id"])
    op.create_index("ix_observations_visit_id", "observations", ["visit_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("individual_id", sa.Uuid()),
        sa.Column("key_person_id", sa.Uuid()),
        sa.Column("from_name", sa.String(200)),
        sa.Column("visit_id", sa.Uuid()),
        sa.Column("channel", sa.String(40)),
    )
    op.create_index("ix_feedback_worker_id", "feedback", ["worker_id"])
    op.create_table(
        "progression_evidence",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("signed_off_by", sa.Uuid()),
        sa.Column("signed_off_on", sa.Date()),
    )
    op.create_index("ix_progression_evidence_worker_id", "progression_evidence", ["worker_id"])
    op.create_table(
        "visits_seen",
        sa.Column("visit_id", sa.Uuid(), primary_key=True),
        sa.Column("individual_id", sa.Uuid(), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("planned_start", UtcDateTime(), nullable=False),
        sa.Column("planned_end", UtcDateTime(), nullable=False),
        sa.Column("workers", sa.JSON(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "workforce",
        sa.Column("worker_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("may_work", sa.Boolean(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("competencies", sa.JSON(), nullable=False),
    )
    op.create_index("ix_workforce_locality", "workforce", ["locality"])
    op.create_table(
        "plan_demand",
        sa.Column("individual_id", sa.Uuid(), primary_key=True),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date()),
        sa.Column("individual_active", sa.Boolean(), nullable=False),
        sa.Column("visits", sa.JSON(), nullable=False),
    )
    op.create_index("ix_plan_demand_locality", "plan_demand", ["locality"])


def downgrade() -> None:
    op.drop_table("plan_demand")
    op.drop_table("workforce")
    op.drop_table("visits_seen")
    op.drop_table("progression_evidence")
    op.drop_table("feedback")
    op.drop_table("observations")
    op.drop_table("appraisals")
    op.drop_table("development_plans")
