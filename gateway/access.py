"""Who is calling and whether they may: the gateway's token check and policy, applied to one request.

The services trust the gateway: each request it forwards carries ``X-Rounds-Actor``, a JSON object
with the verified caller (``sub``, ``role`` and the relationships from the token: ``worker_id``,
``localities``, ``individual_ids``, ``consents``, ``scopes``, ``provider``, ``client_id``). The gateway
drops any ``X-Rounds-Actor`` a caller sends, so a service may rely on it where the gateway cannot
decide alone (the locality of a worker named only by id, whether a visit is allocated to the calling
worker and whether a restricted access note is inside its window). Services must only be reachable
through the gateway (the Helm chart's NetworkPolicy) for the header to be trustworthy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, unquote

from starlette.requests import Request

from gateway.auth import Forbidden, TokenVerifier, bearer_token
from gateway.partners import PartnerClient, load_clients, secret_matches
from gateway.policy import (
    ROUTE_RULES,
    Actor,
    Decision,
    InvalidClaims,
    RouteRule,
    a_role,
    actor_from_claims,
    decide,
)
from gateway.protection import VERIFIED_CLAIMS
from gateway.settings import GatewaySettings
from rounds.auth.claims import Role
from rounds.auth.issuer import SigningKey, mint_token
from rounds.infra.problems import Problem


def service_segments(request: Request, service: str) -> list[str]:
    """The path after ``/v1/<service>/``, split and each segment percent-decoded once.

    Taken from the raw path, as the proxy forwards it, so ``a%2Fb`` stays one segment ``a/b`` (what
    the service sees) rather than becoming two. A single trailing slash is ignored.
    """
    raw: bytes = request.scope.get("raw_path") or request.url.path.encode()
    marker = f"/v1/{service}/".encode()
    start = raw.find(marker)
    tail = raw[start + len(marker) :].decode("latin-1") if start >= 0 else ""
    parts = tail.split("/") if tail else []
    if parts and parts[-1] == "":
        parts.pop()
    return [unquote(part) for part in parts]


@dataclass(frozen=True)
class Admission:
    """A request let through: who, the policy's decision, and the header that tells the service."""

    actor: Actor
    decision: Decision

    @property
    def actor_header(self) -> str:
        """``X-Rounds-Actor`` for the service (compact JSON, ASCII only so it is a valid header)."""
        return json.dumps(self.actor.as_header_json(), separators=(",", ":"), ensure_ascii=True)


class AccessGuard:
    """Authenticates bearer tokens and applies the policy for the routed requests."""

    def __init__(
        self, verifier: TokenVerifier, settings: GatewaySettings, rules: Sequence[RouteRule] = ROUTE_RULES
    ) -> None:
        self.verifier = verifier
        self._provider = settings.provider_id
        self._rules = rules

    async def actor(self, request: Request) -> Actor:
        """The verified caller of ``request``; 401 without a valid token, 403 when it names no actor."""
        # The protection middleware verified the token already when it counted the request.
        claims = getattr(request.state, VERIFIED_CLAIMS, None) or await self.verifier.verify(
            bearer_token(request.headers.get("authorization"))
        )
        try:
            return actor_from_claims(claims)
        except InvalidClaims as exc:
            raise Forbidden(
                f"The token is valid but does not say who the caller is to Rounds: {exc}."
            ) from exc

    def decide(self, actor: Actor, request: Request, service: str) -> Decision:
        """The policy's decision for ``actor`` on this request (``service`` may be a gateway area)."""
        decision = decide(
            actor,
            request.method,
            service,
            service_segments(request, service),
            request_query(request),
            provider=self._provider,
            rules=self._rules,
        )
        return decision

    @staticmethod
    def admit(actor: Actor, decision: Decision, method: str) -> Admission:
        """The admission when ``decision`` allows; :class:`Forbidden` saying why when it refuses."""
        if not decision.allowed:
            raise Forbidden(
                f"{a_role(actor.role).capitalize()} may not {method} this resource: {decision.reason}.",
                resource=dict(decision.resource),
            )
        return Admission(actor, decision)

    def authorise(self, actor: Actor, request: Request, service: str) -> Admission:
        """The policy's decision for ``actor`` on this request; :class:`Forbidden` saying why when refused."""
        return self.admit(actor, self.decide(actor, request, service), request.method)


def request_query(request: Request) -> dict[str, list[str]]:
    """The query string's parameters as the policy reads them (every value of each name)."""
    return parse_qs(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


class OAuthError(Problem):
    """An RFC 6749 5.2 error, as problem+json with the ``error`` and ``error_description`` members."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status, self.slug, self.title = (
            status,
            f"oauth-{error.replace('_', '-')}",
            "Token request refused",
        )
        super().__init__(description, headers=headers, error=error, error_description=description)


@dataclass(frozen=True)
class IssuedToken:
    """The answer to a successful token request (RFC 6749 5.1)."""

    access_token: str
    expires_in: int
    scope: str
    token_type: str = "Bearer"  # noqa: S105 (the RFC 6749 token type, not a secret)


class PartnerTokens:
    """The client credentials grant of the built-in issuer: partner systems swap id and secret for a token."""

    def __init__(self, key: SigningKey, settings: GatewaySettings) -> None:
        self._key = key
        self._settings = settings

    def _client(self, client_id: str, secret: str) -> PartnerClient:
        client = load_clients(self._settings.partner_clients_path).get(client_id)
        # Hash even for an unknown id, so the answer's timing does not tell which ids exist.
        stored = client.secret_hash if client else "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA"
        if not secret_matches(secret, stored) or client is None:
            raise OAuthError(
                401,
                "invalid_client",
                "Unknown client or wrong secret.",
                headers={"WWW-Authenticate": 'Basic realm="rounds"'},
            )
        return client

    def issue(self, form: dict[str, str], basic: tuple[str, str] | None) -> IssuedToken:
        """A token for the client ``form`` (or HTTP Basic, RFC 6749 2.3.1) authenticates."""
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(
                400, "unsupported_grant_type", "Only grant_type=client_credentials is supported."
            )
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        if not client_id or not secret:
            raise OAuthError(400, "invalid_request", "Send client_id and client_secret (form or HTTP Basic).")
        client = self._client(client_id, secret)
        asked = frozenset(form.get("scope", "").split()) or client.scopes
        if not asked <= client.scopes:
            refused = ", ".join(sorted(asked - client.scopes))
            raise OAuthError(400, "invalid_scope", f"The client may not have: {refused}.")
        ttl = self._settings.partner_token_ttl_seconds
        scope = " ".join(sorted(asked))
        token = mint_token(
            self._key,
            subject=f"client:{client.client_id}",
            role=Role.PARTNER_SYSTEM.value,
            ttl=timedelta(seconds=ttl),
            audience=self._settings.oidc_audience,
            scope=scope,
            provider=client.provider,
            client_id=client.client_id,
        )
        return IssuedToken(access_token=token, expires_in=ttl, scope=scope)
