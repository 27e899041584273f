"""Each service's own Alembic environment, run programmatically (``rounds migrate <service>``)."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Connection, make_url

from rounds.infra.db import create_engine, is_sqlite
from rounds.infra.messaging_tables import messaging_metadata
from rounds.infra.settings import ServiceSettings

log = logging.getLogger(__name__)


def migrations_folder(service: str) -> Path:
    """Where service ``service`` keeps its Alembic versions."""
    spec = importlib.util.find_spec(f"services.{service}")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"there is no service called {service!r}")
    return Path(next(iter(spec.submodule_search_locations))) / "migrations"


def alembic_config(service: str, database_url: str) -> Config:
    """An Alembic configuration for ``service`` against ``database_url``."""
    config = Config()
    config.set_main_option("script_location", str(migrations_folder(service)))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def upgrade_head(service: str, database_url: str | None = None) -> None:
    """Bring ``service``'s database to the newest schema, creating the database when it is missing."""
    url = database_url or ServiceSettings.for_service(service).database_url
    prepare_database(url)
    command.upgrade(alembic_config(service, url), "head")


def prepare_database(url: str) -> None:
    """Make sure the database behind ``url`` exists (SQLite folder, or a Postgres database)."""
    parsed = make_url(url)
    if is_sqlite(url):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    asyncio.run(_create_postgres_database_if_missing(url))


async def _create_postgres_database_if_missing(url: str) -> None:
    parsed = make_url(url)
    name = parsed.database
    # CREATE DATABASE cannot run inside a transaction block.
    admin = create_engine(
        parsed.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists:
                return
            quoted = conn.dialect.identifier_preparer.quote(str(name))
            await conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
            log.info("created database %s", name)
    finally:
        await admin.dispose()


def run_migrations(target_metadata: sa.MetaData) -> None:
    """The body of every service's ``env.py``: migrate online with the async engine."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is set by alembic_config()"
    metadata = [target_metadata, messaging_metadata]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, metadata))


async def _run_online(url: str, metadata: list[sa.MetaData]) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, metadata)
    finally:
        await engine.dispose()


def _migrate(connection: Connection, metadata: list[sa.MetaData]) -> None:
    # render_as_batch lets ALTERs work on SQLite, which cannot alter most columns in place.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
