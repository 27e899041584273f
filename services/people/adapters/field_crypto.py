"""Field-level encryption at rest of the most sensitive columns (access notes, key-safe codes).

AES-256-GCM (authenticated): a stored value is ``enc1:<key id>:<base64url(nonce || ciphertext || tag)>``.
The key id lets keys rotate: a keyring holds the current key, which encrypts, and older keys, which
still decrypt what they wrote. The associated data binds each ciphertext to its column and its
individual, so a value copied into another row or another column fails its integrity check instead of
decrypting there. Any failure (wrong or missing key, altered bytes, moved value) raises
:class:`UnreadableField`: a refusal, never garbage.

Keys come from ``ROUNDS_PEOPLE_FIELD_KEYS`` (a secret: ``kid:base64key[,kid:base64key...]``, current
first) or from the file ``ROUNDS_PEOPLE_FIELD_KEY_FILE`` in the same format, which is generated once
(mode 0600) when it does not exist yet: that is how ``rounds up`` gets a key of its own in its data folder.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

KEYS_ENV = "ROUNDS_PEOPLE_FIELD_KEYS"
KEY_FILE_ENV = "ROUNDS_PEOPLE_FIELD_KEY_FILE"
PREFIX = "enc1"
NONCE_BYTES = 12  # the GCM standard nonce; random per value (2^32 values per key keeps collisions negligible)
KEY_BYTES = 32  # AES-256
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class UnreadableField(Exception):
    """A stored value failed to decrypt: wrong or unknown key, altered, or moved from another row."""


class KeyConfigurationError(ValueError):
    """The configured keys cannot be used; the message names the setting at fault."""


@dataclass(frozen=True)
class Keyring:
    """The current key (encrypts) and every key that may still decrypt, by key id."""

    current_id: str
    keys: Mapping[str, bytes]

    @classmethod
    def parse(cls, text: str, source: str) -> Keyring:
        """Read ``kid:base64key`` entries separated by commas or new lines; the first is current."""
        entries = [e.strip() for e in re.split(r"[,\n]", text) if e.strip() and not e.strip().startswith("#")]
        if not entries:
            raise KeyConfigurationError(f"{source} holds no key: expected kid:base64key[,kid:base64key...]")
        keys: dict[str, bytes] = {}
        for entry in entries:
            kid, sep, encoded = entry.partition(":")
            if not sep or not _KEY_ID.match(kid):
                raise KeyConfigurationError(
                    f"{source}: each key is kid:base64key with a key id of letters, digits, - or _"
                )
            try:
                key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
            except (binascii.Error, ValueError) as exc:
                raise KeyConfigurationError(f"{source}: key {kid!r} is not base64") from exc
            if len(key) != KEY_BYTES:
                raise KeyConfigurationError(f"{source}: key {kid!r} must be {KEY_BYTES} bytes (AES-256)")
            if kid in keys:
                raise KeyConfigurationError(f"{source}: key id {kid!r} appears twice")
            keys[kid] = key
        return cls(current_id=next(iter(keys)), keys=keys)

    def encode(self) -> str:
        """The keyring in the format :meth:`parse` reads, current key first."""
        ordered = [self.current_id, *(k for k in self.keys if k != self.current_id)]
        return ",".join(f"{kid}:{base64.urlsafe_b64encode(self.keys[kid]).decode()}" for kid in ordered)


def generate_keyring() -> Keyring:
    """A keyring of one fresh random key."""
    kid = f"k{secrets.token_hex(4)}"
    return Keyring(current_id=kid, keys={kid: AESGCM.generate_key(bit_length=256)})


def read_or_create_key_file(path: Path) -> Keyring:
    """The keyring in ``path``, generating it once (mode 0600, never overwritten) when it is missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(generate_keyring().encode() + "\n")
        try:
            # link() fails if another process (the migration, a second worker) created it first: theirs wins.
            os.link(temporary, path)
            log.warning("generated a field-encryption key in %s: keep it with the database", path)
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    return Keyring.parse(path.read_text(encoding="utf-8"), str(path))


class FieldCipher:
    """Encrypts and decrypts one column's values, bound to the record they belong to."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._aeads = {kid: AESGCM(key) for kid, key in keyring.keys.items()}

    @property
    def current_key_id(self) -> str:
        """The id of the key new values are encrypted with."""
        return self._keyring.current_id

    @staticmethod
    def is_encrypted(stored: str) -> bool:
        """Whether ``stored`` is in the encrypted format (the migration leaves those as they are)."""
        return stored.startswith(f"{PREFIX}:")

    @staticmethod
    def key_id_of(stored: str) -> str:
        """The id of the key that encrypted ``stored``."""
        return stored.split(":", 2)[1]

    def encrypt(self, plaintext: str, column: str, record_id: object) -> str:
        """``plaintext`` encrypted with the current key, bound to ``column`` of record ``record_id``."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self.current_key_id].encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(column, record_id)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}:{self.current_key_id}:{body}"

    def decrypt(self, stored: str, column: str, record_id: object) -> str:
        """The plaintext of ``stored``; :class:`UnreadableField` unless it is intact and belongs here."""
        prefix, _, rest = stored.partition(":")
        kid, _, body = rest.partition(":")
        if prefix != PREFIX or not body:
            raise UnreadableField(f"{column} of {record_id} is not in the encrypted format")
        aead = self._aeads.get(kid)
        if aead is None:
            raise UnreadableField(
                f"{column} of {record_id} was encrypted with key {kid!r}, not in the keyring"
            )
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(column, record_id))
            return plain.decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise UnreadableField(f"{column} of {record_id} failed its integrity check") from exc


def _associated_data(column: str, record_id: object) -> bytes:
    # Not secret, but authenticated: the value only decrypts in the column and row it was written for.
    return f"rounds/people/{column}/{record_id}".encode()


def default_key_file(data_dir: Path) -> Path:
    """Where the embedded default keeps its generated keys: next to its SQLite databases."""
    return data_dir / "people-field-keys"


def configured_keyring(
    field_keys: str | None, field_key_file: Path | None, data_dir: Path, *, explicit_only: bool = False
) -> Keyring | None:
    """The keyring the settings name: the secret, else the key file, else (unless ``explicit_only``) the
    data folder's generated file. None only when ``explicit_only`` and nothing is configured."""
    if field_keys:
        return Keyring.parse(field_keys, KEYS_ENV)
    if field_key_file is not None:
        return read_or_create_key_file(field_key_file)
    if explicit_only:
        return None
    return read_or_create_key_file(default_key_file(data_dir))
