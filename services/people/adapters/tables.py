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
    # 0008
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
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
    # 0011: both encrypted at rest (adapters/field_crypto.py), so the code's column is wide enough for that.
    sa.Column("notes", sa.Text(), nullable=False),
    sa.Column("key_safe_code", sa.Text()),
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
    # 0009: the rota's visit a window came from (None: recorded through the API)
    sa.Column("visit_id", sa.Uuid(), index=True),
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

care_plans = sa.Table(
    "care_plans",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("individual_id", sa.Uuid(), sa.ForeignKey("individuals.id"), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

care_plan_versions = sa.Table(
    "care_plan_versions",
    metadata,
    sa.Column("plan_id", sa.Uuid(), sa.ForeignKey("care_plans.id"), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("content", sa.JSON(), nullable=False),
    sa.Column("sign_offs", sa.JSON(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("agreed_at", UtcDateTime()),
    # 0010: the content's review date, so plans due for review are found without reading every plan
    sa.Column("review_date", sa.Date()),
    sa.Index("ix_care_plan_versions_review", "status", "review_date"),
)

# The on-call roster (000 P37); 0005.
on_call_shifts = sa.Table(
    "on_call_shifts",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("locality", sa.String(200), nullable=False),
    sa.Column("level", sa.Integer(), nullable=False),
    sa.Column("worker_id", sa.Uuid(), sa.ForeignKey("workers.id"), nullable=False),
    sa.Column("worker_name", sa.String(401), nullable=False),
    sa.Column("role", sa.String(50), nullable=False),
    sa.Column("contact_phone", sa.String(30), nullable=False),
    sa.Column("contact_email", sa.String(254)),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Index("ix_on_call_shifts_locality_starts", "locality", "starts_at", "id"),
    sa.Index("ix_on_call_shifts_worker", "worker_id", "starts_at"),
)

on_call_cover = sa.Table(
    "on_call_cover",
    metadata,
    sa.Column("locality", sa.String(200), primary_key=True),
    sa.Column("windows", sa.JSON(), nullable=False),
    sa.Column("levels_required", sa.Integer(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
)

# The gaps last announced per locality, so a review announces only a change.
on_call_gap_reports = sa.Table(
    "on_call_gap_reports",
    metadata,
    sa.Column("locality", sa.String(200), primary_key=True),
    sa.Column("gaps", sa.JSON(), nullable=False),
    sa.Column("checked_at", UtcDateTime(), nullable=False),
)

# Availability and absence; 0006.
worker_availability = sa.Table(
    "worker_availability",
    metadata,
    sa.Column("worker_id", sa.Uuid(), sa.ForeignKey("workers.id"), primary_key=True),
    sa.Column("hours", sa.JSON(), nullable=False),
    sa.Column("max_working_minutes_per_day", sa.Integer()),
    sa.Column("version", sa.Integer(), nullable=False),
)

worker_absences = sa.Table(
    "worker_absences",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), sa.ForeignKey("workers.id"), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("ends_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("short_notice", sa.Boolean(), nullable=False),
    sa.Column("note", sa.String(2000)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Index("ix_worker_absences_worker_starts", "worker_id", "starts_at", "id"),
)

# The home's risk assessment (000 P14-P17); 0007.
risk_assessments = sa.Table(
    "risk_assessments",
    metadata,
    sa.Column("individual_id", sa.Uuid(), sa.ForeignKey("individuals.id"), primary_key=True),
    sa.Column("review_date", sa.Date(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("content", sa.JSON(), nullable=False),
    sa.Index("ix_risk_assessments_review", "status", "review_date", "individual_id"),
)
