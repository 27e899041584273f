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
    sa.Index("ix_workers_locality", "locality"),
)
