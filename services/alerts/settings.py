"""Settings of the alerts service (``ROUNDS_ALERTS_...``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from rounds.infra.settings import ServiceSettings


class AlertsSettings(ServiceSettings):
    """The common service settings; alerts-specific ones join as the service grows."""

    service_name = "alerts"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_ALERTS_", extra="ignore")
