"""Partner systems' OAuth2 client credentials (RFC 6749 4.4): who they are, their scopes and provider.

Clients live in a JSON file (``ROUNDS_GATEWAY_PARTNER_CLIENTS_FILE``, by default
``<data dir>/gateway/partner-clients.json``, mode 0600), never in the repository. Only a hash of each
secret is stored (scrypt with a per-client salt), so the file leaking does not leak the secrets.
Add a client with::

    uv run python -m gateway.partners add --client-id harrogate-council \\
        --provider acme-care --scope schedules:read --scope workers:read

which prints the secret once.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from rounds.auth.claims import PARTNER_SCOPES

# scrypt cost (RFC 7914): about 20 ms here, slow enough to make guessing a stolen hash expensive.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` for ``secret``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def secret_matches(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one ``stored`` was made from (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(
            secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(_unb64(digest))
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, _unb64(digest))


@dataclass(frozen=True)
class PartnerClient:
    """A partner system allowed to get tokens with the client credentials grant."""

    client_id: str
    secret_hash: str
    scopes: frozenset[str]
    provider: str

    def as_json(self) -> dict[str, object]:
        """The client as stored in the file."""
        return {
            "client_id": self.client_id,
            "secret_hash": self.secret_hash,
            "scopes": sorted(self.scopes),
            "provider": self.provider,
        }


def load_clients(path: Path) -> dict[str, PartnerClient]:
    """The clients in ``path`` by id (none when the file does not exist)."""
    if not path.exists():
        return {}
    entries = json.loads(path.read_text(encoding="utf-8")).get("clients", [])
    return {
        entry["client_id"]: PartnerClient(
            client_id=entry["client_id"],
            secret_hash=entry["secret_hash"],
            scopes=frozenset(entry.get("scopes", [])),
            provider=entry["provider"],
        )
        for entry in entries
    }


def save_clients(path: Path, clients: dict[str, PartnerClient]) -> None:
    """Write ``clients`` to ``path`` readable by its owner only, replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump({"clients": [c.as_json() for c in clients.values()]}, out, indent=2)
    temporary.replace(path)


def add_client(path: Path, client_id: str, scopes: list[str], provider: str) -> str:
    """Add (or replace) a client and return its new secret, which is stored only as a hash."""
    unknown = sorted(set(scopes) - set(PARTNER_SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes {unknown}; choose from {', '.join(PARTNER_SCOPES)}")
    secret = secrets.token_urlsafe(32)
    clients = load_clients(path)
    clients[client_id] = PartnerClient(client_id, hash_secret(secret), frozenset(scopes), provider)
    save_clients(path, clients)
    return secret


def main(argv: list[str] | None = None) -> int:
    """``python -m gateway.partners add ...``: register a partner client and print its secret once."""
    from gateway.settings import GatewaySettings

    parser = argparse.ArgumentParser(prog="python -m gateway.partners")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add a partner client (prints its secret once)")
    add.add_argument("--client-id", required=True)
    add.add_argument("--provider", required=True, help="the care provider the partner works for")
    add.add_argument("--scope", action="append", default=[], help=f"repeatable; one of {PARTNER_SCOPES}")
    add.add_argument("--file", type=Path, default=None, help="clients file (default: from settings)")
    args = parser.parse_args(argv)
    path = args.file or GatewaySettings().partner_clients_path
    try:
        secret = add_client(path, args.client_id, args.scope, args.provider)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(json.dumps({"client_id": args.client_id, "client_secret": secret, "file": str(path)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
