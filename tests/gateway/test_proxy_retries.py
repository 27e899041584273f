"""Retries and the breaker as the proxy applies them, with connection failures scripted per attempt.

The transport is scripted so that each attempt's fate is chosen by the test (httpx's MockTransport
would read the body before the handler runs, which a real connection that fails never does);
everything that runs against a real socket is in test_gateway_integration.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.types import Message

from gateway.circuit import CircuitState
from gateway.errors import ServiceUnavailable
from gateway.proxy import SMALL_BODY_BYTES, ServiceProxy
from gateway.settings import GatewaySettings


def incoming(method: str, path: str, body: bytes = b"") -> Request:
    """A request as it reaches the gateway's route, with the request id its middleware sets."""
    headers = [(b"host", b"gateway.test")]
    if body:
        headers.append((b"content-length", str(len(body)).encode()))
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "scheme": "http",
        "server": ("gateway.test", 80),
        "client": ("203.0.113.7", 50000),
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "state": {"request_id": "r-1"},
    }
    return Request(scope, receive)


class Script(httpx.AsyncBaseTransport):
    """Fails the first ``failures`` attempts to connect, then answers 200 with what it received.

    With ``read_before_failing`` a failing attempt first reads the body, as a connection that broke
    while sending would have.
    """

    def __init__(self, failures: int, *, read_before_failing: bool = False) -> None:
        self.failures = failures
        self.read_before_failing = read_before_failing
        self.attempts = 0
        self.bodies: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self.attempts <= self.failures:
            if self.read_before_failing:
                await request.aread()
            raise httpx.ConnectError("connection refused", request=request)
        self.bodies.append(await request.aread())
        return httpx.Response(200, json={"ok": True})


class Sleeps:
    def __init__(self) -> None:
        self.waited: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)


@pytest.fixture
def settings() -> GatewaySettings:
    return GatewaySettings(
        service_urls={"people": "http://people:8101"},
        connect_retries=2,
        retry_backoff_seconds=0.1,
        breaker_failure_threshold=2,
        breaker_cooldown_seconds=30,
    )


async def forward(
    script: Script, settings: GatewaySettings, request: Request, sleeps: Sleeps | None = None
) -> tuple[ServiceProxy, httpx.Response | ServiceUnavailable]:
    async with httpx.AsyncClient(transport=script) as client:
        proxy = ServiceProxy(client, settings, sleep=sleeps or Sleeps())
        try:
            response = await proxy.forward("people", "workers", request)
        except ServiceUnavailable as problem:
            return proxy, problem
        return proxy, httpx.Response(response.status_code)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
async def test_idempotent_requests_are_retried_on_connect_errors_with_backoff(
    method: str, settings: GatewaySettings
) -> None:
    script, sleeps = Script(failures=2), Sleeps()
    _, outcome = await forward(script, settings, incoming(method, "/v1/people/workers"), sleeps)
    assert isinstance(outcome, httpx.Response)
    assert outcome.status_code == 200
    assert script.attempts == 3
    assert sleeps.waited == [0.1, 0.2]


async def test_a_put_body_is_sent_whole_on_the_retry(settings: GatewaySettings) -> None:
    script = Script(failures=1)
    _, outcome = await forward(script, settings, incoming("PUT", "/v1/people/workers", b'{"name": "Ann"}'))
    assert isinstance(outcome, httpx.Response)
    assert script.bodies == [b'{"name": "Ann"}']


async def test_a_streamed_body_already_partly_sent_is_not_sent_again(settings: GatewaySettings) -> None:
    large = b'{"notes": "' + b"x" * SMALL_BODY_BYTES + b'"}'
    script = Script(failures=1, read_before_failing=True)
    _, outcome = await forward(script, settings, incoming("PUT", "/v1/people/workers", large))
    assert isinstance(outcome, ServiceUnavailable)
    assert script.attempts == 1


async def test_a_small_body_is_held_whole_so_an_idempotent_request_is_sent_again_complete(
    settings: GatewaySettings,
) -> None:
    script = Script(failures=1, read_before_failing=True)
    _, outcome = await forward(script, settings, incoming("PUT", "/v1/people/workers", b'{"name": "Ann"}'))
    assert isinstance(outcome, httpx.Response)
    assert outcome.status_code == 200
    assert script.attempts == 2
    assert script.bodies == [b'{"name": "Ann"}']


async def test_retries_stop_after_two(settings: GatewaySettings) -> None:
    script = Script(failures=10)
    _, outcome = await forward(script, settings, incoming("GET", "/v1/people/workers"))
    assert isinstance(outcome, ServiceUnavailable)
    assert script.attempts == 3
    assert outcome.headers["Retry-After"] == "5"


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_non_idempotent_requests_are_never_retried(method: str, settings: GatewaySettings) -> None:
    script = Script(failures=1)
    _, outcome = await forward(script, settings, incoming(method, "/v1/people/workers", b"{}"))
    assert isinstance(outcome, ServiceUnavailable)
    assert script.attempts == 1
    assert "is not answering" in outcome.detail


async def test_breaker_opens_after_failed_requests_and_refuses_without_calling(
    settings: GatewaySettings,
) -> None:
    script = Script(failures=100)
    async with httpx.AsyncClient(transport=script) as client:
        proxy = ServiceProxy(client, settings, sleep=Sleeps())
        for _ in range(2):
            with pytest.raises(ServiceUnavailable):
                await proxy.forward("people", "workers", incoming("GET", "/v1/people/workers"))
        assert proxy.breakers["people"].state is CircuitState.OPEN
        attempts_before = script.attempts
        with pytest.raises(ServiceUnavailable) as refused:
            await proxy.forward("people", "workers", incoming("GET", "/v1/people/workers"))
    assert script.attempts == attempts_before
    assert refused.value.headers["Retry-After"] == "30"
    assert "failed 2 times in a row" in refused.value.detail


async def test_a_caller_that_hangs_up_mid_body_gets_no_error_logged(settings: GatewaySettings) -> None:
    request = incoming("POST", "/v1/people/workers", b'{"name": "Ann"}')

    async def gone() -> Message:
        return {"type": "http.disconnect"}

    request._receive = gone
    async with httpx.AsyncClient(transport=Script(failures=0)) as client:
        proxy = ServiceProxy(client, settings, sleep=Sleeps())
        response = await proxy.forward("people", "workers", request)
    assert response.status_code == 499
    assert proxy.breakers["people"].consecutive_failures == 0
