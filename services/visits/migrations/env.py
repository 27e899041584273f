"""Alembic environment of the visits database."""

from rounds.infra.migrations import run_migrations
from services.visits.adapters.tables import metadata

run_migrations(metadata)
