"""Wires the people service: settings, database, broker, telemetry."""

from __future__ import annotations

from fastapi import FastAPI

from rounds.infra.clock import Clock
from rounds.infra.service import ServiceRuntime, build_service_app
from services.people.adapters.field_crypto import FieldCipher, configured_keyring
from services.people.api import router
from services.people.consumers import subscriptions
from services.people.settings import PeopleSettings
from services.people.unit_of_work import PeopleUnitOfWork


def create_app(settings: PeopleSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The people service as an ASGI app (``uvicorn --factory services.people.main:create_app``)."""
    settings = settings or PeopleSettings()
    runtime = ServiceRuntime(settings, PeopleUnitOfWork.using(field_cipher(settings)), subscriptions, clock)
    return build_service_app(runtime, router)


def field_cipher(settings: PeopleSettings) -> FieldCipher:
    """The cipher of access notes and key-safe codes, from the configured keys (read once, at start)."""
    secret = settings.field_keys.get_secret_value() if settings.field_keys else None
    keyring = configured_keyring(secret, settings.field_key_file, settings.data_dir)
    if keyring is None:  # cannot happen without explicit_only; kept so a change there fails loudly
        raise RuntimeError("no field-encryption keys are configured for the people service")
    return FieldCipher(keyring)
