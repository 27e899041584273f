"""Where the tests find a real Kafka-protocol broker and a real Postgres.

Broker: ``KAFKA_BOOTSTRAP_SERVERS`` when given; else a testcontainers Kafka when a Docker engine
answers; else the embedded tansu broker. Postgres: ``DATABASE_URL`` when given (its server is used
for throwaway databases); else a testcontainers Postgres when Docker answers; else the local server
at 127.0.0.1:5432. Without a Postgres, the Postgres cases are skipped with the reason, except under
CI (``CI=true``), where that is a failure: CI must run everything.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.engine import make_url

from rounds.embedded.broker import EmbeddedBroker
from rounds.infra.db import create_engine


@pytest.fixture(scope="session", autouse=True)
def span_exporter() -> InMemorySpanExporter:
    """Every process of the platform installs an SDK tracer provider; the test process does too."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def docker_available() -> bool:
    """Whether a Docker engine answers (testcontainers can be used)."""
    return _docker_answers()


@pytest.fixture(scope="session")
def kafka_bootstrap(docker_available: bool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of a real Kafka-protocol broker shared by the session."""
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield servers
        return
    if docker_available:
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    with EmbeddedBroker(log_dir=tmp_path_factory.mktemp("broker")) as broker:
        yield broker.bootstrap_servers


@pytest.fixture
def stoppable_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of the test's own, which the test may stop and start again (outage tests)."""
    with EmbeddedBroker(log_dir=tmp_path) as broker:
        yield broker


async def _postgres_answers(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_server(docker_available: bool) -> Iterator[str]:
    """URL of a Postgres server's maintenance database, on which tests create throwaway databases."""
    if url := os.environ.get("DATABASE_URL"):
        url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
        yield _reachable_or_skip(make_url(url).set(database="postgres").render_as_string(hide_password=False))
        return
    if docker_available:
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="asyncpg") as container:
            yield container.get_connection_url()
        return
    yield _reachable_or_skip(LOCAL_POSTGRES)


def _reachable_or_skip(url: str) -> str:
    problem = asyncio.run(_postgres_answers(url))
    if problem is None:
        return url
    where = make_url(url).render_as_string(hide_password=True)
    message = f"no Postgres answers at {where} ({problem}); set DATABASE_URL to run the Postgres cases"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
async def postgres_database(postgres_server: str) -> AsyncIterator[str]:
    """A new, empty Postgres database for one test, dropped afterwards."""
    name = f"rounds_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind the platform runs on: SQLite (embedded) and Postgres."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("postgres_database")
    return url
