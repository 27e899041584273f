"""Bearer token verification (RFC 6750, RFC 7519, OIDC Core 3.1.3.7) against an issuer's JWKS.

A token is accepted only when: its ``alg`` is on the allow-list (RS256, ES256: never ``none``, never
an HMAC that a public key could be abused as the secret of), its ``kid`` names a key of the configured
issuer, the signature checks with that key, ``iss`` and ``aud`` are the configured ones, and ``exp``
(required) has not passed beyond a small leeway for clock skew. Every refusal is a 401 problem+json
with ``WWW-Authenticate: Bearer`` saying why.

Keys come from the built-in issuer (:class:`StaticKeys`) or from the identity provider's JWKS URL
(:class:`RemoteJwks`), which are cached and re-fetched when a token names an unknown ``kid``
(the provider has rotated its keys), at most once every few seconds so junk tokens cannot make the
gateway hammer the provider.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
import jwt
from jwt import PyJWK

from gateway.circuit import MonotonicClock
from rounds.infra.problems import Problem

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS: frozenset[str] = frozenset({"RS256", "ES256"})
_KEY_TYPE_FOR_ALGORITHM = {"RS256": "RSA", "ES256": "EC"}
REALM = "rounds"


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "'")


class Unauthenticated(Problem):
    """No usable bearer token: 401 with ``WWW-Authenticate`` (RFC 6750 3)."""

    status, slug, title = 401, "unauthenticated", "Authentication required"

    def __init__(self, detail: str, *, error: str | None = "invalid_token") -> None:
        challenge = f'Bearer realm="{REALM}"'
        if error:
            # RFC 6750 3.1: no error code when the request carried no token at all.
            challenge += f', error="{error}", error_description="{_quoted(detail)}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class Forbidden(Problem):
    """A valid token whose holder may not do this."""

    status, slug, title = 403, "forbidden", "Forbidden"


class IdentityProviderUnavailable(Problem):
    """The issuer's keys cannot be fetched, so no token can be checked."""

    status, slug, title = 503, "identity-provider-unavailable", "Identity provider unavailable"


class KeySet(Protocol):
    """Where verification keys come from."""

    async def key_for(self, kid: str | None) -> PyJWK | None:
        """The key named ``kid`` (or the only key, when the token names none), else ``None``."""
        ...


def _parse_jwks(document: Any) -> dict[str, PyJWK]:
    keys: dict[str, PyJWK] = {}
    entries = document.get("keys", []) if isinstance(document, dict) else []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            keys[str(entry.get("kid", ""))] = PyJWK(entry)
        except jwt.PyJWTError as exc:  # one bad or unsupported key must not hide the others
            log.warning("ignoring JWKS key %r: %s", entry.get("kid"), exc)
    return keys


def _pick(keys: Mapping[str, PyJWK], kid: str | None) -> PyJWK | None:
    if kid is None:
        return next(iter(keys.values())) if len(keys) == 1 else None
    return keys.get(kid)


class StaticKeys:
    """A fixed JWK set (the built-in issuer's own public key)."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = _parse_jwks(dict(jwks))

    async def key_for(self, kid: str | None) -> PyJWK | None:
        """The named key of the set."""
        return _pick(self._keys, kid)


class RemoteJwks:
    """An identity provider's JWKS, cached for ``cache_seconds`` and re-fetched on an unknown ``kid``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
        timeout_seconds: float = 5.0,
        clock: MonotonicClock = time.monotonic,
    ) -> None:
        self._client = client
        self._url = url
        self._cache_seconds = cache_seconds
        self._min_refresh = min_refresh_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key_for(self, kid: str | None) -> PyJWK | None:
        """The named key, fetching the set when it is stale or does not know ``kid``."""
        now = self._clock()
        stale = self._fetched_at is None or now - self._fetched_at >= self._cache_seconds
        unknown = _pick(self._keys, kid) is None
        may_refresh = self._fetched_at is None or now - self._fetched_at >= self._min_refresh
        if stale or (unknown and may_refresh):
            await self._refresh()
        return _pick(self._keys, kid)

    async def _refresh(self) -> None:
        async with self._lock:
            try:
                response = await self._client.get(self._url, timeout=self._timeout)
                response.raise_for_status()
                keys = _parse_jwks(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("cannot fetch the JWKS at %s: %r", self._url, exc)
                if not self._keys:
                    raise IdentityProviderUnavailable(
                        "The identity provider's signing keys cannot be fetched, so the token cannot "
                        "be checked. Try again shortly.",
                        headers={"Retry-After": "5"},
                    ) from exc
                return  # keep the keys we had: the provider's hiccup should not log everyone out
            self.fetches += 1
            self._keys = keys
            self._fetched_at = self._clock()


# Tokens whose signature has been checked, kept so that an app's next request skips the signature
# (a tenth of a proxied request's CPU); bounded, oldest out first.
VERIFIED_TOKENS_KEPT = 4096


class TokenVerifier:
    """Checks bearer tokens of one issuer for one audience.

    A token that passed is remembered with the key that signed it: while that key is still the
    issuer's and the token has not expired, the same token is accepted without checking its
    signature again. Everything else (the header, the key lookup, expiry) is checked every time.
    """

    def __init__(self, keys: KeySet, *, issuer: str, audience: str, leeway_seconds: float = 30.0) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds
        self._verified: OrderedDict[str, tuple[PyJWK, dict[str, Any]]] = OrderedDict()

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims once every check passes; :class:`Unauthenticated` saying why otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("The bearer token is not a well-formed JWT.") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise Unauthenticated(
                f"Tokens signed with {algorithm!r} are not accepted; use one of "
                f"{', '.join(sorted(ALLOWED_ALGORITHMS))}."
            )
        kid = header.get("kid")
        key = await self.keys.key_for(kid if isinstance(kid, str) else None)
        if key is None or key.key_type != _KEY_TYPE_FOR_ALGORITHM[algorithm]:
            raise Unauthenticated("The token is signed with a key this gateway does not trust.")
        remembered = self._verified.get(token)
        if remembered is not None and remembered[0] is key:
            if time.time() < remembered[1]["exp"] + self.leeway_seconds:
                return dict(remembered[1])
            del self._verified[token]
        claims = self._decode(token, key, algorithm)
        if isinstance(claims.get("exp"), int | float):
            self._verified[token] = (key, dict(claims))
            if len(self._verified) > VERIFIED_TOKENS_KEPT:
                self._verified.popitem(last=False)
        return claims

    def _decode(self, token: str, key: PyJWK, algorithm: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("The token has expired; get a new one.") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(
                f"The token is not meant for this API (audience {self.audience!r})."
            ) from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(f"The token was not issued by {self.issuer!r}.") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("The token's signature does not check.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"The token has no {exc.claim!r} claim.") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("The token is not valid yet.") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"The token is not valid: {exc}.") from None
        return claims


def bearer_token(authorization: str | None) -> str:
    """The token in an ``Authorization: Bearer ...`` header; :class:`Unauthenticated` when there is none."""
    if not authorization:
        raise Unauthenticated(
            "This route needs a bearer token: send 'Authorization: Bearer <token>'. "
            "On the embedded default, `rounds token --help` makes one.",
            error=None,
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <token>'.", error="invalid_request")
    return token.strip()
