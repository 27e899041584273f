"""Settings of the supervision service (``ROUNDS_SUPERVISION_...``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from rounds.infra.settings import ServiceSettings


class SupervisionSettings(ServiceSettings):
    """The common service settings; supervision-specific ones join as the service grows."""

    service_name = "supervision"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_SUPERVISION_", extra="ignore")
