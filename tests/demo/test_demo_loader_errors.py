"""How the loader reads the gateway's answers: advice on refusals, patience with rate limits.

These drive the loader's HTTP edge with scripted answers; loading into the real platform is
``test_demo_load.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from rounds.demo.loader import DemoLoadError, GatewayClient, check_gateway

GATEWAY = "http://gateway.test"


def _client(answer: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=GATEWAY, transport=httpx.MockTransport(answer))


def _problem(status: int, detail: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"status": status, "detail": detail}, headers=headers)


async def test_a_refused_token_says_which_data_folder_to_use() -> None:
    async with _client(lambda _: _problem(401, "the token's signature does not verify")) as client:
        with pytest.raises(DemoLoadError, match=r"signature does not verify.*--data-dir"):
            await GatewayClient(client, GATEWAY).call("GET", "/v1/people/organisation")


async def test_rate_limited_requests_wait_and_go_through() -> None:
    answers = iter(
        [_problem(429, "slow down", **{"Retry-After": "0.1"}), httpx.Response(201, json={"id": "x"})]
    )
    async with _client(lambda _: next(answers)) as client:
        response = await GatewayClient(client, GATEWAY).call(
            "POST", "/v1/people/localities", json={"name": "Ripon"}
        )
    assert response.status_code == 201


async def test_a_service_that_does_not_answer_is_named_with_the_gateways_reason() -> None:
    async with _client(lambda _: _problem(503, "people is not answering; see people.log")) as client:
        with pytest.raises(DemoLoadError, match=r"did not answer.*people\.log"):
            await GatewayClient(client, GATEWAY).call("POST", "/v1/people/workers", json={})


async def test_a_rejected_body_shows_the_field_and_reason() -> None:
    def answer(_: httpx.Request) -> httpx.Response:
        body = {"status": 422, "detail": "invalid", "errors": [{"field": "body.nhs_number", "reason": "bad"}]}
        return httpx.Response(422, json=body)

    async with _client(answer) as client:
        with pytest.raises(DemoLoadError, match=r"422.*body\.nhs_number"):
            await GatewayClient(client, GATEWAY).call("POST", "/v1/people/individuals", json={})


async def test_a_gateway_without_the_people_api_is_named_after_a_few_tries() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        return httpx.Response(200, json={"paths": {"/healthz": {}}, "x-rounds-unavailable": ["people"]})

    async with _client(answer) as client:
        with pytest.raises(DemoLoadError, match="people service"):
            await check_gateway(client, GATEWAY, attempts=3, retry_seconds=0.01)
    assert calls.count("/openapi.json") == 3


async def test_a_busy_service_is_asked_again_only_when_repeating_is_safe() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        if len(seen) == 1:
            return _problem(504, "The rota service did not answer within 10 s.")
        return httpx.Response(204)

    async with _client(answer) as client:
        api = GatewayClient(client, GATEWAY)
        assert (await api.call("PUT", "/v1/rota/workers/w/planning-profile", json={})).status_code == 204
        seen.clear()
        with pytest.raises(DemoLoadError, match="did not answer"):
            await api.call("POST", "/v1/people/workers", json={})
    assert seen == ["POST"]
