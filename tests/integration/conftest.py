"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.kit import Harness, create_tables


@pytest.fixture
async def harness(database_url: str, kafka_bootstrap: str) -> AsyncIterator[Harness]:
    """The messaging harness on a fresh database of each kind and the session's broker."""
    await create_tables(database_url)
    h = Harness(database_url, kafka_bootstrap)
    yield h
    await h.close()
