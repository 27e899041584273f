"""Which headers cross the gateway, and the ones it adds (RFC 9110 section 7.6.1, RFC 7239 practice)."""

from __future__ import annotations

from collections.abc import Iterable

from rounds.infra.problems import FORWARDED_PREFIX_HEADER
from rounds.infra.request_log import REQUEST_ID_HEADER

RawHeaders = list[tuple[bytes, bytes]]


# Hop-by-hop headers describe one connection, not the message, so a proxy must not forward them
# (RFC 9110 7.6.1). Proxy-Authorization is the gateway's own business and never goes downstream.
HOP_BY_HOP: frozenset[bytes] = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)

# The trusted identity header: services apply their finer access rules from it (see gateway.access).
ACTOR_HEADER = "x-rounds-actor"

# Headers the gateway sets itself on the way in: httpx writes Host for the service's address, and
# the forwarding headers are rebuilt below so that a caller cannot choose what the service sees.
# The caller's X-Rounds-Actor is always dropped (only the gateway may say who the caller is), and so
# is Authorization: the token stays at the gateway, which tells the services who called instead.
_REPLACED_ON_REQUEST: frozenset[bytes] = frozenset(
    {
        b"host",
        REQUEST_ID_HEADER.encode(),
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-forwarded-prefix",
        ACTOR_HEADER.encode(),
        b"authorization",
    }
)

# Response headers the gateway (its middleware and its server) writes itself.
_SET_BY_GATEWAY: frozenset[bytes] = frozenset({REQUEST_ID_HEADER.encode(), b"date", b"server"})


def without_hop_by_hop(headers: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
    """``headers`` minus the hop-by-hop ones, including any that ``Connection`` names for this hop."""
    pairs = [(name.lower(), value) for name, value in headers]
    named_by_connection = {
        token.strip().lower()
        for name, value in pairs
        if name == b"connection"
        for token in value.split(b",")
        if token.strip()
    }
    return [(name, value) for name, value in pairs if name not in HOP_BY_HOP | named_by_connection]


def upstream_request_headers(
    incoming: Iterable[tuple[bytes, bytes]],
    *,
    request_id: str,
    client_host: str | None,
    scheme: str,
    prefix: str = "",
    actor: str | None = None,
) -> RawHeaders:
    """The headers to send to a service for a request that reached the gateway with ``incoming``.

    Hop-by-hop headers are dropped, ``X-Request-Id`` is set, ``X-Forwarded-For`` gets the caller's
    address appended to any chain already there, ``X-Forwarded-Proto`` and ``X-Forwarded-Host``
    say how the caller reached the gateway, and ``X-Forwarded-Prefix`` the path the service is
    mounted at (``/v1/people``), so its errors name the path the caller used. ``actor`` (JSON) goes
    in ``X-Rounds-Actor``; whatever the caller sent under that name and ``Authorization`` are dropped.
    """
    kept = without_hop_by_hop(incoming)
    original_host = next((value for name, value in kept if name == b"host"), None)
    chain = [value.decode("latin-1") for name, value in kept if name == b"x-forwarded-for"]
    if client_host:
        chain.append(client_host)
    out = [(name, value) for name, value in kept if name not in _REPLACED_ON_REQUEST | {b"x-forwarded-for"}]
    out.append((REQUEST_ID_HEADER.encode(), request_id.encode("ascii")))
    if chain:
        out.append((b"x-forwarded-for", ", ".join(chain).encode("latin-1")))
    out.append((b"x-forwarded-proto", scheme.encode("ascii")))
    if original_host is not None:
        out.append((b"x-forwarded-host", original_host))
    if prefix:
        out.append((FORWARDED_PREFIX_HEADER.encode(), prefix.encode("ascii")))
    if actor is not None:
        out.append((ACTOR_HEADER.encode(), actor.encode("utf-8")))
    return out


def downstream_response_headers(upstream: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
    """The headers to return to the caller from a service's response.

    The gateway's own ``X-Request-Id`` is added by its middleware, and its server writes ``Date`` and
    ``Server``, so the service's copies are dropped rather than sent twice.
    """
    return [(name, value) for name, value in without_hop_by_hop(upstream) if name not in _SET_BY_GATEWAY]
