"""The built-in issuer of the embedded default: one ES256 signing key in the data folder, and minting.

The key is made on first use (by the gateway at start, or by ``rounds token``) in
``<data dir>/gateway/issuer-key.pem``, readable by its owner only (mode 0600), and never leaves the
machine: the gateway publishes only the public half at ``/.well-known/jwks.json``. The data folder is
git-ignored, so the key cannot be committed by accident.

Production points the gateway at the provider's identity provider instead (``ROUNDS_GATEWAY_OIDC_*``);
this key is then not used.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

BUILTIN_ISSUER = "urn:rounds:embedded-issuer"
DEFAULT_AUDIENCE = "rounds-api"
SIGNING_ALGORITHM = "ES256"
KEY_FILE = Path("gateway") / "issuer-key.pem"


@dataclass(frozen=True)
class SigningKey:
    """An EC P-256 private key and its key id (the RFC 7638 thumbprint of its public half)."""

    private_key: ec.EllipticCurvePrivateKey
    kid: str

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK, as ``/.well-known/jwks.json`` lists it."""
        jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": SIGNING_ALGORITHM}

    def jwks(self) -> dict[str, Any]:
        """The JWK set with this one key."""
        return {"keys": [self.public_jwk()]}


def _thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    jwk = json.loads(ECAlgorithm.to_jwk(public_key))
    # RFC 7638 3.2: the required members only, sorted, no whitespace.
    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def key_path(data_dir: Path) -> Path:
    """Where the built-in issuer's key lives under ``data_dir``."""
    return data_dir / KEY_FILE


def _signing_key(private_key: ec.EllipticCurvePrivateKey) -> SigningKey:
    return SigningKey(private_key, _thumbprint(private_key.public_key()))


def load_or_create_signing_key(data_dir: Path) -> SigningKey:
    """The built-in issuer's key, made (mode 0600) the first time any process asks for it.

    Several processes may ask at once (``rounds up`` starting the gateway while someone runs
    ``rounds token``): the key is written to a private temporary file and linked into place, so
    exactly one key wins and nobody reads a half-written file.
    """
    path = key_path(data_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        private_key = ec.generate_private_key(ec.SECP256R1())
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(pem)
            with contextlib.suppress(FileExistsError):  # another process won the race: use its key
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold an EC private key; delete it to have a new one made")
    return _signing_key(loaded)


def mint_token(
    key: SigningKey,
    *,
    subject: str,
    role: str,
    now: datetime | None = None,
    ttl: timedelta = timedelta(hours=1),
    issuer: str = BUILTIN_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    **claims: Any,
) -> str:
    """A signed access token for ``subject`` in ``role`` with the relationship ``claims`` given.

    Claims whose value is ``None`` or empty are left out, so a token carries only what applies.
    """
    issued = now or datetime.now(UTC)
    payload: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "role": role,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    payload.update({name: value for name, value in claims.items() if value not in (None, "", [], {})})
    return jwt.encode(payload, key.private_key, algorithm=SIGNING_ALGORITHM, headers={"kid": key.kid})
