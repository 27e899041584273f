"""The visits service's own tables (the outbox and inbox come from rounds.infra).

Instants are UTC (``UtcDateTime``). ``visit_records`` is append-only: a correction is a row in
``amendments`` naming the record, who, when and why. ``attendances`` and ``conditions`` are the state
the rules read, kept in the same transaction as the records that change them. The primary key of
``conditions`` (visit, condition) is what makes the monitor raise each condition once, whatever the
number of replicas.
"""

from __future__ import annotations

import sqlalchemy as sa

from rounds.infra.db import UtcDateTime

metadata = sa.MetaData()

_id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

expected_visits = sa.Table(
    "expected_visits",
    metadata,
    sa.Column("visit_id", sa.Uuid(), primary_key=True),
    sa.Column("individual_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("package_id", sa.Uuid(), nullable=False),
    sa.Column("locality", sa.String(200), nullable=False),
    sa.Column("local_date", sa.Date(), nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("service_type", sa.String(100), nullable=False),
    sa.Column("planned_start", UtcDateTime(), nullable=False),
    sa.Column("planned_end", UtcDateTime(), nullable=False),
    sa.Column("window_start", UtcDateTime(), nullable=False),
    sa.Column("window_end", UtcDateTime(), nullable=False),
    sa.Column("tasks", sa.JSON(), nullable=False),
    sa.Column("workers_required", sa.Integer(), nullable=False),
    sa.Column("workers", sa.JSON(), nullable=False),
    sa.Column("address", sa.String(500), nullable=False),
    sa.Column("home_lat", sa.Float()),
    sa.Column("home_lon", sa.Float()),
    sa.Column("cancelled", sa.Boolean(), nullable=False),
    sa.Column("rota_updated_at", UtcDateTime(), nullable=False),
    # When the monitor must look next (NULL: nothing can fall due by time alone).
    sa.Column("next_check_at", UtcDateTime(), index=True),
    sa.Index("ix_expected_visits_locality_date", "locality", "local_date", "planned_start"),
)

allocations = sa.Table(
    "allocations",
    metadata,
    sa.Column("visit_id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), primary_key=True, index=True),
)

homes = sa.Table(
    "homes",
    metadata,
    sa.Column("individual_id", sa.Uuid(), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("lat", sa.Float()),
    sa.Column("lon", sa.Float()),
    sa.Column("phone", sa.String(50)),
    sa.Column("locality", sa.String(200)),
)

nfc_tags = sa.Table(
    "nfc_tags",
    metadata,
    sa.Column("tag_id", sa.String(100), primary_key=True),
    sa.Column("individual_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("registered_at", UtcDateTime(), nullable=False),
    sa.Column("registered_by", sa.String(200), nullable=False),
)

visit_records = sa.Table(
    "visit_records",
    metadata,
    # The app's own id: the same id is accepted once, and a replay returns ``result``.
    sa.Column("record_id", sa.Uuid(), primary_key=True),
    sa.Column("visit_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("content", sa.JSON(), nullable=False),
    sa.Column("verification", sa.JSON()),
    sa.Column("flagged", sa.Boolean(), nullable=False),
    sa.Column("result", sa.JSON(), nullable=False),
)

amendments = sa.Table(
    "amendments",
    metadata,
    sa.Column("amendment_id", sa.Uuid(), primary_key=True),
    sa.Column("record_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("visit_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("amended_by", sa.String(200), nullable=False),
    sa.Column("amended_at", UtcDateTime(), nullable=False),
    sa.Column("reason", sa.String(2000), nullable=False),
    sa.Column("changes", sa.JSON(), nullable=False),
)

attendances = sa.Table(
    "attendances",
    metadata,
    sa.Column("visit_id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), primary_key=True),
    sa.Column("checked_in_at", UtcDateTime(), nullable=False),
    sa.Column("check_in_record", sa.Uuid(), nullable=False),
    sa.Column("checked_out_at", UtcDateTime()),
    sa.Column("check_out_record", sa.Uuid()),
)

conditions = sa.Table(
    "conditions",
    metadata,
    sa.Column("visit_id", sa.Uuid(), primary_key=True),
    sa.Column("condition", sa.String(20), primary_key=True),
    sa.Column("deadline", UtcDateTime(), nullable=False),
    sa.Column("raised_at", UtcDateTime(), nullable=False),
    sa.Column("raised_by", sa.String(200), nullable=False),
    sa.Column("resolved_at", UtcDateTime()),
    sa.Column("resolution", sa.String(20)),
    sa.Column("detail", sa.String(1000), nullable=False),
)

thresholds = sa.Table(
    "thresholds",
    metadata,
    # "*" is the provider-wide set; any other value is a visit type that differs from it.
    sa.Column("visit_type", sa.String(100), primary_key=True),
    sa.Column("late_after_minutes", sa.Float(), nullable=False),
    sa.Column("missed_after_minutes", sa.Float(), nullable=False),
    sa.Column("short_share", sa.Float(), nullable=False),
    sa.Column("overrun_after_minutes", sa.Float(), nullable=False),
    sa.Column("overdue_grace_minutes", sa.Float(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

# Every read of visit records (notes, concerns and incidents are personal data) is written here.
record_reads = sa.Table(
    "record_reads",
    metadata,
    sa.Column("id", _id_type, primary_key=True, autoincrement=True),
    sa.Column("visit_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("reader", sa.String(200), nullable=False),
    sa.Column("role", sa.String(50), nullable=False),
    sa.Column("read_at", UtcDateTime(), nullable=False),
    sa.Column("what", sa.String(100), nullable=False),
)
