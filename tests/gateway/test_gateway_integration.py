"""The gateway in front of real little services on real sockets: routing, errors, health, docs, traces."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from opentelemetry.trace import SpanKind

from tests.gateway.standins import GatewayFactory, RunningGateway, StandIn, dead_url

pytestmark = pytest.mark.integration

PROBLEM_JSON = "application/problem+json"


def received_headers(echo: dict[str, Any]) -> dict[str, str]:
    """The headers the stand-in received, by lower-case name (last one wins)."""
    return {name: value for name, value in echo["headers"]}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["x-request-id"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://rounds.dev/problems/")
    assert body["detail"]
    return body


async def test_get_reaches_the_service_with_path_and_query(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/v1/rota/echo/workers/a%2Fb?x=1&y=two%20words")
    assert response.status_code == 200
    echo = response.json()
    assert echo["service"] == "rota"
    assert echo["method"] == "GET"
    assert echo["raw_path"] == "/echo/workers/a%2Fb"
    assert echo["query"] == "x=1&y=two%20words"


async def test_post_body_and_content_type_reach_the_service(gateway: RunningGateway) -> None:
    response = await gateway.client.post("/v1/people/echo/individuals", json={"name": "Ann Smith"})
    assert response.status_code == 200
    echo = response.json()
    assert echo["method"] == "POST"
    assert echo["body"] == '{"name":"Ann Smith"}'
    assert received_headers(echo)["content-type"] == "application/json"


async def test_chunked_body_is_streamed_through(gateway: RunningGateway) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for i in range(3):
            yield f"part {i};".encode()

    response = await gateway.client.put("/v1/visits/echo/upload", content=parts())
    assert response.status_code == 200
    assert response.json()["body"] == "part 0;part 1;part 2;"


async def test_callers_request_id_goes_to_the_service_and_comes_back(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/v1/people/echo/x", headers={"X-Request-Id": "support-ticket-42"})
    assert response.headers["x-request-id"] == "support-ticket-42"
    assert received_headers(response.json())["x-request-id"] == "support-ticket-42"


async def test_request_id_is_made_up_when_missing_and_matches_both_ways(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/v1/people/echo/x")
    generated = response.headers["x-request-id"]
    assert len(generated) == 32
    assert received_headers(response.json())["x-request-id"] == generated


async def test_forwarding_headers_are_set_and_hop_by_hop_ones_dropped(gateway: RunningGateway) -> None:
    response = await gateway.client.get(
        "/v1/people/echo/x",
        headers={"Connection": "x-hop-secret", "X-Hop-Secret": "1", "X-Forwarded-For": "198.51.100.1"},
    )
    headers = received_headers(response.json())
    assert headers["x-forwarded-for"] == "198.51.100.1, 203.0.113.7"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == "gateway.test"
    assert "x-hop-secret" not in headers
    assert headers["host"] != "gateway.test"


async def test_one_trace_runs_from_the_gateway_into_the_service(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/v1/supervision/echo/sessions")
    version, trace_id, parent_span_id, _flags = received_headers(response.json())["traceparent"].split("-")
    assert version == "00"

    # Background work (audit batches, webhook sends) makes spans of its own: look at this request's trace.
    spans = [
        s
        for s in gateway.spans.get_finished_spans()
        if s.context and f"{s.context.trace_id:032x}" == trace_id
    ]
    server = next(s for s in spans if s.kind is SpanKind.SERVER and s.name.startswith("GET /v1/"))
    client = next(
        s for s in spans if s.kind is SpanKind.CLIENT and f"{s.context.span_id:016x}" == parent_span_id
    )
    assert server.context is not None
    assert client.context is not None
    assert client.parent is not None


async def test_service_answers_pass_through_unchanged(gateway: RunningGateway) -> None:
    invalid = await gateway.client.get("/v1/people/workers/w1?detail=not-a-bool")
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["query", "detail"]

    not_allowed = await gateway.client.delete("/v1/people/workers/w1")
    assert not_allowed.status_code == 405
    assert not_allowed.headers["allow"] == "GET"

    head = await gateway.client.head("/v1/people/echo/x")
    assert head.status_code == 200
    assert int(head.headers["content-length"]) > 0
    assert head.content == b""


async def test_streamed_encoded_and_repeated_headers_survive(gateway: RunningGateway) -> None:
    streamed = await gateway.client.get("/v1/people/stream?chunks=3")
    assert streamed.text == "line 0\nline 1\nline 2\n"

    compressed = await gateway.client.get("/v1/people/gzipped", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.json() == {"compressed": True}

    cookies = await gateway.client.get("/v1/people/cookies")
    assert len(cookies.headers.get_list("set-cookie")) == 2


async def test_unknown_service_is_404_listing_the_known_ones(gateway: RunningGateway) -> None:
    body = assert_problem(await gateway.client.get("/v1/peeple/workers"), 404)
    assert body["services"] == ["people", "rota", "visits", "supervision", "alerts"]
    assert "peeple" in body["detail"]


async def test_service_down_is_503_saying_what_to_do(gateway_for: GatewayFactory) -> None:
    async with gateway_for(service_urls={"people": dead_url()}, retry_backoff_seconds=0.01) as gateway:
        response = await gateway.client.post("/v1/people/echo/individuals", json={})
    body = assert_problem(response, 503)
    assert body["service"] == "people"
    assert "rounds up" in body["detail"]
    assert "people.log" in body["detail"]
    assert response.headers["retry-after"] == "5"


async def test_slow_service_is_504(gateway_for: GatewayFactory) -> None:
    async with gateway_for(request_timeout_seconds=0.3) as gateway:
        response = await gateway.client.get("/v1/people/slow?seconds=3")
    body = assert_problem(response, 504)
    assert body["service"] == "people"
    assert "0.3 s" in body["detail"]


async def test_repeated_failures_open_the_circuit(gateway_for: GatewayFactory) -> None:
    async with gateway_for(
        service_urls={"rota": dead_url()},
        connect_retries=0,
        breaker_failure_threshold=2,
        breaker_cooldown_seconds=60,
    ) as gateway:
        for _ in range(2):
            assert_problem(await gateway.client.get("/v1/rota/visits"), 503)
        refused = await gateway.client.get("/v1/rota/visits")
        still_fine = await gateway.client.get("/v1/people/echo/x")
    body = assert_problem(refused, 503)
    assert "2 times in a row" in body["detail"]
    assert refused.headers["retry-after"] == "60"
    assert still_fine.status_code == 200  # one service's breaker leaves the others alone


async def test_oversized_body_is_413_before_reaching_the_service(gateway_for: GatewayFactory) -> None:
    async with gateway_for(max_body_bytes=16) as gateway:
        declared = await gateway.client.post("/v1/people/echo/x", content=b"x" * 17)

        async def endless() -> AsyncIterator[bytes]:
            for _ in range(4):
                yield b"y" * 8

        chunked = await gateway.client.post("/v1/people/echo/x", content=endless())
        small = await gateway.client.post("/v1/people/echo/x", content=b"x" * 16)
    assert assert_problem(declared, 413)["max_bytes"] == 16
    assert assert_problem(chunked, 413)["max_bytes"] == 16
    assert small.status_code == 200


async def test_healthz_answers_whatever_the_services_do(gateway_for: GatewayFactory) -> None:
    async with gateway_for(service_urls={"people": dead_url()}) as gateway:
        response = await gateway.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_503_until_every_service_is_ready(
    gateway: RunningGateway, all_ready: dict[str, StandIn]
) -> None:
    all_ready["people"].ready = False
    body = assert_problem(await gateway.client.get("/readyz"), 503)
    people = body["services"]["people"]
    assert people["state"] == "not ready"
    assert "database unreachable" in people["reason"]
    assert people["checks"]["database"].startswith("unreachable")
    assert body["services"]["rota"]["state"] == "ready"
    assert "people is not ready" in body["detail"]

    all_ready["people"].ready = True
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert {entry["state"] for entry in ready.json()["services"].values()} == {"ready"}


async def test_readyz_names_an_unreachable_service_and_where_to_look(gateway_for: GatewayFactory) -> None:
    async with gateway_for(service_urls={"alerts": dead_url()}) as gateway:
        response = await gateway.client.get("/readyz")
    body = assert_problem(response, 503)
    assert body["services"]["alerts"]["state"] == "unreachable"
    assert "cannot connect" in body["services"]["alerts"]["reason"]
    assert "alerts.log" in body["services"]["alerts"]["advice"]
    assert "alerts.log" in body["detail"]
    assert response.headers["retry-after"] == "5"


async def test_openapi_merges_every_service_under_its_prefix(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    for service in ("people", "rota", "visits", "supervision", "alerts"):
        assert f"/v1/{service}/workers/{{worker_id}}" in paths
        assert f"/v1/{service}/readyz" not in paths
    assert {"/healthz", "/readyz"} <= set(paths)
    schemas = document["components"]["schemas"]
    assert {"PeopleWorker", "RotaWorker", "HTTPValidationError", "Readiness"} <= set(schemas)
    assert "Worker" not in schemas
    assert document["x-rounds-unavailable"] == []


async def test_openapi_leaves_out_a_service_that_is_down(gateway_for: GatewayFactory) -> None:
    async with gateway_for(service_urls={"visits": dead_url()}) as gateway:
        document = (await gateway.client.get("/openapi.json")).json()
    assert document["x-rounds-unavailable"] == ["visits"]
    assert "visits" in document["info"]["description"]
    assert not any(path.startswith("/v1/visits/") for path in document["paths"])
    assert "/v1/people/workers/{worker_id}" in document["paths"]


async def test_docs_show_the_merged_document(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "/openapi.json" in response.text
    assert "cdn." not in response.text, "docs must work without internet"
    script = await gateway.client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


async def test_each_request_is_logged_once_with_its_id_and_status(
    gateway: RunningGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="rounds.access")
    await gateway.client.get("/v1/people/echo/x", headers={"X-Request-Id": "log-me"})
    await gateway.client.get("/healthz")
    lines = [r.getMessage() for r in caplog.records if r.name == "rounds.access"]
    assert len(lines) == 1
    assert lines[0].startswith("GET /v1/people/echo/x 200 ")
    assert lines[0].endswith("request_id=log-me")
