"""Rate limits (in process and in Redis), body size limits, CORS and security headers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.limits import InProcessLimiter, Rate, gcra
from gateway.settings import GatewaySettings
from tests.gateway.standins import GatewayFactory, RunningGateway, dead_url

REDIS_URL = "redis://127.0.0.1:6379/15"
DASHBOARD = "https://dashboard.example.org"


# --- GCRA, pure ---------------------------------------------------------------------------------


def test_a_client_gets_its_burst_at_once_then_the_steady_rate() -> None:
    rate = Rate(per_minute=60, burst=3)  # one a second, three at once
    tat, verdicts = None, []
    for _ in range(4):
        verdict, new_tat = gcra(rate, tat, now_ms=0)
        tat = new_tat if new_tat is not None else tat
        verdicts.append((verdict.allowed, verdict.remaining, verdict.retry_after_seconds))
    assert verdicts == [(True, 2, 0), (True, 1, 0), (True, 0, 0), (False, 0, 1)]
    # One interval later there is room for exactly one more.
    assert gcra(rate, tat, now_ms=1000)[0].allowed
    assert not gcra(rate, tat + 1000, now_ms=1000)[0].allowed


def test_an_idle_client_has_its_whole_burst_back() -> None:
    rate = Rate(per_minute=6, burst=2)
    verdict, _ = gcra(rate, tat_ms=5_000, now_ms=60_000)
    assert (verdict.allowed, verdict.remaining) == (True, 1)


async def test_the_in_process_limiter_forgets_idle_clients_when_full() -> None:
    now = [0.0]
    limiter = InProcessLimiter(clock_ms=lambda: now[0], max_clients=2)
    rate = Rate(per_minute=60, burst=1)
    for key in ("a", "b"):
        assert (await limiter.check(key, rate)).allowed
    now[0] = 5_000
    assert (await limiter.check("c", rate)).allowed
    assert not (await limiter.check("c", rate)).allowed
    assert (await limiter.check("a", rate)).allowed  # forgotten, so a full burst again


# --- through the gateway ------------------------------------------------------------------------


async def _hammer(gw: RunningGateway, headers: dict[str, str], times: int) -> list[httpx.Response]:
    return [await gw.client.get("/v1/people/workers/W1", headers=headers) for _ in range(times)]


@pytest.mark.integration
async def test_a_client_over_its_limit_gets_429_and_others_do_not(gateway_for: GatewayFactory) -> None:
    async with gateway_for(rate_limit_per_minute=60, rate_limit_burst=3) as gw:
        greedy = await _hammer(gw, gw.as_("registered_manager", subject="greedy"), 4)
        other = await _hammer(gw, gw.as_("registered_manager", subject="patient"), 1)
    assert [r.status_code for r in greedy] == [200, 200, 200, 429]
    refused = greedy[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/too-many-requests")
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["x-request-id"]
    assert [greedy[0].headers["ratelimit-remaining"], greedy[2].headers["ratelimit-remaining"]] == ["2", "0"]
    assert other[0].status_code == 200


@pytest.mark.integration
async def test_callers_without_a_valid_token_are_counted_by_address(gateway_for: GatewayFactory) -> None:
    async with gateway_for(anonymous_rate_limit_per_minute=60, anonymous_rate_limit_burst=2) as gw:
        statuses = [
            (
                await gw.client.get("/v1/people/workers/W1", headers={"Authorization": f"Bearer junk{i}"})
            ).status_code
            for i in range(3)
        ]
        signed_in = await gw.client.get("/v1/people/workers/W1")
    # Changing the junk token does not buy a new allowance; a real token has its own.
    assert statuses == [401, 401, 429]
    assert signed_in.status_code == 200


@pytest.fixture
async def redis_db() -> AsyncIterator[str]:
    """Redis database 15 of the Redis on this machine, if one answers (Rounds never starts one)."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        await client.ping()
    except (OSError, RedisError) as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc!r}")
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.mark.integration
async def test_replicas_share_one_count_in_redis(gateway_for: GatewayFactory, redis_db: str) -> None:
    subject = f"shared-{uuid.uuid4().hex}"
    limits = {"rate_limit_per_minute": 60, "rate_limit_burst": 2, "redis_url": redis_db}
    async with gateway_for(**limits) as first, gateway_for(**limits) as second:
        headers = first.as_("registered_manager", subject=subject)
        statuses = [
            (await first.client.get("/v1/people/workers/W1", headers=headers)).status_code,
            (await second.client.get("/v1/people/workers/W1", headers=headers)).status_code,
            (await first.client.get("/v1/people/workers/W1", headers=headers)).status_code,
        ]
    assert statuses == [200, 200, 429]
    client = Redis.from_url(redis_db)
    try:
        assert await client.exists(f"rounds:ratelimit:sub:{subject}")
    finally:
        await client.aclose()


