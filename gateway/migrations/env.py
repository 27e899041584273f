"""Alembic environment of the gateway's own database (the audit trail).

Several gateway replicas may start together against one Postgres database: the first one to take
the advisory lock migrates, the others wait for it and then find nothing to do.
"""

import asyncio

import sqlalchemy as sa
from alembic import context
from sqlalchemy.engine import Connection

from gateway.audit import metadata
from rounds.infra.db import create_engine

# Any constant the other Rounds databases do not use; it only has to be the same in every replica.
MIGRATION_LOCK_ID = 7_310_008


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


async def _run_online(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
    finally:
        await engine.dispose()


url = context.config.get_main_option("sqlalchemy.url")
assert url, "sqlalchemy.url is set by gateway.audit.upgrade_audit_database"
if context.is_offline_mode():
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online(url))
