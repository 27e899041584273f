"""ASGI middleware that every gateway request passes through.

Written as plain ASGI rather than ``BaseHTTPMiddleware`` so that streamed responses stay streamed.
Authentication, rate limits and audit will sit here as further middleware (or as router dependencies
in ``gateway.api``); each reads the request id from ``request.state.request_id``.
"""

from __future__ import annotations

import logging
import time

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.headers import REQUEST_ID_HEADER, accepted_request_id

_REQUEST_ID_BYTES = REQUEST_ID_HEADER.encode()

access_log = logging.getLogger("gateway.access")


class RequestIdMiddleware:
    """Gives every request an ``X-Request-Id`` (the caller's, if well formed) and returns it on the response.

    The id is put in ``scope["state"]`` (so ``request.state.request_id``) and on the current span, so a
    support question quoting it leads to the trace. Each request is logged once when it ends, with its
    id, status and duration (uvicorn's own access log is off); ``quiet_paths`` (the probes) only at
    DEBUG, since Kubernetes and ``rounds up`` ask every few seconds.
    """

    def __init__(self, app: ASGIApp, quiet_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.quiet_paths = frozenset(quiet_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = next(
            (
                value.decode("latin-1")
                for name, value in scope["headers"]
                if name.lower() == _REQUEST_ID_BYTES
            ),
            None,
        )
        request_id = accepted_request_id(offered)
        scope.setdefault("state", {})["request_id"] = request_id
        trace.get_current_span().set_attribute("rounds.request_id", request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != _REQUEST_ID_BYTES]
                headers.append((_REQUEST_ID_BYTES, request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            level = logging.DEBUG if scope["path"] in self.quiet_paths else logging.INFO
            access_log.log(
                level,
                "%s %s %s %.1f ms request_id=%s",
                scope["method"],
                scope["path"],
                status or "aborted",
                (time.perf_counter() - started) * 1000,
                request_id,
            )
