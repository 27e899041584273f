"""The audit trail: one record per read or change of personal data, and the answer it got.

Both tables are append-only in the database itself, not only in the code: triggers refuse UPDATE,
DELETE (and on Postgres TRUNCATE), so a bug or a hand-typed statement cannot rewrite history.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rounds.infra.db import UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("audit_records", "audit_outcomes")

_POSTGRES_FUNCTION = """
CREATE FUNCTION rounds_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("actor_subject", sa.String(200), nullable=False),
        sa.Column("actor_role", sa.String(40), nullable=False),
        sa.Column("actor_client_id", sa.String(200)),
        sa.Column("client_address", sa.String(64)),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("path", sa.String(2000), nullable=False),
        sa.Column("route", sa.String(200)),
        sa.Column("worker_id", sa.String(200)),
        sa.Column("individual_id", sa.String(200)),
        sa.Column("locality", sa.String(400)),
        sa.Column("purpose", sa.String(500)),
        sa.Column("basis", sa.String(500), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_audit_records_worker_id", "audit_records", ["worker_id", "seq"])
    op.create_index("ix_audit_records_individual_id", "audit_records", ["individual_id", "seq"])
    op.create_index("ix_audit_records_actor_subject", "audit_records", ["actor_subject", "seq"])
    op.create_index("ix_audit_records_recorded_at", "audit_records", ["recorded_at"])
    op.create_table(
        "audit_outcomes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("audit_records.seq"),
            primary_key=True,
        ),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION rounds_audit_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION rounds_audit_append_only()"
            )
        return
    for table in TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'audit records are append-only: {operation} on {table} refused'); END"
            )


def downgrade() -> None:
    # Dropping the tables is the only way back; triggers go with them.
    op.drop_table("audit_outcomes")
    op.drop_table("audit_records")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS rounds_audit_append_only()")
