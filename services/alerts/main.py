"""Wires the alerts service: settings, database, broker, telemetry, channels and the runner."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import APIRouter, FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.alerts import api, dead_letters_api, incidents_api
from services.alerts.adapters.channels import (
    Channel,
    EmailChannel,
    HttpSmsProvider,
    LogChannel,
    SmsChannel,
    SmtpServer,
    WebhookChannel,
)
from services.alerts.adapters.feed import PartnerFeed
from services.alerts.consumers import subscriptions
from services.alerts.dead_letter_watch import DeadLetterWatcher, operator_from
from services.alerts.domain.delivery import RetryPolicy
from services.alerts.domain.recipients import ChannelName
from services.alerts.domain.rules import AlertPolicy
from services.alerts.runner import AlertRunner
from services.alerts.settings import AlertsSettings
from services.alerts.unit_of_work import AlertsUnitOfWork


class AlertsRuntime(ServiceRuntime[AlertsUnitOfWork]):
    """The common runtime plus the provider's rules, the channels and the escalation/dispatch runner."""

    def __init__(self, settings: AlertsSettings, clock: Clock | None = None) -> None:
        super().__init__(settings, AlertsUnitOfWork, subscriptions, clock)
        self.alerts_settings = settings
        self.http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
        channels = channels_from(settings, self.http, self.clock)
        self.policy = AlertPolicy(
            settings.rule_book(),
            settings.office_phone,
            settings.log_fallback,
            channels=frozenset(c.value for c in channels),
        )
        self.runner = AlertRunner(
            self.unit_of_work,
            self.clock,
            channels,
            RetryPolicy(
                max_attempts=settings.retry_max_attempts,
                first_wait=timedelta(seconds=settings.retry_first_wait_seconds),
                longest_wait=timedelta(seconds=settings.retry_longest_wait_seconds),
            ),
            batch_size=settings.runner_batch_size,
            lease=timedelta(seconds=settings.send_lease_seconds),
            feed=partner_feed_from(settings, self.http, self.clock),
        )
        self.dead_letter_watcher = DeadLetterWatcher(
            settings, self.unit_of_work, self.clock, operator_from(settings)
        )
        self._tasks_of_alerts: list[asyncio.Task[None]] = []

    def unit_of_work(self) -> AlertsUnitOfWork:
        """A fresh unit of work that knows the provider's rules."""
        uow = super().unit_of_work()
        uow.policy = self.policy
        uow.notifications_queued = self.runner.wake
        return uow

    async def start(self) -> None:
        """Relay, consume, run escalation and dispatch, and watch the dead letters in the background."""
        await super().start()
        self._tasks_of_alerts = [
            asyncio.create_task(
                self.runner.run(self.alerts_settings.runner_interval_seconds), name="alerts-runner"
            ),
            asyncio.create_task(self.dead_letter_watcher.run(), name="alerts-dead-letter-watcher"),
        ]

    async def stop(self) -> None:
        """Stop the runner and the watcher first (they use the database), then the rest."""
        for task in self._tasks_of_alerts:
            task.cancel()
        await asyncio.gather(*self._tasks_of_alerts, return_exceptions=True)
        self._tasks_of_alerts = []
        await self.http.aclose()
        await super().stop()


def channels_from(
    settings: AlertsSettings, http: httpx.AsyncClient, clock: Clock
) -> dict[ChannelName, Channel]:
    """The channels the settings configure; the log channel is always there."""
    channels: dict[ChannelName, Channel] = {ChannelName.LOG: LogChannel()}
    if settings.webhook_url and settings.webhook_secret:
        secret = settings.webhook_secret.get_secret_value().encode()
        channels[ChannelName.WEBHOOK] = WebhookChannel(settings.webhook_url, secret, http, clock)
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        channels[ChannelName.EMAIL] = EmailChannel(
            SmtpServer(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_sender,
                settings.smtp_username,
                password,
                settings.smtp_starttls,
            )
        )
    if settings.sms_url:
        token = settings.sms_token.get_secret_value() if settings.sms_token else None
        channels[ChannelName.SMS] = SmsChannel(HttpSmsProvider(settings.sms_url, token, http))
    return channels


def partner_feed_from(settings: AlertsSettings, http: httpx.AsyncClient, clock: Clock) -> PartnerFeed | None:
    """The partner feed when the settings name one (and its secret)."""
    if not (settings.partner_feed_url and settings.partner_feed_secret):
        return None
    secret = settings.partner_feed_secret.get_secret_value().encode()
    return PartnerFeed(settings.partner_feed_url, secret, http, clock)


def create_app(settings: AlertsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The alerts service as an ASGI app (``uvicorn --factory services.alerts.main:create_app``)."""
    runtime = AlertsRuntime(settings or AlertsSettings(), clock)
    routes = APIRouter()
    # Before api.router: its /alerts/{alert_id} would otherwise take "dead-letters" for an id.
    routes.include_router(dead_letters_api.router)
    routes.include_router(api.router)
    routes.include_router(incidents_api.router)
    return build_service_app(runtime, routes)
