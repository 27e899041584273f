"""Alembic environment of the people database."""

from rounds.infra.migrations import run_migrations
from services.people.adapters.tables import metadata

run_migrations(metadata)
