"""Settings of the visits service (``ROUNDS_VISITS_...``)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rounds.infra.settings import ServiceSettings
from services.visits.domain.monitor import Thresholds


class VisitsSettings(ServiceSettings):
    """The common service settings, the location check and the provider's default thresholds.

    Thresholds stored through the API (provider-wide ``*`` or per visit type) override these.
    """

    service_name = "visits"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_VISITS_", extra="ignore")

    max_distance_m: float = Field(
        default=150.0, gt=0, description="A position farther than this from the home is flagged."
    )
    late_after_minutes: float = Field(default=15.0, ge=0)
    missed_after_minutes: float = Field(default=60.0, ge=0)
    short_share: float = Field(default=0.75, gt=0, le=1)
    overrun_after_minutes: float = Field(default=15.0, ge=0)
    overdue_grace_minutes: float = Field(default=30.0, ge=0)
    monitor_enabled: bool = True
    monitor_poll_seconds: float = Field(
        default=0.5,
        gt=0,
        description="The longest the monitor sleeps: it wakes at the next deadline stored, and at least "
        "this often for visits another process added with an earlier one.",
    )
    monitor_batch_size: int = Field(default=200, ge=1)

    def default_thresholds(self) -> Thresholds:
        """The provider's thresholds when none are stored."""
        return Thresholds(
            late_after=timedelta(minutes=self.late_after_minutes),
            missed_after=timedelta(minutes=self.missed_after_minutes),
            short_share=self.short_share,
            overrun_after=timedelta(minutes=self.overrun_after_minutes),
            overdue_grace=timedelta(minutes=self.overdue_grace_minutes),
        )
