"""Settings shared by every process, read from the environment.

Each service subclasses :class:`ServiceSettings` with its own prefix (``ROUNDS_PEOPLE_`` ...).
A few settings are platform-wide and keep their conventional names: ``KAFKA_BOOTSTRAP_SERVERS``
and ``OTEL_EXPORTER_OTLP_ENDPOINT``. Defaults make the embedded default work with no setting at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rounds.infra.topology import load_topology

DEFAULT_DATA_DIR = Path(".rounds")


class PlatformSettings(BaseSettings):
    """Settings every Rounds process reads, whatever its role."""

    model_config = SettingsConfigDict(env_prefix="ROUNDS_", extra="ignore")

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        validation_alias=AliasChoices("ROUNDS_DATA_DIR"),
        description="Folder for the embedded default's SQLite files, logs and traces.",
    )
    provider_time_zone: str = Field(
        default_factory=lambda: load_topology().provider_time_zone,
        validation_alias=AliasChoices("ROUNDS_PROVIDER_TIME_ZONE"),
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "ROUNDS_KAFKA_BOOTSTRAP_SERVERS"),
    )
    # The embedded broker rejects InitProducerId, so idempotence is opt-in; the inbox makes
    # duplicate deliveries harmless either way.
    kafka_idempotence: bool = Field(
        default=False, validation_alias=AliasChoices("ROUNDS_KAFKA_IDEMPOTENCE", "KAFKA_IDEMPOTENCE")
    )
    kafka_replication_factor: int = Field(
        default=1,
        validation_alias=AliasChoices("ROUNDS_KAFKA_REPLICATION_FACTOR"),
        description="Replicas of each topic Rounds creates; 3 on a production cluster.",
    )
    # The embedded broker ignores LeaveGroup, so a join waits about half of this: keep it short.
    kafka_session_timeout_ms: int = Field(
        default=6000, validation_alias=AliasChoices("ROUNDS_KAFKA_SESSION_TIMEOUT_MS")
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    trace_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ROUNDS_TRACE_FILE"),
        description="When set, finished spans are appended to this file as JSON lines.",
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("ROUNDS_LOG_LEVEL"))


class ServiceSettings(PlatformSettings):
    """Settings of one service; subclasses set ``service_name`` and their env prefix."""

    service_name: ClassVar[str] = ""

    host: str = "127.0.0.1"
    port: int = 0
    database_url: str = ""
    outbox_batch_size: int = 500
    outbox_poll_seconds: float = 0.5
    outbox_retention_hours: float = 24.0
    consumer_max_attempts: int = 3

    @classmethod
    def for_service(cls, name: str) -> ServiceSettings:
        """The common settings of service ``name`` (its own prefix), without its own extras."""
        settings_class = type(
            f"{name.title()}CommonSettings",
            (cls,),
            {
                "service_name": name,
                "model_config": SettingsConfigDict(env_prefix=f"ROUNDS_{name.upper()}_", extra="ignore"),
            },
        )
        settings: ServiceSettings = settings_class()
        return settings

    @model_validator(mode="after")
    def _fill_defaults(self) -> ServiceSettings:
        if not self.port:
            self.port = load_topology().service(self.service_name).port
        if not self.database_url:
            path = (self.data_dir / f"{self.service_name}.db").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        return self
