"""The errors the gateway itself answers with, each a problem+json that says what to do next."""

from __future__ import annotations

from rounds.infra.problems import Problem


class UnknownService(Problem):
    """The path names no service the gateway routes to."""

    status, slug, title = 404, "unknown-service", "Unknown service"


class BodyTooLarge(Problem):
    """The request body is larger than the gateway accepts."""

    status, slug, title = 413, "body-too-large", "Request body too large"


class BadGateway(Problem):
    """The service broke the connection or answered with something that is not HTTP."""

    status, slug, title = 502, "bad-gateway", "Bad gateway"


class ServiceUnavailable(Problem):
    """The service cannot be reached, or its circuit is open after repeated failures."""

    status, slug, title = 503, "service-unavailable", "Service unavailable"


class GatewayBusy(Problem):
    """The gateway has no free connection to the service within the connect timeout."""

    status, slug, title = 503, "gateway-busy", "Gateway busy"


class ServiceTimeout(Problem):
    """The service did not answer within the gateway's request timeout."""

    status, slug, title = 504, "service-timeout", "Service timed out"
