"""Access notes and key-safe codes are encrypted at rest (issue 12, AES-256-GCM per field).

The key-safe code column widens (a ciphertext is longer than the code), then every row still in
plaintext is encrypted with the current key of ``ROUNDS_PEOPLE_FIELD_KEYS`` (or the file named by
``ROUNDS_PEOPLE_FIELD_KEY_FILE``). Rows already encrypted are left as they are, so a re-run is harmless.
With rows to encrypt and no key configured, the migration stops and changes nothing rather than invent
a key that a later process could not find.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from services.people.adapters.field_crypto import (
    KEY_FILE_ENV,
    KEYS_ENV,
    FieldCipher,
    Keyring,
    configured_keyring,
)

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTES, CODE = "access_notes.notes", "access_notes.key_safe_code"

_table = sa.table(
    "access_notes",
    sa.column("individual_id", sa.Uuid()),
    sa.column("notes", sa.Text()),
    sa.column("key_safe_code", sa.Text()),
)


def _keyring(purpose: str) -> Keyring:
    # Only a key someone configured: a key generated here, in a migration job, could be lost with it.
    file_setting = os.environ.get(KEY_FILE_ENV) or None
    keyring = configured_keyring(
        os.environ.get(KEYS_ENV) or None,
        Path(file_setting) if file_setting else None,
        Path("."),
        explicit_only=True,
    )
    if keyring is None:
        raise RuntimeError(
            f"people migration 0011: access notes are held and must be {purpose}, but no key is "
            f"configured. Set {KEYS_ENV} (kid:base64key, 32-byte key) or {KEY_FILE_ENV} and run it again."
        )
    return keyring


def upgrade() -> None:
    with op.batch_alter_table("access_notes") as batch:
        batch.alter_column("key_safe_code", existing_type=sa.String(50), type_=sa.Text())
    bind = op.get_bind()
    rows = bind.execute(sa.select(_table)).all()
    # Field by field, so a row half-encrypted by an interrupted earlier run is finished, not re-encrypted.
    plain = [
        r
        for r in rows
        if not FieldCipher.is_encrypted(r.notes)
        or (r.key_safe_code is not None and not FieldCipher.is_encrypted(r.key_safe_code))
    ]
    if not plain:
        return
    cipher = FieldCipher(_keyring("encrypted"))
    for row in plain:
        notes, code = row.notes, row.key_safe_code
        if not FieldCipher.is_encrypted(notes):
            notes = cipher.encrypt(notes, NOTES, row.individual_id)
        if code is not None and not FieldCipher.is_encrypted(code):
            code = cipher.encrypt(code, CODE, row.individual_id)
        bind.execute(
            _table.update()
            .where(_table.c.individual_id == row.individual_id)
            .values(notes=notes, key_safe_code=code)
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_table)).all()
    encrypted = [r for r in rows if FieldCipher.is_encrypted(r.notes)]
    if encrypted:
        cipher = FieldCipher(_keyring("decrypted"))
        for row in encrypted:
            code = row.key_safe_code
            bind.execute(
                _table.update()
                .where(_table.c.individual_id == row.individual_id)
                .values(
                    notes=cipher.decrypt(row.notes, NOTES, row.individual_id),
                    key_safe_code=cipher.decrypt(code, CODE, row.individual_id) if code is not None else None,
                )
            )
    with op.batch_alter_table("access_notes") as batch:
        batch.alter_column("key_safe_code", existing_type=sa.Text(), type_=sa.String(50))
