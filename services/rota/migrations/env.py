"""Alembic environment of the rota database."""

from rounds.infra.migrations import run_migrations
from services.rota.adapters.tables import metadata

run_migrations(metadata)
