"""Alembic environment of the alerts database."""

from rounds.infra.migrations import run_migrations
from services.alerts.adapters.tables import metadata

run_migrations(metadata)
