"""What every request meets before the routes: body size and rate limits, and the security headers.

ASGI middleware rather than FastAPI dependencies, so that the public routes (``/oauth/token``, the
docs) are protected like ``/v1``, and a refused request costs no more than reading its headers.

- **Body size**: a declared ``Content-Length`` over ``ROUNDS_GATEWAY_MAX_BODY_BYTES`` gets 413 at
  once; a chunked body is counted as it is read and cut off at the limit (413 as well).
- **Rate limits** per client: a caller with a valid token is counted by its subject (a partner by
  its client), anyone else by address, with a smaller allowance. 429 with ``Retry-After``; every
  answer carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``.
- **Security headers** on every answer: no sniffing, no framing, no referrer, HSTS, a strict
  Content-Security-Policy for the API (the HTML pages get one that lets their own scripts run), and
  ``Cache-Control: no-store`` on ``/v1`` answers that do not say otherwise (personal data must not
  stay in shared caches).
"""

from __future__ import annotations

import json
from typing import Any, cast

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.auth import bearer_token
from gateway.errors import BodyTooLarge
from gateway.limits import Rate, Verdict
from rounds.infra.problems import PROBLEM_JSON, PROBLEM_TYPE_BASE, Problem
from rounds.infra.request_log import PROBE_PATHS

# The claims a valid token carried, for AccessGuard.actor to reuse instead of verifying twice.
VERIFIED_CLAIMS = "rounds_verified_claims"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return cast(bytes, value).decode("latin-1")
    return None


async def _send_problem(
    send: Send, status: int, slug: str, title: str, detail: str, headers: dict[str, str], **extra: Any
) -> None:
    body = json.dumps(
        {"type": PROBLEM_TYPE_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    ).encode()
    raw = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _too_large_detail(max_bytes: int) -> str:
    return (
        f"The request body is larger than the {max_bytes} bytes the gateway accepts. "
        "Send a smaller body, or split the upload into several requests."
    )


def _rate_headers(verdict: Verdict) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(verdict.limit),
        "RateLimit-Remaining": str(verdict.remaining),
        "RateLimit-Reset": str(verdict.reset_seconds),
    }


class ProtectionMiddleware:
    """Body size and rate limits; the limiter and token verifier come from the app's runtime."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        runtime = scope["app"].state.runtime
        settings = runtime.settings
        max_bytes: int = settings.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await _send_problem(
                send, 413, "body-too-large", "Request body too large", _too_large_detail(max_bytes), {},
                max_bytes=max_bytes,
            )  # fmt: skip
            return
        key, rate = await self._client(scope, runtime)
        verdict = await runtime.limiter.check(key, rate)
        if not verdict.allowed:
            await _send_problem(
                send,
                429,
                "too-many-requests",
                "Too many requests",
                f"This client sent more than {rate.per_minute} requests a minute (bursts up to "
                f"{rate.burst}). Wait {verdict.retry_after_seconds} s and slow down.",
                {"Retry-After": str(verdict.retry_after_seconds), **_rate_headers(verdict)},
            )
            return
        extra = [(k.lower().encode(), v.encode()) for k, v in _rate_headers(verdict).items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, _capped(receive, max_bytes), send_with_headers)

    async def _client(self, scope: Scope, runtime: Any) -> tuple[str, Rate]:
        """Who is counted: a valid token's subject, or the caller's address."""
        settings = runtime.settings
        anonymous = Rate(settings.anonymous_rate_limit_per_minute, settings.anonymous_rate_limit_burst)
        authorization = _header(scope, b"authorization")
        if authorization and authorization.lower().startswith("bearer "):
            try:
                claims = await runtime.guard.verifier.verify(bearer_token(authorization))
            except Problem:
                # Invalid token or identity provider away: counted by address; the route says why.
                claims = None
            if claims is not None and isinstance(claims.get("sub"), str):
                scope.setdefault("state", {})[VERIFIED_CLAIMS] = claims
                return f"sub:{claims['sub']}", Rate(settings.rate_limit_per_minute, settings.rate_limit_burst)
        return f"ip:{client_address(scope, settings.trusted_proxy_hops) or 'unknown'}", anonymous


def client_address(scope: Scope, trusted_hops: int) -> str | None:
    """The caller's address: the peer's, or with ``trusted_hops`` proxies in front, the address the
    outermost trusted proxy saw (``X-Forwarded-For`` read from its end, where callers cannot write)."""
    peer = scope.get("client")
    address: str | None = peer[0] if peer else None
    if trusted_hops == 0:
        return address
    chain = [hop.strip() for hop in (_header(scope, b"x-forwarded-for") or "").split(",") if hop.strip()]
    return chain[-trusted_hops] if len(chain) >= trusted_hops else address


def _capped(receive: Receive, max_bytes: int) -> Receive:
    """``receive`` that raises :class:`BodyTooLarge` (a 413 problem) once the body passes ``max_bytes``."""
    received = 0

    async def capped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise BodyTooLarge(_too_large_detail(max_bytes), max_bytes=max_bytes)
        return message

    return capped


# Swagger UI and the AsyncAPI page run their own (same-origin) scripts and an inline start-up script.
HTML_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
SECURITY_HEADERS: dict[bytes, bytes] = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"strict-transport-security": b"max-age=31536000; includeSubDomains",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}


class SecurityHeadersMiddleware:
    """Adds the security headers to every answer, keeping any a service set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        personal = scope["path"].startswith("/v1/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                csp = HTML_CSP if content_type.startswith(b"text/html") else API_CSP
                wanted = {**SECURITY_HEADERS, b"content-security-policy": csp.encode()}
                if personal:
                    wanted[b"cache-control"] = b"no-store"
                headers += [(name, value) for name, value in wanted.items() if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
