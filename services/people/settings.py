"""Settings of the people service (``ROUNDS_PEOPLE_...``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from rounds.infra.settings import ServiceSettings


class PeopleSettings(ServiceSettings):
    """The common service settings; people-specific ones join as the service grows."""

    service_name = "people"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_PEOPLE_", extra="ignore")
