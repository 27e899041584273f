"""Forwarding one request to a service and streaming its answer back.

The body goes up and the answer comes back as streams, so a large upload or export never sits in the
gateway's memory. Connect failures of idempotent requests are retried (a request whose connection
was never opened cannot have done anything); everything else fails fast with a problem+json.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from urllib.parse import quote

import httpx
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from gateway.circuit import CircuitBreaker, MonotonicClock
from gateway.errors import (
    BadGateway,
    BodyTooLarge,
    GatewayBusy,
    ServiceTimeout,
    ServiceUnavailable,
    UnknownService,
)
from gateway.headers import downstream_response_headers, upstream_request_headers
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

# RFC 9110 9.2.2: repeating these has the same effect as sending them once.
IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# Characters left as they are when a decoded path has to be encoded again (RFC 3986 pchar and "/").
_PATH_SAFE = "/:@!$&'()*+,;=-._~"

# nginx's status for "the client closed the connection"; only ever seen in our own logs and traces.
CLIENT_CLOSED_REQUEST = 499

Sleep = Callable[[float], Awaitable[None]]


class RequestBody:
    """The caller's request body as a stream for httpx, capped at ``max_bytes``.

    It remembers whether reading has started: only a body that was never read can be sent again on
    a retry, because the caller's stream cannot be rewound.
    """

    def __init__(self, request: Request, max_bytes: int) -> None:
        self._request = request
        self._max_bytes = max_bytes
        self.started = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.started = True
        received = 0
        async for chunk in self._request.stream():
            received += len(chunk)
            if received > self._max_bytes:
                raise _too_large(self._max_bytes)
            if chunk:
                yield chunk


def _too_large(max_bytes: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"The request body is larger than the {max_bytes} bytes the gateway accepts. "
        "Send a smaller body, or split the upload into several requests.",
        max_bytes=max_bytes,
    )


# Bodies up to this size are read whole and sent as bytes; larger ones (uploads, exports) stream.
SMALL_BODY_BYTES = 64 * 1024


def _is_small(content_length: str | None) -> bool:
    return content_length is not None and content_length.isdigit() and int(content_length) <= SMALL_BODY_BYTES


async def small_body(request: Request, body: RequestBody | None) -> bytes | RequestBody | None:
    """The body as bytes when its declared length is small (cheaper to send, and can be re-sent)."""
    if body is not None and _is_small(request.headers.get("content-length")):
        return b"".join([chunk async for chunk in body])
    return body


def request_body(request: Request, max_bytes: int) -> RequestBody | None:
    """The body to forward, or ``None`` when the request has none (HTTP/1.1 framing says which).

    Raises :class:`BodyTooLarge` at once when the declared ``Content-Length`` is over the limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(max_bytes)
        return RequestBody(request, max_bytes) if declared != "0" else None
    if "transfer-encoding" in request.headers:
        return RequestBody(request, max_bytes)
    return None


def upstream_url(base_url: str, raw_path: bytes | None, service: str, path: str, query: bytes) -> httpx.URL:
    """The service URL for a gateway request to ``/v1/{service}/{path}`` with ``query``.

    The path is taken from the raw request path when possible so that encoded characters such as
    ``%2F`` inside an id reach the service unchanged; ``path`` (already decoded) is the fallback.
    """
    marker = f"/v1/{service}/".encode()
    start = raw_path.find(marker) if raw_path else -1
    if raw_path and start >= 0:
        tail = raw_path[start + len(marker) :]
    else:
        tail = quote(path, safe=_PATH_SAFE).encode("ascii")
    base = httpx.URL(base_url)
    raw = base.raw_path.split(b"?")[0].rstrip(b"/") + b"/" + tail
    if query:
        raw += b"?" + query
    return base.copy_with(raw_path=raw)


