"""The alerts service's own tables (the outbox and inbox come from rounds.infra)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
