"""Schemathesis past the actor check: as a registered manager and as a care worker, no input gets a
5xx or a response that breaks the schema (the shared fuzz test mostly meets the 401 of a missing actor)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from rounds.embedded.ports import find_free_port
from rounds.infra.migrations import upgrade_head
from services.visits.main import create_app
from services.visits.settings import VisitsSettings

pytestmark = pytest.mark.integration

ACTORS = {
    "registered_manager": {"sub": "rm", "role": "registered_manager"},
    "care_worker": {"sub": "w", "role": "care_worker", "worker_id": str(uuid4())},
}


@pytest.mark.parametrize("role", sorted(ACTORS))
def test_no_request_from_a_known_caller_gets_a_server_error(role: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'visits.db'}"
    upgrade_head("visits", url)
    app = create_app(
        VisitsSettings(
            database_url=url, kafka_bootstrap_servers=f"127.0.0.1:{find_free_port()}", monitor_enabled=False
        )
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"X-Rounds-Actor": json.dumps(ACTORS[role])}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ("/healthz", "/readyz", "/live"):
            continue  # probes need the broker; /live is an endless stream (tested over HTTP elsewhere)

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Any) -> None:
            case.headers = {**(case.headers or {}), **headers}
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        call()
