"""Settings of the alerts service (``ROUNDS_ALERTS_...``).

Nothing secret has a default: the webhook secret, SMTP password and SMS token come from the
environment. Without them the embedded default writes notifications to its log channel.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from rounds.infra.settings import ServiceSettings
from services.alerts.domain.rules import RuleBook


class AlertsSettings(ServiceSettings):
    """The common service settings plus rules, channels, delivery and the runner's pace."""

    service_name = "alerts"
    model_config = SettingsConfigDict(env_prefix="ROUNDS_ALERTS_", extra="ignore")

    rules: dict[str, Any] = Field(
        default_factory=dict,
        description='Overrides of the shipped rules as JSON, e.g. {"visit_late": {"severity": "high"}}.',
    )
    office_phone: str = Field(default="the office", description="Number family messages tell them to call.")
    runner_interval_seconds: float = 1.0
    runner_batch_size: int = 100
    send_lease_seconds: float = 60.0
    retry_max_attempts: int = 5
    retry_first_wait_seconds: float = 30.0
    retry_longest_wait_seconds: float = 1800.0
    # Partner apps (worker app, family app) receive signed webhooks here.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_timeout_seconds: float = 5.0
    # Every alert change, pushed in order to a partner's endpoint (signed like the webhooks).
    partner_feed_url: str | None = None
    partner_feed_secret: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "rounds@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    sms_url: str | None = None
    sms_token: SecretStr | None = None
    # The platform's operator, told of every dead-lettered message (services/alerts/dead_letter_watch.py)
    # by SMS and/or e-mail through the channels above. Neither set: the operations alerts are stored and
    # listed by GET /alerts/dead-letters only.
    operator_phone: str | None = None
    operator_email: str | None = None
    # The watcher's own consumer group: it reads every rounds.<service>.dlq apart from the service's
    # consumer, whose events these are not.
    dead_letter_group: str = "rounds.alerts.dead-letters"
    # Where nothing else reaches a person, the embedded default logs the message instead of losing it.
    log_fallback: bool = True

    @field_validator("rules", mode="before")
    @classmethod
    def _rules_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    def rule_book(self) -> RuleBook:
        """The shipped rules with this provider's overrides (a typo stops the service at start)."""
        return RuleBook.defaults().with_overrides(self.rules)