@pytest.mark.integration
async def test_without_redis_the_limits_are_counted_in_process(gateway_for: GatewayFactory) -> None:
    gone = dead_url().replace("http://", "redis://")
    async with gateway_for(rate_limit_per_minute=60, rate_limit_burst=2, redis_url=gone) as gw:
        statuses = [r.status_code for r in await _hammer(gw, gw.as_("registered_manager"), 3)]
    assert statuses == [200, 200, 429]


@pytest.mark.integration
@pytest.mark.parametrize("path", ["/v1/people/echo/upload", "/oauth/token"])
async def test_a_declared_body_over_the_limit_is_413(gateway_for: GatewayFactory, path: str) -> None:
    async with gateway_for(max_body_bytes=1024) as gw:
        response = await gw.client.post(path, content=b"x" * 2048)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["max_bytes"] == 1024


@pytest.mark.integration
async def test_a_chunked_body_is_cut_off_at_the_limit(gateway_for: GatewayFactory) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"grant_type=client_credentials&" * 10

    async with gateway_for(max_body_bytes=1024) as gw:
        response = await gw.client.post("/oauth/token", content=chunks())
    assert response.status_code == 413
    assert response.json()["type"].endswith("/body-too-large")


@pytest.mark.integration
async def test_the_dashboard_origin_may_call_the_api_from_a_browser(gateway_for: GatewayFactory) -> None:
    async with gateway_for(cors_origins=[DASHBOARD]) as gw:
        preflight = await gw.client.options(
            "/v1/people/workers/W1",
            headers={
                "Origin": DASHBOARD,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        actual = await gw.client.get("/v1/people/workers/W1", headers={"Origin": DASHBOARD})
        stranger = await gw.client.get("/v1/people/workers/W1", headers={"Origin": "https://evil.example"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == DASHBOARD
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert actual.headers["access-control-allow-origin"] == DASHBOARD
    assert "x-request-id" in actual.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in stranger.headers


def test_a_wildcard_origin_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="CORS origin"):
        GatewaySettings(cors_origins=["*"])


@pytest.mark.integration
async def test_every_answer_carries_the_security_headers(gateway: RunningGateway) -> None:
    api = await gateway.client.get("/v1/people/workers/W1")
    refused = await gateway.client.get("/v1/people/workers/W1", headers={"Authorization": "Bearer junk"})
    page = await gateway.client.get("/docs")
    for response in (api, refused, page):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "max-age=" in response.headers["strict-transport-security"]
    assert api.headers["cache-control"] == "no-store"
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.integration
async def test_a_forged_forwarded_for_buys_no_new_allowance(gateway_for: GatewayFactory) -> None:
    async with gateway_for(anonymous_rate_limit_per_minute=60, anonymous_rate_limit_burst=1) as gw:
        statuses = [
            (
                await gw.client.get(
                    "/v1/people/workers/W1", headers={"Authorization": "", "X-Forwarded-For": ip}
                )
            ).status_code
            for ip in ("198.51.100.1", "198.51.100.2")
        ]
    assert statuses == [401, 429]


@pytest.mark.integration
async def test_behind_a_trusted_proxy_callers_are_told_apart_by_the_address_it_saw(
    gateway_for: GatewayFactory,
) -> None:
    limits = {"anonymous_rate_limit_per_minute": 60, "anonymous_rate_limit_burst": 1, "trusted_proxy_hops": 1}
    async with gateway_for(**limits) as gw:
        # The caller wrote the first entry itself; the ingress (the peer) appended the real one.
        statuses = [
            (
                await gw.client.get(
                    "/v1/people/workers/W1",
                    headers={"Authorization": "", "X-Forwarded-For": f"10.0.0.9, {ip}"},
                )
            ).status_code
            for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.1")
        ]
        await gw.client.get("/v1/people/workers/W1", headers={"X-Forwarded-For": "10.0.0.9, 198.51.100.3"})
        [record] = (await gw.client.get("/v1/audit/records", params={"worker_id": "W1"})).json()["items"]
    assert statuses == [401, 401, 429]
    assert record["client_address"] == "198.51.100.3"
