"""Access notes and key-safe codes are encrypted at rest (issue 12): AES-256-GCM, keys that rotate.

The database holds no plaintext; the API and the subject access export return it to those allowed; a
wrong key, an altered value or a value moved to another individual is refused and audited, never
returned as garbage; the migration encrypts what was written before it.
"""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import create_async_engine

from rounds.embedded.plan import UpOptions, build_plan
from rounds.infra.clock import FrozenClock
from rounds.infra.db import UtcDateTime
from rounds.infra.migrations import alembic_config, prepare_database, upgrade_head
from rounds.infra.topology import load_topology
from services.people.adapters.field_crypto import (
    KEYS_ENV,
    FieldCipher,
    KeyConfigurationError,
    Keyring,
    UnreadableField,
    generate_keyring,
    read_or_create_key_file,
)
from services.people.adapters.tables import access_notes, individuals
from services.people.main import create_app, field_cipher
from services.people.settings import PeopleSettings
from tests.people.test_individuals_api import EDNA

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NOTES = "Back door; the key safe is left of the porch. Dog (Biscuit) is friendly."
CODE = "4821"


def actor(role: str, **claims: Any) -> dict[str, str]:
    return {"X-Rounds-Actor": json.dumps({"sub": f"user-{role}", "role": role, **claims})}


def merged(*rings: Keyring) -> Keyring:
    """One keyring of several: the first ring's key is current, the others still decrypt."""
    return Keyring.parse(",".join(r.encode() for r in rings), "test")


# --- the cipher on its own ---------------------------------------------------------------------------


def test_a_value_round_trips_and_its_ciphertext_names_the_key_and_hides_the_text() -> None:
    ring = generate_keyring()
    cipher = FieldCipher(ring)
    record = uuid4()

    stored = cipher.encrypt(CODE, "access_notes.key_safe_code", record)

    assert stored.startswith(f"enc1:{ring.current_id}:")
    assert CODE not in stored
    assert cipher.decrypt(stored, "access_notes.key_safe_code", record) == CODE
    # A fresh nonce each time: the same code twice does not give the same ciphertext.
    assert cipher.encrypt(CODE, "access_notes.key_safe_code", record) != stored


def test_wrong_key_altered_bytes_another_record_or_another_column_are_refused() -> None:
    cipher = FieldCipher(generate_keyring())
    record = uuid4()
    stored = cipher.encrypt(NOTES, "access_notes.notes", record)
    kid = FieldCipher.key_id_of(stored)
    impostor = FieldCipher(Keyring(current_id=kid, keys={kid: next(iter(generate_keyring().keys.values()))}))
    body = stored.rsplit(":", 1)[1]
    flipped = stored[: -len(body)] + body[:10] + ("A" if body[10] != "A" else "B") + body[11:]

    with pytest.raises(UnreadableField, match="integrity"):
        impostor.decrypt(stored, "access_notes.notes", record)  # same key id, other key
    with pytest.raises(UnreadableField, match="integrity"):
        cipher.decrypt(flipped, "access_notes.notes", record)
    with pytest.raises(UnreadableField, match="integrity"):
        cipher.decrypt(stored, "access_notes.notes", uuid4())  # copied to another individual
    with pytest.raises(UnreadableField, match="integrity"):
        cipher.decrypt(stored, "access_notes.key_safe_code", record)  # moved into the code column
    with pytest.raises(UnreadableField, match="not in the keyring"):
        FieldCipher(generate_keyring()).decrypt(stored, "access_notes.notes", record)
    with pytest.raises(UnreadableField, match="encrypted format"):
        cipher.decrypt(NOTES, "access_notes.notes", record)


def test_after_rotation_old_values_still_read_and_new_ones_use_the_new_key() -> None:
    old, new = generate_keyring(), generate_keyring()
    record = uuid4()
    written_before = FieldCipher(old).encrypt(CODE, "c", record)

    rotated = FieldCipher(merged(new, old))

    assert rotated.decrypt(written_before, "c", record) == CODE
    assert FieldCipher.key_id_of(rotated.encrypt(CODE, "c", record)) == new.current_id
    # Once the old key is dropped, what it wrote is refused.
    with pytest.raises(UnreadableField):
        FieldCipher(new).decrypt(written_before, "c", record)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "holds no key"),
        ("k1", "kid:base64key"),
        ("k 1:AAAA", "kid:base64key"),
        ("k1:AAAA", "must be 32 bytes"),
        ("k1:!!!!", "not base64"),
    ],
)
def test_unusable_keys_are_refused_naming_the_setting(text: str, reason: str) -> None:
    with pytest.raises(KeyConfigurationError, match=reason) as refused:
        Keyring.parse(text, KEYS_ENV)
    assert KEYS_ENV in str(refused.value)


