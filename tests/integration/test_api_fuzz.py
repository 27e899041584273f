"""Schemathesis against every service's own OpenAPI: no input gets a 5xx or a response that breaks the schema.

The services run in-process on a fresh SQLite database with a broker address where nothing listens:
whatever Kafka is doing, the HTTP edge must answer every request properly (writes wait in the outbox).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from rounds.embedded.ports import find_free_port
from rounds.infra.migrations import upgrade_head
from rounds.infra.settings import ServiceSettings
from rounds.infra.topology import SERVICE_NAMES

pytestmark = pytest.mark.integration


def _service_app(name: str, data_dir: Path) -> Any:
    database_url = f"sqlite+aiosqlite:///{data_dir / f'{name}.db'}"
    upgrade_head(name, database_url)
    settings_module = importlib.import_module(f"services.{name}.settings")
    settings_class = next(
        value
        for value in vars(settings_module).values()
        if isinstance(value, type) and issubclass(value, ServiceSettings) and value is not ServiceSettings
    )
    nowhere = f"127.0.0.1:{find_free_port()}"
    settings_obj = settings_class(database_url=database_url, kafka_bootstrap_servers=nowhere)
    return importlib.import_module(f"services.{name}.main").create_app(settings_obj)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_no_request_gets_a_server_error_or_breaks_the_schema(service: str, tmp_path: Path) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", _service_app(service, tmp_path))
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        if operation.path in ("/healthz", "/readyz"):
            continue  # readiness is 503 here by design: no broker listens

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Any) -> None:
            # Input the schema admits may still break a domain rule (a name of only spaces, an end
            # before its start): a 422 naming the field is the right answer there, not a failure.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        call()
