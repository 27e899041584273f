"""``rounds up`` prints a link that opens the dashboard signed in, only when the gateway is its own issuer."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import jwt

from rounds.auth.issuer import load_or_create_signing_key
from rounds.embedded.supervisor import dashboard_sign_in


def test_the_link_carries_a_registered_managers_token_signed_by_the_gateways_key(tmp_path: Path) -> None:
    link = dashboard_sign_in("http://127.0.0.1:8000", tmp_path, environ={})
    assert link is not None
    parts = urlsplit(link)
    assert (parts.path, parts.query) == ("/dashboard", "")  # the token is in the fragment, never sent
    token = parts.fragment.removeprefix("token=")
    key = load_or_create_signing_key(tmp_path)
    header = jwt.get_unverified_header(token)
    public = jwt.PyJWKSet.from_dict(key.jwks())[header["kid"]]
    claims = jwt.decode(token, public.key, algorithms=[header["alg"]], options={"verify_aud": False})
    assert claims["role"] == "registered_manager"
    assert claims["exp"] - claims["iat"] == 12 * 3600


def test_no_link_when_the_providers_identity_provider_signs_people_in(tmp_path: Path) -> None:
    environ = {"ROUNDS_GATEWAY_OIDC_ISSUER": "https://login.example.org"}
    assert dashboard_sign_in("http://127.0.0.1:8000", tmp_path, environ) is None
