"""The rota service's own tables (the outbox and inbox come from rounds.infra)."""

from __future__ import annotations

import sqlalchemy as sa

from rounds.infra.db import UtcDateTime

metadata = sa.MetaData()

# Read model of people's workers: the rota never reads the people database.
workers = sa.Table(
    "workers",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("given_name", sa.String(200), nullable=False),
    sa.Column("family_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(50), nullable=False),
    sa.Column("locality", sa.String(200), nullable=False),
    sa.Column("skills", sa.JSON(), nullable=False),
    sa.Column("contracted_hours_per_week", sa.Float()),
    sa.Column("known_since", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False, server_default="0"),  # people's record version
    sa.Index("ix_workers_locality", "locality"),
)

# How the rota plans a worker (home base, gender, transport, weekly availability, absences). Kept as
# one JSON document until people publishes these facts; then its consumer fills the same document.
worker_planning = sa.Table(
    "worker_planning",
    metadata,
    sa.Column("worker_id", sa.Uuid(), primary_key=True),
    sa.Column("profile", sa.JSON(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# Care packages: the recurring lines are a JSON list (they are always read and written whole).
packages = sa.Table(
    "packages",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("individual_id", sa.Uuid(), nullable=False),
    sa.Column("locality", sa.String(200), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_packages_individual", "individual_id"),
)

visits = sa.Table(
    "visits",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("package_id", sa.Uuid(), nullable=False),
    sa.Column("individual_id", sa.Uuid(), nullable=False),
    sa.Column("locality", sa.String(200), nullable=False),
    sa.Column("local_date", sa.Date(), nullable=False),
    sa.Column("window_start", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("document", sa.JSON(), nullable=False),
    sa.Index("ix_visits_locality_date", "locality", "local_date"),
    sa.Index("ix_visits_package", "package_id"),
    sa.Index("ix_visits_individual_date", "individual_id", "local_date"),
)

planning_runs = sa.Table(
    "planning_runs",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("locality", sa.String(200), nullable=False),
    sa.Column("local_date", sa.Date(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("progress", sa.Float(), nullable=False),
    sa.Column("engine", sa.String(30), nullable=False),
    sa.Column("time_limit_s", sa.Float(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("result", sa.JSON()),
    sa.Column("error", sa.Text()),
    sa.Column("weights", sa.JSON()),  # the coordinator's soft-cost weights; null: the defaults
)

# A worker's published day: the version rises with every change announced to them (000 P45).
schedule_versions = sa.Table(
    "schedule_versions",
    metadata,
    sa.Column("worker_id", sa.Uuid(), primary_key=True),
    sa.Column("local_date", sa.Date(), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("visit_ids", sa.JSON(), nullable=False),
)

# Individuals and their agreed plans as people announced them: the source of derived packages.
individuals = sa.Table(
    "individuals",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),  # 0 while only the plan has arrived
    sa.Column("locality", sa.String(200), nullable=False),
    sa.Column("record", sa.JSON()),
    sa.Column("plan", sa.JSON()),
)
