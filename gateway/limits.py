"""Rate limits per client: the generic cell rate algorithm (GCRA), in process or in Redis.

GCRA keeps one number per client, the theoretical arrival time (TAT) of its next request: each
allowed request pushes it ``interval`` (60 s / rate) further, and a request is refused while the TAT
is more than ``burst`` intervals ahead of now. That is a token bucket without a refill timer, so a
client can send ``burst`` requests at once and then ``rate`` a minute, and its state is one key.

With ``ROUNDS_GATEWAY_REDIS_URL`` the TAT lives in Redis, updated by one Lua script (atomic, and on
Redis's clock so that every gateway replica counts alike). When Redis does not answer the gateway
falls back to counting in its own process rather than refusing everyone or letting everyone through.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    """``per_minute`` requests a minute on average, up to ``burst`` at once."""

    per_minute: int
    burst: int

    @property
    def interval_ms(self) -> float:
        """Milliseconds between two requests at the steady rate."""
        return 60_000 / self.per_minute

    @property
    def tolerance_ms(self) -> float:
        """How far ahead of now the TAT may run before requests are refused."""
        return self.interval_ms * (self.burst - 1)


@dataclass(frozen=True)
class Verdict:
    """Whether one request may go on, with what the RateLimit headers tell the client."""

    allowed: bool
    limit: int
    remaining: int
    retry_after_seconds: int  # 0 when allowed
    reset_seconds: int  # until the client has its whole burst again


def gcra(rate: Rate, tat_ms: float | None, now_ms: float) -> tuple[Verdict, float | None]:
    """The verdict for a request at ``now_ms`` with stored ``tat_ms``, and the TAT to store (pure).

    ``None`` to store means the request was refused and the stored TAT stays as it was.
    """
    tat = max(tat_ms if tat_ms is not None else now_ms, now_ms)
    if tat - now_ms > rate.tolerance_ms:
        wait = tat - rate.tolerance_ms - now_ms
        reset = math.ceil((tat - now_ms) / 1000)
        return Verdict(False, rate.burst, 0, max(1, math.ceil(wait / 1000)), reset), None
    new_tat = tat + rate.interval_ms
    remaining = math.floor((rate.tolerance_ms + rate.interval_ms - (new_tat - now_ms)) / rate.interval_ms)
    reset = math.ceil((new_tat - now_ms) / 1000)
    return Verdict(True, rate.burst, max(0, remaining), 0, reset), new_tat


class Limiter(Protocol):
    """Counts a client's requests against a rate."""

    async def check(self, key: str, rate: Rate) -> Verdict:
        """The verdict for one more request of ``key``."""
        ...


class InProcessLimiter:
    """GCRA in this process's memory: right for one gateway, per replica for several."""

    def __init__(self, clock_ms: Callable[[], float] | None = None, max_clients: int = 100_000) -> None:
        self._clock_ms = clock_ms or (lambda: time.monotonic() * 1000)
        self._tats: dict[str, float] = {}
        self._max_clients = max_clients

    async def check(self, key: str, rate: Rate) -> Verdict:
        now = self._clock_ms()
        verdict, new_tat = gcra(rate, self._tats.get(key), now)
        if new_tat is not None:
            if len(self._tats) >= self._max_clients:
                self._forget_idle(now)
            self._tats[key] = new_tat
        return verdict

    def _forget_idle(self, now: float) -> None:
        # A TAT in the past means the client has its full burst again: nothing worth keeping.
        self._tats = {key: tat for key, tat in self._tats.items() if tat > now}


# KEYS[1]: the client's key. ARGV: interval and tolerance in ms. Returns {allowed, remaining,
# retry_after_ms, reset_ms}. Redis's own clock, so that replicas agree whatever their clocks say.
_GCRA_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then
  return {0, 0, math.ceil(tat - tolerance - now), math.ceil(tat - now)}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
return {1, math.floor((tolerance + interval - (new_tat - now)) / interval), 0, math.ceil(new_tat - now)}
"""


class RedisLimiter:
    """GCRA in Redis, shared by every gateway replica; counts in process while Redis is away."""

    def __init__(self, redis: Redis, fallback: InProcessLimiter, prefix: str = "rounds:ratelimit:") -> None:
        self._redis = redis
        self._script = redis.register_script(_GCRA_SCRIPT)
        self._fallback = fallback
        self._prefix = prefix
        self._failing = False

    async def check(self, key: str, rate: Rate) -> Verdict:
        try:
            allowed, remaining, retry_ms, reset_ms = await self._script(
                keys=[self._prefix + key], args=[rate.interval_ms, rate.tolerance_ms]
            )
        except (RedisError, OSError) as exc:
            if not self._failing:
                log.warning("rate limits counted in process: Redis does not answer: %r", exc)
                self._failing = True
            return await self._fallback.check(key, rate)
        if self._failing:
            log.info("rate limits counted in Redis again")
            self._failing = False
        retry = max(1, math.ceil(int(retry_ms) / 1000)) if not allowed else 0
        return Verdict(bool(allowed), rate.burst, int(remaining), retry, math.ceil(int(reset_ms) / 1000))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
