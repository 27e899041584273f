"""The gateway's settings, read from the environment with the prefix ``ROUNDS_GATEWAY_``.

Where each service lives (one variable per service, so that compose and the Helm chart can loop over
the services in ``rounds/topology.yaml`` and write one line each)::

    ROUNDS_GATEWAY_SERVICE_URLS__PEOPLE=http://people:8101
    ROUNDS_GATEWAY_SERVICE_URLS__ROTA=http://rota:8102

or all at once as JSON: ``ROUNDS_GATEWAY_SERVICE_URLS='{"people": "http://people:8101"}'``. A service
that is not named keeps its embedded default, ``http://127.0.0.1:<its port in topology.yaml>``. A name
that is not a service in the topology is refused at start-up, so a typo cannot silently route to the
default.

The other settings, with their defaults (the embedded default needs none of them):

- ``ROUNDS_GATEWAY_HOST`` (127.0.0.1), ``ROUNDS_GATEWAY_PORT`` (the gateway port in topology.yaml)
- ``ROUNDS_GATEWAY_REQUEST_TIMEOUT_SECONDS`` (10): longest wait for a service's answer, then 504
- ``ROUNDS_GATEWAY_CONNECT_TIMEOUT_SECONDS`` (2): longest wait to open a connection to a service
- ``ROUNDS_GATEWAY_MAX_BODY_BYTES`` (10 MiB): larger request bodies get 413
- ``ROUNDS_GATEWAY_CONNECT_RETRIES`` (2) and ``ROUNDS_GATEWAY_RETRY_BACKOFF_SECONDS`` (0.1): retries of
  idempotent requests whose connection failed, with doubling backoff
- ``ROUNDS_GATEWAY_BREAKER_FAILURE_THRESHOLD`` (5) and ``ROUNDS_GATEWAY_BREAKER_COOLDOWN_SECONDS`` (10):
  a service's circuit opens after that many failed requests in a row and lets one trial through
  after the cool-down
- ``ROUNDS_GATEWAY_PROBE_TIMEOUT_SECONDS`` (2): per-service wait in /readyz and the OpenAPI fetch
- ``ROUNDS_GATEWAY_OPENAPI_CACHE_SECONDS`` (30): how long a service's OpenAPI document is reused
- ``ROUNDS_GATEWAY_OIDC_ISSUER``, ``ROUNDS_GATEWAY_OIDC_JWKS_URL``, ``ROUNDS_GATEWAY_OIDC_AUDIENCE``
  (``rounds-api``): the identity provider whose bearer tokens the gateway accepts. Unset issuer means
  the built-in issuer of the embedded default (its key in ``<data dir>/gateway/issuer-key.pem``).
- ``ROUNDS_GATEWAY_TOKEN_LEEWAY_SECONDS`` (30): clock skew tolerated on ``exp``/``nbf``
- ``ROUNDS_GATEWAY_PARTNER_CLIENTS_FILE`` (``<data dir>/gateway/partner-clients.json``): OAuth2 client
  credentials of partner systems (hashed secrets; ``python -m gateway.partners add`` writes it)
- ``ROUNDS_GATEWAY_PROVIDER_ID``: the care provider this deployment serves; partner tokens for another
  provider are refused
- ``ROUNDS_GATEWAY_DATABASE_URL`` (SQLite ``<data dir>/gateway.db``): the gateway's own database, which
  holds the audit trail; on Postgres e.g. ``postgresql+asyncpg://rounds@db/rounds_gateway``
- ``ROUNDS_GATEWAY_RATE_LIMIT_PER_MINUTE`` (600) and ``ROUNDS_GATEWAY_RATE_LIMIT_BURST`` (100): what
  one client (a token's subject) may send; ``ROUNDS_GATEWAY_ANONYMOUS_RATE_LIMIT_PER_MINUTE`` (60)
  and ``..._BURST`` (20) for callers without a valid token, counted by address
- ``ROUNDS_GATEWAY_TRUSTED_PROXY_HOPS`` (0): how many proxies in front of the gateway (an ingress, a
  load balancer) append to ``X-Forwarded-For``; the caller's address (rate limits, audit) is then read
  that many entries from its end. 0 trusts no such header (callers could write anything in it)
- ``ROUNDS_GATEWAY_LIVE_STREAMS_PER_CLIENT`` (5): live streams one caller may hold open at once
  (each holds a connection to the visits and the alerts service)
- ``ROUNDS_GATEWAY_REDIS_URL``: count rate limits in this Redis (shared by all replicas), e.g.
  ``redis://redis:6379/0``; unset: in the gateway's own memory
- ``ROUNDS_GATEWAY_CORS_ORIGINS``: the origins whose pages may call the API from a browser (the
  dashboard's), as JSON: ``'["https://dashboard.example.org"]'``; none by default
- ``ROUNDS_GATEWAY_UNREACHABLE_HINT``: what a 503 tells the caller to do when a service is down;
  ``{service}`` and ``{log_dir}`` are filled in. Deployments set their own, e.g.
  ``"Check the pods: kubectl logs deploy/rounds-{service}."``
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from rounds.auth.issuer import DEFAULT_AUDIENCE
from rounds.infra.settings import PlatformSettings
from rounds.infra.topology import load_topology

DEFAULT_UNREACHABLE_HINT = "Is `rounds up` running? See {log_dir}/{service}.log for what the service said."


def _default_service_urls() -> dict[str, str]:
    return {spec.name: f"http://127.0.0.1:{spec.port}" for spec in load_topology().services}


class GatewaySettings(PlatformSettings):
    """Everything the gateway needs to know: where it listens, where the services are, its limits."""

    # populate_by_name: data_dir=... by name works too (its environment name is ROUNDS_DATA_DIR).
    model_config = SettingsConfigDict(
        env_prefix="ROUNDS_GATEWAY_", env_nested_delimiter="__", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = Field(default_factory=lambda: load_topology().gateway_port)
    service_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Base URL of each service by name; services left out use their embedded default.",
    )
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    connect_timeout_seconds: float = Field(default=2.0, gt=0)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    connect_retries: int = Field(default=2, ge=0, le=2)
    retry_backoff_seconds: float = Field(default=0.1, ge=0)
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_cooldown_seconds: float = Field(default=10.0, gt=0)
    probe_timeout_seconds: float = Field(default=2.0, gt=0)
    openapi_cache_seconds: float = Field(default=30.0, ge=0)
    unreachable_hint: str = DEFAULT_UNREACHABLE_HINT
    oidc_issuer: str | None = Field(default=None, description="None: the built-in issuer.")
    oidc_jwks_url: str | None = None
    oidc_audience: str = DEFAULT_AUDIENCE
    token_leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    # Shortest wait between two fetches caused by unknown key ids (junk tokens must not hammer the IdP).
    jwks_min_refresh_seconds: float = Field(default=10.0, ge=0)
    partner_clients_file: Path | None = None
    partner_token_ttl_seconds: int = Field(default=3600, gt=0, le=86400)
    provider_id: str | None = None
    rate_limit_per_minute: int = Field(default=600, gt=0)
    rate_limit_burst: int = Field(default=100, gt=0)
    anonymous_rate_limit_per_minute: int = Field(default=60, gt=0)
    anonymous_rate_limit_burst: int = Field(default=20, gt=0)
    redis_url: str | None = None
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)
    live_streams_per_client: int = Field(default=5, gt=0)
    cors_origins: list[str] = Field(default_factory=list)
    # Partner webhooks: consume the event topics into deliveries (a gateway consumer group), and send
    # due deliveries. Consuming is opt-in (it needs the broker); sending runs whenever the gateway does.
    webhooks_consume: bool = False
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1, le=30)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    database_url: str = Field(
        default="", description="The audit trail's database; empty: SQLite in the data dir."
    )

    @field_validator("service_urls")
    @classmethod
    def _known_services_with_http_urls(cls, urls: dict[str, str]) -> dict[str, str]:
        known = {spec.name for spec in load_topology().services}
        cleaned: dict[str, str] = {}
        for name, url in urls.items():
            service = name.lower()
            if service not in known:
                raise ValueError(f"{name!r} is not a service; set URLs only for {', '.join(sorted(known))}")
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"the URL for {service} must start with http:// or https://, not {url!r}")
            cleaned[service] = url.rstrip("/")
        return cleaned

    @model_validator(mode="after")
    def _fill_default_urls(self) -> GatewaySettings:
        # Topology order, so listings (404s, /readyz, the OpenAPI tags) read the same everywhere.
        defaults = _default_service_urls()
        self.service_urls = {name: self.service_urls.get(name, url) for name, url in defaults.items()}
        return self

    @field_validator("cors_origins")
    @classmethod
    def _origins_not_wildcards(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            # A wildcard would let any site's scripts use a member of staff's token.
            if not origin.startswith(("http://", "https://")) or "*" in origin:
                raise ValueError(
                    f"a CORS origin is a scheme and host like https://dashboard.example.org, not {origin!r}"
                )
        return [origin.rstrip("/") for origin in origins]

    @model_validator(mode="after")
    def _default_database(self) -> GatewaySettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'gateway.db').resolve()}"
        return self

    @model_validator(mode="after")
    def _issuer_with_its_keys(self) -> GatewaySettings:
        if self.oidc_issuer and not self.oidc_jwks_url:
            raise ValueError("ROUNDS_GATEWAY_OIDC_JWKS_URL must be set with ROUNDS_GATEWAY_OIDC_ISSUER")
        return self

    @property
    def builtin_issuer(self) -> bool:
        """True when the gateway issues and checks its own tokens (the embedded default)."""
        return self.oidc_issuer is None

    @property
    def partner_clients_path(self) -> Path:
        """Where partner client credentials are kept."""
        return self.partner_clients_file or self.data_dir / "gateway" / "partner-clients.json"

    @property
    def services(self) -> tuple[str, ...]:
        """The names of the services the gateway routes to, in topology order."""
        return tuple(self.service_urls)

    def unreachable_advice(self, service: str) -> str:
        """What to tell a caller to do when ``service`` cannot be reached."""
        log_dir = str(self.data_dir / "logs")
        return self.unreachable_hint.replace("{service}", service).replace("{log_dir}", log_dir)
