"""The roles and claims a Rounds access token carries (what the gateway's policy reads).

An identity provider in production maps its users onto these claims; the built-in issuer writes them
directly. Every claim but ``role`` is a relationship that narrows what the role may see:

- ``worker_id``: the worker record of a care worker (their own schedule and visits, 000 P18/P20)
- ``localities``: the localities a coordinator plans (and a registered manager oversees)
- ``individual_ids``: the individuals an individual or a key person may see (an individual: themself)
- ``consents``: for a key person, per individual the sections consent allows (``schedule``, ``visits``,
  ``profile``, ``plans``...), from people's consent-to-be-informed record (000 P44/P45)
- ``scope`` (space-separated, RFC 8693 style) and ``provider``: a partner system's OAuth2 scopes and the
  provider it works for
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who the caller is to the care provider."""

    CARE_WORKER = "care_worker"
    COORDINATOR = "coordinator"
    REGISTERED_MANAGER = "registered_manager"
    SUPERVISOR = "supervisor"
    INDIVIDUAL = "individual"
    KEY_PERSON = "key_person"
    PARTNER_SYSTEM = "partner_system"
    PLATFORM_ADMIN = "platform_admin"


ROLES: tuple[str, ...] = tuple(role.value for role in Role)

# Partner scopes: "<area>:read" lets a partner read the area's routes, "<area>:write" change them.
PARTNER_AREAS: tuple[str, ...] = ("workers", "individuals", "schedules", "visits", "alerts")
PARTNER_SCOPES: tuple[str, ...] = tuple(
    f"{area}:{mode}" for area in PARTNER_AREAS for mode in ("read", "write")
)

# What a key person's consent can open, one word per section of an individual's records.
CONSENT_SECTIONS: tuple[str, ...] = ("profile", "schedule", "visits", "plans", "key-people", "alerts")
