"""Migrations keep what is already held: plan versions get their review date column filled (0010)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from rounds.infra.db import UtcDateTime
from rounds.infra.migrations import alembic_config, prepare_database, upgrade_head
from services.people.adapters.tables import care_plan_versions, care_plans, individuals

pytestmark = pytest.mark.integration


async def test_plan_versions_held_before_0010_get_their_review_date(database_url: str) -> None:
    await asyncio.to_thread(prepare_database, database_url)
    await asyncio.to_thread(command.upgrade, alembic_config("people", database_url), "0009")
    edna, plan = uuid4(), uuid4()
    at = datetime(2026, 6, 1, 9, tzinfo=UTC)
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(individuals).values(
                id=edna,
                given_name="Edna",
                family_name="Moss",
                locality="Harrogate",
                status="active",
                lat=54.0,
                lon=-1.46,
                profile={},
                version=1,
                created_at=at,
            )
        )
        await connection.execute(sa.insert(care_plans).values(id=plan, individual_id=edna, created_at=at))
        # Written as 0009 knew the table: no review_date column yet.
        table = sa.table(
            "care_plan_versions",
            sa.column("plan_id", sa.Uuid()),
            sa.column("version", sa.Integer()),
            sa.column("status", sa.String()),
            sa.column("content", sa.JSON()),
            sa.column("sign_offs", sa.JSON()),
            sa.column("revision", sa.Integer()),
            sa.column("created_at", UtcDateTime()),
        )
        for version, review in ((1, "2026-09-01"), (2, None)):
            content = {"start_date": "2026-06-08", "review_date": review}
            await connection.execute(
                sa.insert(table).values(
                    plan_id=plan,
                    version=version,
                    status="agreed",
                    content=content,
                    sign_offs=[],
                    revision=version,
                    created_at=at,
                )
            )
    await asyncio.to_thread(upgrade_head, "people", database_url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(care_plan_versions.c.version, care_plan_versions.c.review_date).order_by(
                    care_plan_versions.c.version
                )
            )
        ).all()
    await engine.dispose()
    assert [(r.version, r.review_date) for r in rows] == [(1, date(2026, 9, 1)), (2, None)]
