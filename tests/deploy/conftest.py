"""Fixtures of the deploy tests: the tools (fetched once into pytest's cache) and the rendered chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_tools import VALUE_SETS, Rendered, helm_binary, render

from rounds.infra.topology import Topology, load_topology


@pytest.fixture(scope="session")
def tool_cache(request: pytest.FixtureRequest) -> Path:
    """Where downloaded tools live between runs (inside .pytest_cache, which git ignores)."""
    return Path(request.config.cache.mkdir("rounds-deploy-tools"))


@pytest.fixture(scope="session")
def helm(tool_cache: Path) -> Path:
    """The helm binary."""
    return helm_binary(tool_cache)


@pytest.fixture(scope="session")
def topology() -> Topology:
    """The platform's shape as the code reads it."""
    return load_topology()


@pytest.fixture(scope="session")
def rendered_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the rendered manifests are written."""
    return tmp_path_factory.mktemp("rendered")


@pytest.fixture(scope="session")
def rendered(helm: Path, rendered_dir: Path) -> dict[str, Rendered]:
    """The chart rendered with each value set."""
    return {name: render(helm, rendered_dir, name) for name in VALUE_SETS}


@pytest.fixture(scope="session", params=list(VALUE_SETS))
def each_rendering(request: pytest.FixtureRequest, rendered: dict[str, Rendered]) -> Rendered:
    """The chart rendered with the default values, then with the production example."""
    return rendered[request.param]
