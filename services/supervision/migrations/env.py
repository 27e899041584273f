"""Alembic environment of the supervision database."""

from rounds.infra.migrations import run_migrations
from services.supervision.adapters.tables import metadata

run_migrations(metadata)
