"""Fixtures for the embedded-default tests: a broker of their own, on a port of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rounds.embedded.broker import EmbeddedBroker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A running embedded broker that the test may stop and start again; stopped afterwards."""
    with EmbeddedBroker(log_dir=tmp_path / "logs") as running:
        yield running