class ServiceProxy:
    """Sends requests to the services over shared clients, with retries and a breaker per service."""

    def __init__(
        self,
        client: httpx.AsyncClient | Sequence[httpx.AsyncClient],
        settings: GatewaySettings,
        *,
        clock: MonotonicClock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        # Requests go to the clients in turn (see gateway.main: several small pools beat one large one).
        self._clients = itertools.cycle([client] if isinstance(client, httpx.AsyncClient) else list(client))
        self._settings = settings
        self._sleep = sleep
        self._timeout = httpx.Timeout(
            settings.request_timeout_seconds,
            connect=settings.connect_timeout_seconds,
            pool=settings.connect_timeout_seconds,
        )
        self.breakers: dict[str, CircuitBreaker] = {
            name: CircuitBreaker(
                failure_threshold=settings.breaker_failure_threshold,
                cooldown_seconds=settings.breaker_cooldown_seconds,
                clock=clock,
            )
            for name in settings.services
        }

    def base_url(self, service: str) -> str:
        """Where ``service`` lives; :class:`UnknownService` (listing the known ones) when it is not one."""
        try:
            return self._settings.service_urls[service]
        except KeyError:
            known = list(self._settings.services)
            raise UnknownService(
                f"There is no service called {service!r}. Routes are /v1/<service>/..., "
                f"where <service> is one of: {', '.join(known)}. See /docs for every route.",
                services=known,
            ) from None

    async def forward(
        self, service: str, path: str, request: Request, *, actor: str | None = None
    ) -> Response:
        """Send ``request`` to ``service`` at ``path`` and stream the service's answer back.

        ``actor`` is the verified caller as JSON, sent in ``X-Rounds-Actor`` (see ``gateway.access``).
        """
        url = upstream_url(
            self.base_url(service),
            request.scope.get("raw_path"),
            service,
            path,
            request.scope.get("query_string", b""),
        )
        body = request_body(request, self._settings.max_body_bytes)
        breaker = self.breakers[service]
        if not breaker.allow():
            wait = max(1, breaker.retry_after_seconds())
            raise ServiceUnavailable(
                f"The {service} service failed {breaker.consecutive_failures} times in a row, so the "
                f"gateway is not sending it requests for now. Try again in {wait} s. "
                + self._settings.unreachable_advice(service),
                service=service,
                headers={"Retry-After": str(wait)},
            )
        headers = upstream_request_headers(
            request.headers.raw,
            request_id=request.state.request_id,
            client_host=request.client.host if request.client else None,
            scheme=request.url.scheme,
            prefix=f"/v1/{service}",
            actor=actor,
        )
        try:
            upstream = await self._send(request.method, url, headers, await small_body(request, body))
        except ClientDisconnect:
            # The caller hung up while its body was on the way; nobody is left to answer.
            log.info("caller left during %s %s to %s", request.method, url.path, service)
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            breaker.record_failure()
            log.warning("%s unreachable at %s: %r", service, self._settings.service_urls[service], exc)
            raise ServiceUnavailable(
                f"The {service} service is not answering. " + self._settings.unreachable_advice(service),
                service=service,
                headers={"Retry-After": "5"},
            ) from exc
        except httpx.PoolTimeout as exc:
            # The gateway's own connection pool is full: not the service's fault, so no breaker failure.
            raise GatewayBusy(
                f"The gateway has too many requests in flight to the {service} service. Try again shortly.",
                service=service,
                headers={"Retry-After": "1"},
            ) from exc
        except httpx.TimeoutException as exc:
            breaker.record_failure()
            log.warning("%s did not answer %s %s in time: %r", service, request.method, url.path, exc)
            raise ServiceTimeout(
                f"The {service} service did not answer within {self._settings.request_timeout_seconds:g} s. "
                "The request may still complete: check before repeating anything that is not idempotent.",
                service=service,
            ) from exc
        except httpx.TransportError as exc:
            log.warning("%s broke off %s %s: %r", service, request.method, url.path, exc)
            raise BadGateway(
                f"The {service} service closed the connection without a proper answer. "
                "The request may or may not have been applied: check before repeating it. "
                + self._settings.unreachable_advice(service),
                service=service,
            ) from exc
        breaker.record_success()
        if _is_small(upstream.headers.get("content-length")):
            # Most answers are a few hundred bytes: read them whole rather than pay for a stream.
            try:
                content = await _read_raw(upstream)
            except httpx.HTTPError as exc:
                log.warning("%s broke off its response to %s: %r", service, url.path, exc)
                raise BadGateway(
                    f"The {service} service broke off its answer. "
                    "The request may or may not have been applied: check before repeating it.",
                    service=service,
                ) from exc
            finally:
                await upstream.aclose()
            response = Response(content=content, status_code=upstream.status_code)
        else:
            response = StreamingResponse(
                _relay(upstream, service),
                status_code=upstream.status_code,
                background=BackgroundTask(upstream.aclose),
            )
        response.raw_headers = downstream_response_headers(upstream.headers.raw)
        return response

    async def _send(
        self,
        method: str,
        url: httpx.URL,
        headers: list[tuple[bytes, bytes]],
        body: bytes | RequestBody | None,
    ) -> httpx.Response:
        retries = self._settings.connect_retries if method in IDEMPOTENT_METHODS else 0
        for attempt in range(retries + 1):
            upstream_request = httpx.Request(
                method, url, headers=headers, content=body, extensions={"timeout": self._timeout.as_dict()}
            )
            try:
                # Built by hand rather than with client.build_request so that the client's default
                # headers (Accept-Encoding in particular) do not replace what the caller asked for.
                return await next(self._clients).send(upstream_request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if attempt == retries or (isinstance(body, RequestBody) and body.started):
                    raise
            await self._sleep(self._settings.retry_backoff_seconds * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")


async def _read_raw(upstream: httpx.Response) -> bytes:
    """The whole body, still encoded; a transport that answered in memory has it read already."""
    if upstream.is_stream_consumed:
        return upstream.content
    return b"".join([chunk async for chunk in upstream.aiter_raw()])


async def _relay(upstream: httpx.Response, service: str) -> AsyncIterator[bytes]:
    """The service's body as it arrives, still encoded (the caller decodes what it asked for)."""
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.HTTPError as exc:
        # Headers are already sent, so no problem+json is possible: cut the connection so the
        # caller sees an incomplete response rather than a short one that looks whole.
        log.warning("%s broke off its response to %s: %r", service, upstream.request.url.path, exc)
        raise
    finally:
        await upstream.aclose()
