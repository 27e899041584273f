"""Schemathesis through the gateway against the whole running platform: the public API as callers see it.

Every operation of the aggregated ``/openapi.json`` is called with generated input and a registered
manager's token, over HTTP, through the gateway's authentication, policy, audit, rate limits and
proxy to the real services on Postgres and the real broker. No answer may be a 5xx, and every answer
must keep to the documented schema (issue 12).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance

from tests.e2e.test_proving_flow import Platform, platform, platform_databases  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 4


def _streams(operation: Any) -> bool:
    """Server-sent event streams stay open by design: they are tested where they are built."""
    responses = operation.definition.raw.get("responses", {})
    declared = any("text/event-stream" in (r.get("content") or {}) for r in responses.values())
    # Not every stream declares its media type yet; these paths are streams by name.
    return declared or operation.path.endswith(("/stream", "/live", "/live/events"))


def _fuzz(document: dict[str, Any], base_url: str, headers: dict[str, str]) -> tuple[list[str], list[str]]:
    """Fuzz every operation; returns those checked and a report of each that failed."""
    schema = schemathesis.openapi.from_dict(document)
    checked: list[str] = []
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ("/healthz", "/readyz") or _streams(operation):
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case: Any) -> None:
            # A schema-valid request may still break a domain rule: a 422 naming the field is right.
            # ignored_auth would resend our token with its own (it is covered in tests/gateway).
            case.call_and_validate(
                base_url=base_url, headers=headers, excluded_checks=[positive_data_acceptance, ignored_auth]
            )

        name = f"{operation.method.upper()} {operation.path}"
        checked.append(name)
        try:
            call()
        except Exception as failure:  # every failing operation is reported, not just the first
            failures.append(f"{name}: {failure}"[:3000])
    return checked, failures


async def test_no_request_through_the_gateway_gets_a_server_error_or_breaks_the_schema(
    platform: Platform,  # noqa: F811
) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway, headers=platform.auth, timeout=30) as client:
        document = (await client.get("/openapi.json")).json()
    checked, failures = await asyncio.to_thread(_fuzz, document, platform.gateway, platform.auth)
    assert not failures, "\n\n".join(failures)
    services = {path.split("/")[2] for path in (c.split(" ")[1] for c in checked) if path.startswith("/v1/")}
    assert {"people", "rota", "visits", "supervision", "alerts"} <= services
