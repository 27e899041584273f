"""Settings of the rota service (``ROUNDS_ROTA_...``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rounds.infra.settings import ServiceSettings
from rounds.infra.topology import load_topology


class RotaSettings(ServiceSettings):
    """The common service settings and the rota's own."""

    service_name = "rota"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_ROTA_", extra="ignore")

    time_zone: str = Field(default_factory=lambda: load_topology().provider_time_zone)
    horizon_days: int = Field(default=14, ge=1, le=84, description="how far ahead visits are generated")
    road_factor: float = Field(default=1.35, ge=1.0, le=3.0)
    osrm_url: str | None = Field(
        default=None, description="an OSRM-compatible table service; straight line if unset"
    )
    solver_processes: int = Field(default=2, ge=1, le=64)
    housekeeping_seconds: float = Field(
        default=300.0, gt=0, description="how often the horizon and abandoned planning runs are checked"
    )
