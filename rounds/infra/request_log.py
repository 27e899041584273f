"""Request ids and one log line per request, for the gateway and every service.

Written as plain ASGI rather than ``BaseHTTPMiddleware`` so that streamed responses stay streamed.
The gateway gives each request an ``X-Request-Id`` and forwards it; a service keeps the one it gets,
so one id names the request in every log line it causes.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
PROBE_PATHS = ("/healthz", "/readyz")

_REQUEST_ID_BYTES = REQUEST_ID_HEADER.encode()
# What we accept as a caller's request id: enough for UUIDs, ULIDs and most tracing systems' ids,
# and nothing that could break a log line or a header.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")

access_log = logging.getLogger("rounds.access")


def accepted_request_id(value: str | None) -> str:
    """The caller's request id when it is well formed, otherwise a fresh one."""
    if value is not None and _REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives every request an ``X-Request-Id`` (the caller's, if well formed) and returns it on the response.

    The id is put in ``scope["state"]`` (so ``request.state.request_id``) and on the current span, so a
    support question quoting it leads to the trace. Each request is logged once when it ends, with its
    id, status and duration (uvicorn's own access log is off); ``quiet_paths`` (the probes) only at
    DEBUG, since Kubernetes and ``rounds up`` ask every few seconds.
    """

    def __init__(self, app: ASGIApp, quiet_paths: tuple[str, ...] = PROBE_PATHS) -> None:
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
