"""The people service's own tables (the outbox and inbox come from rounds.infra).

Searchable facts (names, locality, role, status, NHS number) are columns; the rest of a record's
detail is a JSON ``profile`` that only this service reads, written and read by the repositories.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

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
    sa.Column("start_date", sa.Date()),
    # 0002
    sa.Column("profile", sa.JSON()),
    sa.Column("status", sa.String(20), nullable=False, server_default="active"),
    sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("may_work", sa.Boolean()),
    sa.Column("compliance_reasons", sa.JSON()),
    sa.Column("compliance_day", sa.Date()),
)

localities = sa.Table(
    "localities",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
)

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("locality_id", sa.Uuid(), sa.ForeignKey("localities.id"), nullable=False),
    sa.Column("manager_id", sa.Uuid(), sa.ForeignKey("workers.id")),
)
