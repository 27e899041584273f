"""ASGI middleware that every gateway request passes through.

Written as plain ASGI rather than ``BaseHTTPMiddleware`` so that streamed responses stay streamed.
Authentication, rate limits and audit will sit here as further middleware (or as router dependencies
in ``gateway.api``); each reads the request id from ``request.state.request_id``.
"""

from __future__ import annotations

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.headers import REQUEST_ID_HEADER, accepted_request_id

_REQUEST_ID_BYTES = REQUEST_ID_HEADER.encode()


class RequestIdMiddleware:
    """Gives every request an ``X-Request-Id`` (the caller's, if well formed) and returns it on the response.

    The id is put in ``scope["state"]`` (so ``request.state.request_id``) and on the current span, so a
    support question quoting it leads to the trace.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != _REQUEST_ID_BYTES]
                headers.append((_REQUEST_ID_BYTES, request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_request_id)
