"""Bearer tokens at the gateway: what is refused (401 problem+json with WWW-Authenticate) and what is not.

Through the real gateway app in front of the stand-in services, with tokens of the built-in issuer,
of strangers, and of an external identity provider whose JWKS is served over real HTTP.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from jwt.algorithms import RSAAlgorithm

from rounds.auth.issuer import BUILTIN_ISSUER, load_or_create_signing_key, mint_token
from tests.gateway.standins import GatewayFactory, RunningGateway, ServerThread, listening_socket

pytestmark = pytest.mark.integration

PROBLEM_JSON = "application/problem+json"
ECHO = "/v1/people/echo/x"


def assert_unauthenticated(response: httpx.Response, says: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="rounds"')
    body = response.json()
    assert body["type"] == "https://rounds.dev/problems/unauthenticated"
    assert says in body["detail"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_request_without_a_token_is_refused_with_a_bare_bearer_challenge(
    gateway: RunningGateway,
) -> None:
    response = await gateway.client.get(ECHO, headers={"Authorization": ""})
    assert_unauthenticated(response, "needs a bearer token")
    # RFC 6750 3.1: no error code when the request had no credentials at all.
    assert response.headers["www-authenticate"] == 'Bearer realm="rounds"'


async def test_a_valid_token_passes_and_the_service_gets_the_actor_not_the_token(
    gateway: RunningGateway,
) -> None:
    response = await gateway.client.get(
        ECHO,
        headers={
            **gateway.as_("coordinator", subject="c-7", localities=["Harrogate", "Ripon"]),
            "X-Rounds-Actor": '{"sub": "forged", "role": "registered_manager"}',
        },
    )
    assert response.status_code == 200, response.text
    received = {name: value for name, value in response.json()["headers"]}
    assert "authorization" not in received
    assert json.loads(received["x-rounds-actor"]) == {
        "sub": "c-7",
        "role": "coordinator",
        "localities": ["Harrogate", "Ripon"],
    }


async def test_an_expired_token_is_refused(gateway: RunningGateway) -> None:
    old = datetime.now(UTC) - timedelta(hours=2)
    token = mint_token(gateway.key, subject="rm", role="registered_manager", now=old)
    assert_unauthenticated(await gateway.client.get(ECHO, headers=bearer(token)), "expired")


async def test_a_token_expired_within_the_leeway_still_passes(gateway: RunningGateway) -> None:
    issued = datetime.now(UTC) - timedelta(minutes=10, seconds=-10)
    token = mint_token(
        gateway.key, subject="rm", role="registered_manager", now=issued, ttl=timedelta(minutes=10)
    )
    assert (await gateway.client.get(ECHO, headers=bearer(token))).status_code == 200


async def test_a_token_for_another_audience_is_refused(gateway: RunningGateway) -> None:
    token = mint_token(gateway.key, subject="rm", role="registered_manager", audience="payroll-api")
    assert_unauthenticated(await gateway.client.get(ECHO, headers=bearer(token)), "not meant for this API")


async def test_a_token_from_another_issuer_is_refused(gateway: RunningGateway) -> None:
    token = mint_token(gateway.key, subject="rm", role="registered_manager", issuer="https://evil.example")
    assert_unauthenticated(await gateway.client.get(ECHO, headers=bearer(token)), "not issued by")


async def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(
    gateway: RunningGateway, tmp_path: Path
) -> None:
    stranger = load_or_create_signing_key(tmp_path / "stranger")
    payload = jwt.decode(gateway.token("registered_manager"), options={"verify_signature": False})
    forged = jwt.encode(payload, stranger.private_key, algorithm="ES256", headers={"kid": gateway.key.kid})
    assert_unauthenticated(await gateway.client.get(ECHO, headers=bearer(forged)), "signature does not check")


async def test_a_token_signed_by_an_unknown_key_is_refused(gateway: RunningGateway, tmp_path: Path) -> None:
    stranger = load_or_create_signing_key(tmp_path / "stranger")
    token = mint_token(stranger, subject="rm", role="registered_manager")
    assert_unauthenticated(await gateway.client.get(ECHO, headers=bearer(token)), "does not trust")


def _unsigned(payload: dict[str, Any], header: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}."


async def test_an_alg_none_token_is_refused(gateway: RunningGateway) -> None:
    payload = jwt.decode(gateway.token("registered_manager"), options={"verify_signature": False})
    token = _unsigned(payload, {"alg": "none", "typ": "JWT", "kid": gateway.key.kid})
    assert_unauthenticated(await gateway.client.get(ECHO, headers=bearer(token)), "'none' are not accepted")


async def test_an_hmac_token_keyed_with_the_public_key_is_refused(gateway: RunningGateway) -> None:
    # The classic algorithm confusion: HS256 with the issuer's public key as the shared secret.
    payload = jwt.decode(gateway.token("registered_manager"), options={"verify_signature": False})
    public_pem = gateway.key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": gateway.key.kid}
    signing_input = _unsigned(payload, header)[:-1]
    import hashlib
    import hmac

    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    assert_unauthenticated(await gateway.client.get(ECHO, headers=bearer(token)), "'HS256' are not accepted")


@pytest.mark.parametrize(
    ("authorization", "says"),
    [("Bearer not-a-jwt", "not a well-formed JWT"), ("Basic dXNlcjpwYXNz", "must be 'Bearer <token>'")],
)
async def test_malformed_credentials_are_refused(
    gateway: RunningGateway, authorization: str, says: str
) -> None:
    assert_unauthenticated(await gateway.client.get(ECHO, headers={"Authorization": authorization}), says)


async def test_a_valid_token_without_a_known_role_is_forbidden(gateway: RunningGateway) -> None:
    response = await gateway.client.get(ECHO, headers=gateway.as_("chef"))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "role" in response.json()["detail"]


async def test_a_care_worker_token_without_a_worker_id_is_forbidden(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/v1/rota/workers/w1", headers=gateway.as_("care_worker"))
    assert response.status_code == 403
    assert "worker_id" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs", "/.well-known/jwks.json"])
async def test_health_docs_and_keys_need_no_token(gateway: RunningGateway, path: str) -> None:
    response = await gateway.client.get(path, headers={"Authorization": ""})
    assert response.status_code == 200, response.text


async def test_the_published_keys_verify_the_issuers_tokens(gateway: RunningGateway) -> None:
    discovery = (await gateway.client.get("/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == BUILTIN_ISSUER
    assert discovery["jwks_uri"] == "http://gateway.test/.well-known/jwks.json"
    jwks = (await gateway.client.get("/.well-known/jwks.json")).json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(gateway.token("supervisor"), key.key, algorithms=["ES256"], audience="rounds-api")
    assert claims["role"] == "supervisor"
    assert "d" not in jwks["keys"][0]  # never the private part


def test_the_issuer_key_is_private_to_its_owner(gateway_data_dir: Path) -> None:
    load_or_create_signing_key(gateway_data_dir)
    assert (gateway_data_dir / "gateway" / "issuer-key.pem").stat().st_mode & 0o777 == 0o600


@pytest.fixture
def gateway_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "fresh"


# An external identity provider: RS256 keys served as a JWKS over real HTTP, rotated by the test.


class IdentityProvider:
    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.requests = 0
        self.rotate("k1")

    def rotate(self, kid: str) -> None:
        self.keys = {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048)}

    def jwks(self) -> dict[str, Any]:
        self.requests += 1
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def token(self, **claims: Any) -> str:
        kid, key = next(iter(self.keys.items()))
        now = datetime.now(UTC)
        payload = {
            "iss": "https://idp.acme-care.example",
            "aud": "rounds-api",
            "sub": "rm-9",
            "role": "registered_manager",
            "exp": int((now + timedelta(minutes=5)).timestamp()),
            **claims,
        }
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="module")
def idp() -> Iterator[tuple[IdentityProvider, str]]:
    provider = IdentityProvider()
    app = FastAPI()
    app.get("/jwks")(provider.jwks)
    sock = listening_socket()
    thread = ServerThread(app, sock)
    thread.start()
    try:
        yield provider, f"http://127.0.0.1:{sock.getsockname()[1]}/jwks"
    finally:
        thread.stop()


async def test_tokens_of_the_configured_identity_provider_pass_and_rotation_is_followed(
    gateway_for: GatewayFactory, idp: tuple[IdentityProvider, str]
) -> None:
    provider, jwks_url = idp
    async with gateway_for(
        oidc_issuer="https://idp.acme-care.example", oidc_jwks_url=jwks_url, jwks_min_refresh_seconds=0
    ) as gw:
        assert (await gw.client.get(ECHO, headers=bearer(provider.token()))).status_code == 200
        before = provider.requests
        assert (await gw.client.get(ECHO, headers=bearer(provider.token()))).status_code == 200
        assert provider.requests == before  # cached

        provider.rotate("k2")  # an unknown kid makes the gateway fetch the keys again
        assert (await gw.client.get(ECHO, headers=bearer(provider.token()))).status_code == 200
        assert provider.requests == before + 1

        # The built-in issuer is not trusted when an identity provider is configured, nor served.
        assert_unauthenticated(await gw.client.get(ECHO), "does not trust")
        assert (await gw.client.get("/.well-known/jwks.json")).status_code == 404


async def test_junk_kids_do_not_make_the_gateway_hammer_the_identity_provider(
    gateway_for: GatewayFactory, idp: tuple[IdentityProvider, str]
) -> None:
    provider, jwks_url = idp
    async with gateway_for(oidc_issuer="https://idp.acme-care.example", oidc_jwks_url=jwks_url) as gw:
        await gw.client.get(ECHO, headers=bearer(provider.token()))
        before = provider.requests
        _kid, key = next(iter(provider.keys.items()))
        for n in range(5):
            token = jwt.encode({"sub": "x"}, key, algorithm="RS256", headers={"kid": f"junk-{n}"})
            assert_unauthenticated(await gw.client.get(ECHO, headers=bearer(token)), "does not trust")
        assert provider.requests == before


async def test_an_unreachable_identity_provider_is_a_503_not_a_401(
    gateway_for: GatewayFactory, idp: tuple[IdentityProvider, str]
) -> None:
    provider, _ = idp
    async with gateway_for(
        oidc_issuer="https://idp.acme-care.example", oidc_jwks_url="http://127.0.0.1:9/jwks"
    ) as gw:
        response = await gw.client.get(ECHO, headers=bearer(provider.token()))
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM_JSON
