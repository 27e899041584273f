"""Schemathesis against the gateway's own public operations: no input gets a 5xx or breaks the schema.

The gateway runs in uvicorn on a real socket (its lifespan too: audit database, issuer key) in front
of the stand-in services, and is called with a registered manager's token, so the fuzzing reaches
past authentication into the audit query, the live stream and the token endpoint. The services' own
operations are fuzzed against the services themselves in ``tests/integration/test_api_fuzz.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from gateway.main import create_app
from gateway.policy import ROUTE_RULES
from gateway.settings import GatewaySettings
from rounds.auth.issuer import load_or_create_signing_key, mint_token
from tests.gateway.standins import STAND_IN_RULES, ServerThread, StandIn, listening_socket

pytestmark = pytest.mark.integration

GATEWAY_OWN = (
    "/healthz", "/readyz", "/oauth/token", "/.well-known/", "/v1/audit/", "/v1/live/", "/v1/webhooks/",
)  # fmt: skip


@pytest.fixture(scope="module")
def running_gateway(
    stand_ins: dict[str, StandIn], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The gateway's URL and its data folder (where its issuer key is)."""
    data_dir: Path = tmp_path_factory.mktemp("fuzzed-gateway")
    settings_obj = GatewaySettings(
        data_dir=data_dir,
        service_urls={name: stand_in.url for name, stand_in in stand_ins.items()},
        rate_limit_per_minute=1_000_000,
        rate_limit_burst=100_000,
        anonymous_rate_limit_per_minute=1_000_000,
        anonymous_rate_limit_burst=100_000,
    )
    sock = listening_socket()
    server = ServerThread(
        create_app(settings_obj, route_rules=ROUTE_RULES + STAND_IN_RULES), sock, lifespan="on"
    )
    server.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", data_dir
    finally:
        server.stop()


def test_no_input_to_the_gateways_own_operations_gets_a_server_error(
    running_gateway: tuple[str, Path],
) -> None:
    url, data_dir = running_gateway
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    token = mint_token(load_or_create_signing_key(data_dir), subject="rm-fuzz", role="registered_manager")
    operations = [
        result.ok() for result in schema.get_all_operations() if result.ok().path.startswith(GATEWAY_OWN)
    ]
    assert {op.path for op in operations} >= {
        "/v1/audit/records", "/v1/live/events", "/oauth/token", "/v1/webhooks/subscriptions",
    }  # fmt: skip
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Any) -> None:
            headers = {"Authorization": f"Bearer {token}"} if case.path.startswith("/v1/") else {}
            if case.path == "/v1/live/events":
                case.query = {**(case.query or {}), "seconds": 0.2}
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        call()
