"""The authorisation matrix: every role against every route, with its own and a foreign resource.

The expectations are written out here by hand, from the product's rules (not derived from the policy
module), and checked through the real gateway in front of the stand-in services: "allowed" means the
request reached the service, "refused" means the gateway answered 403 problem+json itself.

Own resources are worker W1, individual I1 and locality Harrogate; foreign ones W2, I2 and Ripon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from gateway.policy import ROUTE_RULES, actor_from_claims, decide
from rounds.auth.claims import ROLES
from tests.gateway.standins import RunningGateway

pytestmark = pytest.mark.integration

CLAIMS: dict[str, dict[str, Any]] = {
    "care_worker": {"worker_id": "W1"},
    "coordinator": {"localities": ["Harrogate"]},
    "registered_manager": {"localities": ["Harrogate"]},
    "supervisor": {},
    "individual": {"individual_ids": ["I1"]},
    # consent to be told about the schedule only (000 P44), nothing else
    "key_person": {"consents": {"I1": ["schedule"]}},
    "partner_system": {"scope": "schedules:read", "provider": "acme-care"},
    "platform_admin": {},
}

ABBREVIATIONS = {
    "cw": "care_worker",
    "co": "coordinator",
    "rm": "registered_manager",
    "sup": "supervisor",
    "ind": "individual",
    "kp": "key_person",
    "partner": "partner_system",
    "admin": "platform_admin",
}
ACCESS = {"own": (True, False), "both": (True, True)}


@dataclass(frozen=True)
class Case:
    """A route with its own and foreign variants, and who may call which (everyone else: nobody)."""

    method: str
    own: str
    foreign: str
    allowed: dict[str, tuple[bool, bool]]

    @property
    def id(self) -> str:
        return f"{self.method} {self.own}"


def case(method: str, template: str, who: str) -> Case:
    """``who`` lists ``role:own`` (own resource only) or ``role:both`` (own and foreign), by abbreviation."""
    own = template.format(w="W1", i="I1", loc="Harrogate", v="V1")
    foreign = template.format(w="W2", i="I2", loc="Ripon", v="V2")
    allowed = {}
    for entry in who.split():
        role, _, access = entry.partition(":")
        allowed[ABBREVIATIONS[role]] = ACCESS[access]
    return Case(method, own, foreign, allowed)


CASES = [
    # people
    case("GET", "/v1/people/workers?locality={loc}", "co:own rm:both sup:both"),
    case("GET", "/v1/people/workers", "rm:both sup:both"),
    case("POST", "/v1/people/workers", "co:both rm:both"),
    case("GET", "/v1/people/workers/{w}", "cw:own co:both rm:both sup:both"),
    case("PATCH", "/v1/people/workers/{w}", "co:both rm:both"),
    case("GET", "/v1/people/workers/{w}?locality={loc}", "cw:own co:own rm:both sup:both"),
    case("GET", "/v1/people/individuals?locality={loc}", "co:own rm:both"),
    case("POST", "/v1/people/individuals", "co:both rm:both"),
    case("GET", "/v1/people/individuals/{i}", "ind:own co:both rm:both"),
    case("GET", "/v1/people/individuals/{i}/key-people", "ind:own co:both rm:both"),
    case("DELETE", "/v1/people/individuals/{i}", "co:both rm:both"),
    case("GET", "/v1/people/localities/{loc}/teams", "co:own rm:both"),
    case("GET", "/v1/people/on-call?locality={loc}", "co:own rm:both"),
    # rota
    case("GET", "/v1/rota/workers?locality={loc}", "co:own rm:both partner:both"),
    case("GET", "/v1/rota/workers/{w}", "cw:own co:both rm:both partner:both"),
    case("GET", "/v1/rota/workers/{w}/schedule", "cw:own co:both rm:both partner:both"),
    case("GET", "/v1/rota/individuals/{i}/schedule", "ind:own kp:own co:both rm:both partner:both"),
    case("GET", "/v1/rota/localities/{loc}/visits", "co:own rm:both partner:both"),
    case("POST", "/v1/rota/packages?locality={loc}", "co:own rm:both"),
    # visits: one visit is decided by the visits service (allocation, note windows) from X-Rounds-Actor
    case("GET", "/v1/visits/workers/{w}/visits", "cw:own co:both rm:both"),
    case("GET", "/v1/visits/individuals/{i}/visits", "ind:own co:both rm:both"),
    case("GET", "/v1/visits/visits?locality={loc}", "co:own rm:both"),
    case("GET", "/v1/visits/visits/{v}", "cw:both co:both rm:both"),
    case("POST", "/v1/visits/visits/{v}/check-in", "cw:both co:both rm:both"),
    # supervision: confidential (004 1.37-1.38), so no coordinator
    case("GET", "/v1/supervision/workers/{w}/sessions", "cw:own sup:both rm:both"),
    case("GET", "/v1/supervision/workers/{w}", "cw:own sup:both rm:both"),
    case("GET", "/v1/supervision/agreements", "sup:both rm:both"),
    # alerts
    case("GET", "/v1/alerts/workers/{w}/notifications", "cw:own co:both rm:both"),
    case("GET", "/v1/alerts/alerts?locality={loc}", "co:own rm:both"),
]


def test_every_role_has_a_column() -> None:
    assert set(CLAIMS) == set(ROLES)


def test_every_route_rule_is_exercised_by_the_matrix() -> None:
    exercised = set()
    for c in CASES:
        parts = urlsplit(c.own)
        service, *segments = parts.path.removeprefix("/v1/").split("/")
        for role, claims in CLAIMS.items():
            actor = actor_from_claims({"sub": "u", "role": role, **claims})
            decision = decide(actor, c.method, service, segments, parse_qs(parts.query))
            if decision.rule:
                exercised.add((service, decision.rule, c.method in {"GET", "HEAD", "OPTIONS"}))
    rules = {(r.service, r.template, "GET" in r.methods) for r in ROUTE_RULES}
    assert rules - exercised == set()


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
async def test_matrix(gateway: RunningGateway, c: Case) -> None:
    wrong = []
    for role, claims in CLAIMS.items():
        headers = gateway.as_(role, subject=f"{role}-1", **claims)
        own_allowed, foreign_allowed = c.allowed.get(role, (False, False))
        for variant, path, expected in (("own", c.own, own_allowed), ("foreign", c.foreign, foreign_allowed)):
            response = await gateway.client.request(c.method, path, headers=headers)
            refused = response.status_code == 403 and response.json().get("type", "").endswith("/forbidden")
            if response.status_code == 401 or refused == expected:
                wrong.append(
                    f"{role} {variant} {c.method} {path}: {response.status_code} {response.text[:120]}"
                )
    assert wrong == []


async def test_a_delegated_decision_reaches_the_service_with_the_relationships(
    gateway: RunningGateway,
) -> None:
    # A route the gateway cannot decide alone (which locality is this?) goes on with the coordinator's
    # localities in X-Rounds-Actor, for the service to apply.
    response = await gateway.client.get(
        "/v1/people/echo/x", headers=gateway.as_("coordinator", localities=["Harrogate"])
    )
    actor = dict(response.json()["headers"])["x-rounds-actor"]
    assert '"localities":["Harrogate"]' in actor


async def test_a_care_worker_is_refused_routes_no_rule_names(gateway: RunningGateway) -> None:
    response = await gateway.client.get(
        "/v1/visits/echo/x", headers=gateway.as_("care_worker", worker_id="W1")
    )
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/v1/rota/workers/W1/../W2/schedule", "/v1/rota/workers/W1/%2e%2e/W2"])
async def test_dot_segments_cannot_walk_to_someone_elses_records(gateway: RunningGateway, path: str) -> None:
    response = await gateway.client.get(path, headers=gateway.as_("care_worker", worker_id="W1"))
    assert response.status_code == 403


async def test_an_encoded_slash_does_not_split_an_id(gateway: RunningGateway) -> None:
    # "W1%2FW2" is one id to the service; it is not W1's record.
    response = await gateway.client.get(
        "/v1/rota/workers/W1%2FW2", headers=gateway.as_("care_worker", worker_id="W1")
    )
    assert response.status_code == 403


async def test_a_coordinator_naming_a_foreign_locality_among_their_own_is_refused(
    gateway: RunningGateway,
) -> None:
    response = await gateway.client.get(
        "/v1/rota/workers?locality=Harrogate&locality=Ripon",
        headers=gateway.as_("coordinator", localities=["Harrogate"]),
    )
    assert response.status_code == 403
    assert "Ripon" in response.json()["detail"]
