"""Whether the platform behind the gateway is ready: every service's own ``/readyz``, asked at once.

Each service's ``/readyz`` already checks its database and the broker, so the gateway only has to
ask all of them and say which are not ready and why. ``rounds up`` polls this to know when the
platform has come up, and tells the user which service to look at when it has not.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import httpx
from opentelemetry.instrumentation.utils import suppress_http_instrumentation

from gateway.settings import GatewaySettings


class ServiceState(StrEnum):
    """What a service's ``/readyz`` said."""

    READY = "ready"
    NOT_READY = "not ready"  # answered, but not with 200
    UNREACHABLE = "unreachable"  # no answer at all


@dataclass(frozen=True)
class ServiceReadiness:
    """One service's answer to ``/readyz``."""

    service: str
    url: str
    state: ServiceState
    reason: str | None = None
    # The service's own checks ({"database": "ok", "broker": "unreachable at ..."}) when it sent them.
    checks: dict[str, Any] | None = None
    # What to do about an unreachable service (the gateway's unreachable hint).
    advice: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The entry for this service in the gateway's ``/readyz`` body."""
        entry: dict[str, Any] = {"state": self.state.value, "url": self.url}
        if self.reason:
            entry["reason"] = self.reason
        if self.checks:
            entry["checks"] = self.checks
        if self.advice:
            entry["advice"] = self.advice
        return entry


@dataclass(frozen=True)
class PlatformReadiness:
    """Every service's readiness, in topology order."""

    services: tuple[ServiceReadiness, ...]

    @property
    def ready(self) -> bool:
        """True only when every service is ready."""
        return all(s.state is ServiceState.READY for s in self.services)

    @property
    def not_ready(self) -> tuple[ServiceReadiness, ...]:
        """The services holding the platform back."""
        return tuple(s for s in self.services if s.state is not ServiceState.READY)

    def services_json(self) -> dict[str, dict[str, Any]]:
        """Each service's entry by name."""
        return {s.service: s.as_json() for s in self.services}

    def summary(self) -> str:
        """Which services are not ready and why, and where to look next."""
        parts = [f"{s.service} is {s.state.value} ({s.reason})" for s in self.not_ready]
        text = "Not every service is ready: " + "; ".join(parts) + "."
        advice = [s.advice for s in self.not_ready if s.advice]
        if len(advice) == 1:
            return f"{text} {advice[0]}"
        if advice:
            return f"{text} Each unreachable service's entry under `services` says where to look."
        return text


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _reason_from_answer(status: int, body: dict[str, Any]) -> str:
    """What a not-ready service said about itself: its problem+json detail when it sent one."""
    if isinstance(body.get("detail"), str):
        return f"HTTP {status}: {body['detail']}"
    return f"HTTP {status} from its /readyz"


async def probe_service(
    client: httpx.AsyncClient, service: str, base_url: str, timeout_seconds: float
) -> ServiceReadiness:
    """Ask one service's ``/readyz``; never raises for a service that is down or slow."""
    url = f"{base_url}/readyz"
    try:
        # Probes run every few seconds: keep them out of the traces.
        with suppress_http_instrumentation():
            response = await client.get(url, timeout=timeout_seconds)
    except httpx.TimeoutException:
        return ServiceReadiness(
            service, url, ServiceState.UNREACHABLE, f"no answer within {timeout_seconds:g} s"
        )
    except httpx.TransportError as exc:
        return ServiceReadiness(
            service, url, ServiceState.UNREACHABLE, f"cannot connect ({type(exc).__name__})"
        )
    body = _json_object(response)
    checks = body.get("checks") if isinstance(body.get("checks"), dict) else None
    if response.status_code == 200:
        return ServiceReadiness(service, url, ServiceState.READY, checks=checks)
    reason = _reason_from_answer(response.status_code, body)
    return ServiceReadiness(service, url, ServiceState.NOT_READY, reason, checks=checks)


async def check_platform(client: httpx.AsyncClient, settings: GatewaySettings) -> PlatformReadiness:
    """Ask every service at once, so the answer takes one probe timeout at most."""
    probes = [
        probe_service(client, name, url, settings.probe_timeout_seconds)
        for name, url in settings.service_urls.items()
    ]
    answers = await asyncio.gather(*probes)
    return PlatformReadiness(
        tuple(
            replace(answer, advice=settings.unreachable_advice(answer.service))
            if answer.state is ServiceState.UNREACHABLE
            else answer
            for answer in answers
        )
    )
