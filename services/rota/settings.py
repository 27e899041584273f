"""Settings of the rota service (``ROUNDS_ROTA_...``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from rounds.infra.settings import ServiceSettings


class RotaSettings(ServiceSettings):
    """The common service settings; rota-specific ones (horizon, solver time) join later."""

    service_name = "rota"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_ROTA_", extra="ignore")
