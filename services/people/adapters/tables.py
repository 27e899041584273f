"""The people service's own tables (the outbox and inbox come from rounds.infra).

Searchable facts (names, locality, role, status, NHS number) are columns; the rest of a record's
detail is a JSON ``profile`` that only this service reads, written and read by the repositories.
"""

from __future__ import annotations

import sqlalchemy as sa

from rounds.infra.db import UtcDateTime

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

individuals = sa.Table(
    "individuals",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("given_name", sa.String(200), nullable=False),
    sa.Column("family_name", sa.String(200), nullable=False),
    sa.Column("nhs_number", sa.String(10), unique=True),
    sa.Column("locality", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("lat", sa.Float(), nullable=False),
    sa.Column("lon", sa.Float(), nullable=False),
    sa.Column("profile", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

key_people = sa.Table(
    "key_people",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("individual_id", sa.Uuid(), sa.ForeignKey("individuals.id"), nullable=False, index=True),
    sa.Column("given_name", sa.String(200), nullable=False),
    sa.Column("family_name", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("profile", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
)

# Restricted: kept apart from the individual's record so no ordinary read or event can carry it.
access_notes = sa.Table(
    "access_notes",
    metadata,
    sa.Column("individual_id", sa.Uuid(), sa.ForeignKey("individuals.id"), primary_key=True),
    sa.Column("notes", sa.Text(), nullable=False),
    sa.Column("key_safe_code", sa.String(50)),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

visit_windows = sa.Table(
    "visit_windows",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("individual_id", sa.Uuid(), sa.ForeignKey("individuals.id"), nullable=False),
    sa.Column("worker_id", sa.Uuid(), sa.ForeignKey("workers.id"), nullable=False),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=False),
    sa.Index("ix_visit_windows_reader", "individual_id", "worker_id", "ends_at"),
)

access_audit = sa.Table(
    "access_audit",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("individual_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("reader_id", sa.String(200), nullable=False),
    sa.Column("reader_role", sa.String(50), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("granted", sa.Boolean(), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
)
