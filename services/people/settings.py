"""Settings of the people service (``ROUNDS_PEOPLE_...``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from rounds.infra.settings import ServiceSettings


class PeopleSettings(ServiceSettings):
    """The common service settings and the keys that encrypt access notes and key-safe codes at rest."""

    service_name = "people"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_PEOPLE_", extra="ignore")

    field_keys: SecretStr | None = Field(
        default=None,
        description=(
            "ROUNDS_PEOPLE_FIELD_KEYS, a secret: kid:base64key[,kid:base64key...] (32-byte keys), the "
            "current key first, older ones after it so what they encrypted still reads. Never committed."
        ),
    )
    field_key_file: Path | None = Field(
        default=None,
        description=(
            "ROUNDS_PEOPLE_FIELD_KEY_FILE: a file holding the keys in the same format, generated (0600) when "
            "missing. Without either setting, <data dir>/people-field-keys is used that way."
        ),
    )

    @field_validator("field_keys", "field_key_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # compose passes ${ROUNDS_PEOPLE_FIELD_KEYS:-}: an empty value means "not configured".
        return None if value == "" else value
