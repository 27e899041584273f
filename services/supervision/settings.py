"""Settings of the supervision service (``ROUNDS_SUPERVISION_...``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rounds.infra.settings import ServiceSettings
from services.supervision.domain.compliance import DEFAULT_DUE_SOON_DAYS


class SupervisionSettings(ServiceSettings):
    """The common service settings and the compliance sweeper's."""

    service_name = "supervision"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_SUPERVISION_", extra="ignore")

    notice_sweep_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How often the compliance sweeper looks for new due-soon and overdue notices (0: never).",
    )
    due_soon_days: int = Field(
        default=DEFAULT_DUE_SOON_DAYS,
        ge=0,
        le=365,
        description="How many days ahead an obligation counts as due soon (a reminder).",
    )
