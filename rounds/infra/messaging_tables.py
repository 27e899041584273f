"""The outbox and inbox tables that every service's database holds beside its own tables."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from rounds.infra.db import UtcDateTime

messaging_metadata = sa.MetaData()

# Position gives the publishing order; SQLite needs plain INTEGER for an auto-incrementing key.
_position_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _outbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("position", _position_type, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("time", UtcDateTime(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("trace_headers", sa.JSON(), nullable=False),
        sa.Column("published_at", UtcDateTime()),
    ]


def _inbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
    ]


outbox = sa.Table("outbox", messaging_metadata, *_outbox_columns())
sa.Index("ix_outbox_unpublished", outbox.c.published_at, outbox.c.position)
inbox = sa.Table("inbox", messaging_metadata, *_inbox_columns())


def create_messaging_tables_v1(op: Any) -> None:
    """Create the outbox and inbox; called from each service's first migration.

    When these tables change, the change gets its own ``..._v2`` step and this function keeps the
    version 1 columns (copy them here first), so that old migrations stay true.
    """
    op.create_table("outbox", *_outbox_columns())
    op.create_index("ix_outbox_unpublished", "outbox", ["published_at", "position"])
    op.create_table("inbox", *_inbox_columns())


def drop_messaging_tables_v1(op: Any) -> None:
    """Undo :func:`create_messaging_tables_v1`."""
    op.drop_table("inbox")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