def test_a_repeated_key_id_is_refused() -> None:
    ring = generate_keyring()
    with pytest.raises(KeyConfigurationError, match="appears twice"):
        merged(ring, ring)


def test_the_key_file_is_generated_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "data" / "people-field-keys"

    first = read_or_create_key_file(path)
    again = read_or_create_key_file(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert again == first  # never overwritten: what it encrypted stays readable
    assert [p.name for p in path.parent.iterdir()] == ["people-field-keys"]  # no temporary left


# --- through the service, on SQLite and Postgres ----------------------------------------------------


@asynccontextmanager
async def people_with(
    database_url: str, bootstrap: str, keyring: Keyring
) -> AsyncIterator[httpx.AsyncClient]:
    """The people app on ``database_url`` with exactly these keys."""
    settings = PeopleSettings(
        database_url=database_url, kafka_bootstrap_servers=bootstrap, field_keys=SecretStr(keyring.encode())
    )
    app = create_app(settings, FrozenClock(NOW))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://people") as client:
        yield client
    await app.state.runtime.stop()


async def stored_rows(database_url: str) -> dict[str, Any]:
    """The access_notes rows as the database holds them, by individual id."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(sa.text("SELECT * FROM access_notes"))).mappings().all()
    finally:
        await engine.dispose()
    return {str(r["individual_id"]).replace("-", ""): dict(r) for r in rows}


async def execute(database_url: str, statement: sa.Executable) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(statement)
    finally:
        await engine.dispose()


async def audit_of(client: httpx.AsyncClient, individual: str) -> list[tuple[str, bool, str]]:
    found = await client.get(f"/individuals/{individual}/access-audit", headers=actor("coordinator"))
    assert found.status_code == 200, found.text
    return [(a["action"], a["granted"], a["reason"]) for a in found.json()]


@pytest.mark.integration
async def test_the_database_holds_no_plaintext_and_the_api_and_export_return_it(
    database_url: str, kafka_bootstrap: str
) -> None:
    await asyncio.to_thread(upgrade_head, "people", database_url)
    ring = generate_keyring()
    async with people_with(database_url, kafka_bootstrap, ring) as people:
        edna = (await people.post("/individuals", json=EDNA)).json()["id"]
        written = await people.put(
            f"/individuals/{edna}/access-notes",
            json={"notes": NOTES, "key_safe_code": CODE},
            headers=actor("coordinator"),
        )
        assert written.status_code == 200, written.text

        row = (await stored_rows(database_url))[edna.replace("-", "")]
        for column, plain in (("notes", NOTES), ("key_safe_code", CODE)):
            assert row[column].startswith(f"enc1:{ring.current_id}:")
            assert plain not in row[column]
        assert "Biscuit" not in json.dumps(row, default=str)

        read = await people.get(f"/individuals/{edna}/access-notes", headers=actor("coordinator"))
        assert read.status_code == 200, read.text
        assert (read.json()["notes"], read.json()["key_safe_code"]) == (NOTES, CODE)

        export = await people.get(
            f"/individuals/{edna}/subject-access-export", headers=actor("individual", individual_ids=[edna])
        )
        assert export.status_code == 200, export.text
        assert export.json()["access_notes"]["notes"] == NOTES
        assert export.json()["access_notes"]["key_safe_code"] == CODE
        assert [(a, g) for a, g, _ in await audit_of(people, edna)] == [
            ("write", True),
            ("read", True),
            ("export", True),
        ]


@pytest.mark.integration
async def test_a_value_moved_to_another_individual_or_read_with_the_wrong_key_is_refused_and_audited(
    database_url: str, kafka_bootstrap: str
) -> None:
    await asyncio.to_thread(upgrade_head, "people", database_url)
    ring = generate_keyring()
    async with people_with(database_url, kafka_bootstrap, ring) as people:
        edna = (await people.post("/individuals", json=EDNA)).json()["id"]
        other = {**EDNA, "given_name": "Alf", "nhs_number": None}
        alf = (await people.post("/individuals", json=other)).json()["id"]
        for who, code in ((edna, CODE), (alf, "0000")):
            await people.put(
                f"/individuals/{who}/access-notes",
                json={"notes": f"notes of {who}", "key_safe_code": code},
                headers=actor("coordinator"),
            )
        # Someone with write access to the database copies Edna's code into Alf's row.
        edna_code = (await stored_rows(database_url))[edna.replace("-", "")]["key_safe_code"]
        await execute(
            database_url,
            sa.update(access_notes)
            .where(access_notes.c.individual_id == UUID(alf))
            .values(key_safe_code=edna_code),
        )

        moved = await people.get(f"/individuals/{alf}/access-notes", headers=actor("coordinator"))
        assert moved.status_code == 500
        assert moved.headers["content-type"] == "application/problem+json"
        assert CODE not in moved.text
        assert "0000" not in moved.text
        assert "integrity check" in moved.json()["detail"]
        export = await people.get(f"/individuals/{alf}/subject-access-export", headers=actor("coordinator"))
        assert export.status_code == 500
        assert (await audit_of(people, alf))[-2:] == [
            ("read", False, "stored access notes failed their integrity check"),
            ("export", False, "stored access notes failed their integrity check"),
        ]
        # Edna's own row still reads: only the moved value is refused.
        assert (await people.get(f"/individuals/{edna}/access-notes", headers=actor("coordinator"))).json()[
            "key_safe_code"
        ] == CODE

    async with people_with(database_url, kafka_bootstrap, generate_keyring()) as wrong_key:
        refused = await wrong_key.get(f"/individuals/{edna}/access-notes", headers=actor("coordinator"))
        assert refused.status_code == 500
        assert CODE not in refused.text


@pytest.mark.integration
async def test_notes_written_with_the_old_key_read_after_a_new_current_key_is_added(
    database_url: str, kafka_bootstrap: str
) -> None:
    await asyncio.to_thread(upgrade_head, "people", database_url)
    old, new = generate_keyring(), generate_keyring()
    async with people_with(database_url, kafka_bootstrap, old) as people:
        edna = (await people.post("/individuals", json=EDNA)).json()["id"]
        await people.put(
            f"/individuals/{edna}/access-notes",
            json={"notes": NOTES, "key_safe_code": CODE},
            headers=actor("coordinator"),
        )

    async with people_with(database_url, kafka_bootstrap, merged(new, old)) as rotated:
        read = await rotated.get(f"/individuals/{edna}/access-notes", headers=actor("coordinator"))
        assert read.status_code == 200, read.text
        assert read.json()["key_safe_code"] == CODE
        # Rewriting re-encrypts with the new current key.
        await rotated.put(
            f"/individuals/{edna}/access-notes",
            json={"notes": NOTES, "key_safe_code": "9999"},
            headers=actor("coordinator"),
        )
        row = (await stored_rows(database_url))[edna.replace("-", "")]
        assert FieldCipher.key_id_of(row["key_safe_code"]) == new.current_id
        assert FieldCipher.key_id_of(row["notes"]) == new.current_id


# --- the migration ------------------------------------------------------------------------------------


async def held_before_0011(database_url: str) -> list[Any]:
    """Two individuals with plaintext access notes, as the schema at 0010 held them."""
    await asyncio.to_thread(prepare_database, database_url)
    await asyncio.to_thread(command.upgrade, alembic_config("people", database_url), "0010")
    ids = [uuid4(), uuid4()]
    plain = sa.table(
        "access_notes",
        sa.column("individual_id", sa.Uuid()),
        sa.column("notes", sa.Text()),
        sa.column("key_safe_code", sa.String()),
        sa.column("updated_at", UtcDateTime()),
        sa.column("updated_by", sa.String()),
    )
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for person, code in zip(ids, (CODE, None), strict=True):
                await connection.execute(
                    sa.insert(individuals).values(
                        id=person,
                        given_name="Edna",
                        family_name="Moss",
                        locality="Harrogate",
                        status="active",
                        lat=54.0,
                        lon=-1.46,
                        profile={},
                        version=1,
                        created_at=NOW,
                    )
                )
                await connection.execute(
                    sa.insert(plain).values(
                        individual_id=person,
                        notes=NOTES,
                        key_safe_code=code,
                        updated_at=NOW,
                        updated_by="cara",
                    )
                )
    finally:
        await engine.dispose()
    return ids


async def version_of(database_url: str) -> str:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return str(await connection.scalar(sa.text("SELECT version_num FROM alembic_version")))
    finally:
        await engine.dispose()


@pytest.mark.integration
@pytest.mark.parametrize("configured_by", ["secret", "key file"])
async def test_the_migration_encrypts_notes_already_held(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, configured_by: str
) -> None:
    edna, alf = await held_before_0011(database_url)
    if configured_by == "secret":
        ring = generate_keyring()
        monkeypatch.setenv(KEYS_ENV, ring.encode())
    else:  # rounds up: a key file path that does not exist yet is generated by the migration
        monkeypatch.delenv(KEYS_ENV, raising=False)
        monkeypatch.setenv("ROUNDS_PEOPLE_FIELD_KEY_FILE", str(tmp_path / "keys" / "people-field-keys"))

    await asyncio.to_thread(upgrade_head, "people", database_url)

    if configured_by == "key file":
        key_file = tmp_path / "keys" / "people-field-keys"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        ring = Keyring.parse(key_file.read_text(), str(key_file))

    rows = await stored_rows(database_url)
    cipher = FieldCipher(ring)
    edna_row, alf_row = rows[edna.hex], rows[alf.hex]
    assert NOTES not in json.dumps([edna_row, alf_row], default=str)
    assert cipher.decrypt(edna_row["notes"], "access_notes.notes", edna) == NOTES
    assert cipher.decrypt(edna_row["key_safe_code"], "access_notes.key_safe_code", edna) == CODE
    assert alf_row["key_safe_code"] is None
    # Bound to each individual: Edna's notes do not decrypt as Alf's.
    with pytest.raises(UnreadableField):
        cipher.decrypt(edna_row["notes"], "access_notes.notes", alf)

    # Downgrading decrypts, and upgrading again encrypts again (a re-run is harmless).
    await asyncio.to_thread(command.downgrade, alembic_config("people", database_url), "0010")
    assert (await stored_rows(database_url))[edna.hex]["key_safe_code"] == CODE
    await asyncio.to_thread(upgrade_head, "people", database_url)
    again = (await stored_rows(database_url))[edna.hex]
    assert cipher.decrypt(again["key_safe_code"], "access_notes.key_safe_code", edna) == CODE


@pytest.mark.integration
async def test_the_migration_stops_naming_the_setting_when_notes_are_held_and_no_key_is_configured(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    edna, _ = await held_before_0011(database_url)
    monkeypatch.delenv(KEYS_ENV, raising=False)
    monkeypatch.delenv("ROUNDS_PEOPLE_FIELD_KEY_FILE", raising=False)

    with pytest.raises(RuntimeError, match=KEYS_ENV):
        await asyncio.to_thread(upgrade_head, "people", database_url)

    assert await version_of(database_url) == "0010"
    assert (await stored_rows(database_url))[edna.hex]["key_safe_code"] == CODE


# --- rounds up --------------------------------------------------------------------------------------


def test_rounds_up_keeps_a_generated_key_beside_its_databases_unless_keys_are_given(tmp_path: Path) -> None:
    topology = load_topology()

    def people_env(environ: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        plan = build_plan(
            topology, UpOptions(data_dir=tmp_path), environ, python="python", embedded_broker_port=19092
        )
        migrate = next(m for m in plan.migrations if m.name == "migrate people")
        serve = next(c for c in plan.components if c.name == "people")
        return dict(migrate.env), dict(serve.env)

    migrate, serve = people_env({"PATH": "/usr/bin"})
    assert migrate["ROUNDS_PEOPLE_FIELD_KEY_FILE"] == serve["ROUNDS_PEOPLE_FIELD_KEY_FILE"]
    assert serve["ROUNDS_PEOPLE_FIELD_KEY_FILE"] == str(tmp_path / "people-field-keys")
    # The migration of a folder with notes from before issue 12 finds a key to encrypt them with, and
    # the service then reads the same one.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROUNDS_PEOPLE_FIELD_KEY_FILE", migrate["ROUNDS_PEOPLE_FIELD_KEY_FILE"])
        patch.delenv(KEYS_ENV, raising=False)
        ring = field_cipher(PeopleSettings()).current_key_id
    assert read_or_create_key_file(tmp_path / "people-field-keys").current_id == ring

    given = generate_keyring().encode()
    migrate, serve = people_env({"PATH": "/usr/bin", KEYS_ENV: given})
    assert "ROUNDS_PEOPLE_FIELD_KEY_FILE" not in serve
    assert migrate[KEYS_ENV] == serve[KEYS_ENV] == given
