"""The errors the gateway itself answers with, each a problem+json that says what to do next."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rounds.infra.problems import Problem, problem_response


class GatewayProblem(Problem):
    """A :class:`Problem` that may also carry response headers (``Retry-After``)."""

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers = headers or {}


class UnknownService(GatewayProblem):
    """The path names no service the gateway routes to."""

    status, slug, title = 404, "unknown-service", "Unknown service"


class BodyTooLarge(GatewayProblem):
    """The request body is larger than the gateway accepts."""

    status, slug, title = 413, "body-too-large", "Request body too large"


class BadGateway(GatewayProblem):
    """The service broke the connection or answered with something that is not HTTP."""

    status, slug, title = 502, "bad-gateway", "Bad gateway"


class ServiceUnavailable(GatewayProblem):
    """The service cannot be reached, or its circuit is open after repeated failures."""

    status, slug, title = 503, "service-unavailable", "Service unavailable"


class GatewayBusy(GatewayProblem):
    """The gateway has no free connection to the service within the connect timeout."""

    status, slug, title = 503, "gateway-busy", "Gateway busy"


class ServiceTimeout(GatewayProblem):
    """The service did not answer within the gateway's request timeout."""

    status, slug, title = 504, "service-timeout", "Service timed out"


async def _on_gateway_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayProblem)
    return problem_response(
        exc.status,
        exc.slug,
        exc.title,
        exc.detail,
        instance=request.url.path,
        errors=exc.errors,
        headers=exc.headers or None,
        **exc.extensions,
    )


def install_gateway_problem_handler(app: FastAPI) -> None:
    """Render :class:`GatewayProblem` with its headers (the shared handler has no place for them)."""
    app.add_exception_handler(GatewayProblem, _on_gateway_problem)
