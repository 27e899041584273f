"""The gateway remembers tokens it has checked: the signature is checked once, never the expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.auth import StaticKeys, TokenVerifier, Unauthenticated
from rounds.auth.issuer import BUILTIN_ISSUER, DEFAULT_AUDIENCE, load_or_create_signing_key, mint_token


class CountingVerifier(TokenVerifier):
    """Counts the signature checks it makes."""

    checks = 0

    def _decode(self, token: str, key: Any, algorithm: str) -> dict[str, Any]:
        self.checks += 1
        return super()._decode(token, key, algorithm)


def _verifier(keys: StaticKeys, leeway_seconds: float = 30) -> CountingVerifier:
    return CountingVerifier(
        keys, issuer=BUILTIN_ISSUER, audience=DEFAULT_AUDIENCE, leeway_seconds=leeway_seconds
    )


async def test_a_token_seen_before_is_not_checked_again_until_it_expires(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path)
    verifier = _verifier(StaticKeys(key.jwks()), leeway_seconds=0)
    token = mint_token(key, subject="w-1", role="care_worker", worker_id="W1", ttl=timedelta(seconds=1))

    first = await verifier.verify(token)
    first["role"] = "registered_manager"  # a caller changing its copy changes nothing remembered
    again = await verifier.verify(token)
    assert verifier.checks == 1
    assert again["role"] == "care_worker"

    await asyncio.sleep(2.1)  # ``exp`` is in whole seconds
    with pytest.raises(Unauthenticated, match="expired"):
        await verifier.verify(token)


async def test_a_token_is_checked_again_once_its_key_is_no_longer_the_issuers(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path / "old")
    verifier = _verifier(StaticKeys(key.jwks()))
    token = mint_token(key, subject="w-1", role="care_worker", worker_id="W1")
    await verifier.verify(token)

    verifier.keys = StaticKeys(load_or_create_signing_key(tmp_path / "new").jwks())  # the issuer rotated
    with pytest.raises(Unauthenticated, match="does not trust"):
        await verifier.verify(token)


async def test_a_forged_copy_of_a_remembered_token_is_still_refused(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path)
    verifier = _verifier(StaticKeys(key.jwks()))
    token = mint_token(key, subject="w-1", role="care_worker", worker_id="W1", now=datetime.now(UTC))
    await verifier.verify(token)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(Unauthenticated, match="signature"):
        await verifier.verify(forged)
    assert verifier.checks == 2
