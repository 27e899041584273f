"""What the gateway process holds for its lifetime, built in ``gateway.main`` and read by ``gateway.api``."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from gateway.access import AccessGuard, PartnerTokens
from gateway.audit import AuditLog
from gateway.limits import Limiter
from gateway.live import LiveRelay
from gateway.openapi import OpenApiCatalog
from gateway.proxy import ServiceProxy
from gateway.settings import GatewaySettings
from gateway.webhooks import WebhookStore
from rounds.auth.issuer import SigningKey


@dataclass(frozen=True)
class GatewayRuntime:
    """The settings, the one HTTP client to the services, and the parts that use it."""

    settings: GatewaySettings
    client: httpx.AsyncClient
    proxy: ServiceProxy
    catalog: OpenApiCatalog
    guard: AccessGuard
    audit: AuditLog
    limiter: Limiter
    live: LiveRelay
    # The built-in issuer's key and its client credentials grant; None when an external IdP issues tokens.
    signing_key: SigningKey | None
    partner_tokens: PartnerTokens | None
    # Partner webhooks' subscriptions and deliveries (gateway.webhooks), in the gateway's database.
    webhooks: WebhookStore | None = None
