"""Settings of the visits service (``ROUNDS_VISITS_...``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from rounds.infra.settings import ServiceSettings


class VisitsSettings(ServiceSettings):
    """The common service settings; visits-specific ones join as the service grows."""

    service_name = "visits"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_VISITS_", extra="ignore")
