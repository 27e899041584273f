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
from gateway.settings import GatewaySettings
from rounds.auth.claims import PARTNER_SCOPES, ROLES
from tests.gateway.public_api import PublicRoute, merged_public_api, public_routes
from tests.gateway.standins import GatewayFactory, RunningGateway

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
    # people: workers
    case("GET", "/v1/people/workers?locality={loc}", "co:own rm:both sup:both"),
    case("GET", "/v1/people/workers", "rm:both sup:both"),
    case("POST", "/v1/people/workers", "co:both rm:both"),
    case("GET", "/v1/people/workers/{w}", "cw:own co:both rm:both sup:both"),
    case("PATCH", "/v1/people/workers/{w}", "co:both rm:both"),
    case("GET", "/v1/people/workers/{w}?locality={loc}", "cw:own co:own rm:both sup:both"),
    case("POST", "/v1/people/compliance-reviews", "co:both rm:both"),
    # people: the organisation
    case("GET", "/v1/people/organisation", "cw:both co:both rm:both sup:both"),
    case("POST", "/v1/people/localities", "rm:both"),
    case("POST", "/v1/people/teams", "rm:both"),
    case("GET", "/v1/people/teams/T1", "cw:both co:both rm:both sup:both"),
    case("POST", "/v1/people/teams/T1/end", "rm:both"),
    case("POST", "/v1/people/on-call/gap-reviews", "rm:both"),
    case("GET", "/v1/people/risk-assessments/due?locality={loc}", "co:own rm:both"),
    case("GET", "/v1/people/plans/due-for-review?locality={loc}", "co:own rm:both"),
    case("GET", "/v1/people/fhir/Patient/{i}", "ind:own co:both rm:both"),
    case("GET", "/v1/people/fhir/RelatedPerson/K1", "co:both rm:both"),
    case("GET", "/v1/people/fhir/CarePlan/C1", "co:both rm:both"),
    case("GET", "/v1/people/fhir/Practitioner/{w}", "cw:own co:both rm:both sup:both"),
    case("GET", "/v1/people/fhir/PractitionerRole/{w}", "cw:own co:both rm:both sup:both"),
    case("GET", "/v1/people/localities/{loc}/teams", "co:own rm:both"),
    # people: individuals; access notes are for the visiting worker (the service checks the window)
    case("GET", "/v1/people/individuals?locality={loc}", "co:own rm:both"),
    case("POST", "/v1/people/individuals", "co:both rm:both"),
    case("GET", "/v1/people/individuals/{i}", "ind:own co:both rm:both"),
    case("GET", "/v1/people/individuals/{i}/key-people", "ind:own co:both rm:both"),
    case("GET", "/v1/people/individuals/{i}/plan", "ind:own co:both rm:both"),
    case("DELETE", "/v1/people/individuals/{i}", "co:both rm:both"),
    case("GET", "/v1/people/individuals/{i}/access-notes", "cw:both co:both rm:both"),
    case("PUT", "/v1/people/individuals/{i}/access-notes", "co:both rm:both"),
    case("POST", "/v1/people/individuals/{i}/visit-windows", "co:both rm:both"),
    case("GET", "/v1/people/individuals/{i}/access-audit", "co:both rm:both"),
    # rota
    case("GET", "/v1/rota/workers?locality={loc}", "co:own rm:both partner:both"),
    case("GET", "/v1/rota/workers/{w}", "cw:own co:both rm:both partner:both"),
    case("GET", "/v1/rota/workers/{w}/schedule", "cw:own co:both rm:both partner:both"),
    case("POST", "/v1/rota/workers/{w}/absences", "co:both rm:both"),
    case("GET", "/v1/rota/individuals/{i}/schedule", "ind:own kp:own co:both rm:both partner:both"),
    case("GET", "/v1/rota/localities/{loc}/visits", "co:own rm:both partner:both"),
    case("GET", "/v1/rota/visits?locality={loc}", "co:own rm:both partner:both"),
    case("PUT", "/v1/rota/visits/{v}/allocation", "co:both rm:both"),
    case("POST", "/v1/rota/packages?locality={loc}", "co:own rm:both"),
    case("PUT", "/v1/rota/packages/P1", "co:both rm:both"),
    case("POST", "/v1/rota/visit-generation?locality={loc}", "co:own rm:both"),
    case("POST", "/v1/rota/planning-runs?locality={loc}", "co:own rm:both"),
    case("GET", "/v1/rota/planning-runs/RUN1", "co:both rm:both"),
    case("GET", "/v1/rota/packages/P1?locality={loc}", "co:own rm:both"),
    # visits: one visit is decided by the visits service (allocation, note windows) from X-Rounds-Actor
    case("GET", "/v1/visits/workers/{w}/visits", "cw:own co:both rm:both"),
    case("GET", "/v1/visits/individuals/{i}/visits", "ind:own co:both rm:both"),
    case("GET", "/v1/visits/visits?locality={loc}", "co:own rm:both"),
    case("GET", "/v1/visits/visits/{v}", "cw:both co:both rm:both"),
    case("POST", "/v1/visits/visits/{v}/check-in", "cw:both co:both rm:both"),
    case("PUT", "/v1/visits/individuals/{i}/nfc-tags/T1", "co:both rm:both"),
    case("GET", "/v1/visits/thresholds/personal-care", "co:both rm:both"),
    case("GET", "/v1/visits/live?locality={loc}", "co:own rm:both"),
    case("GET", "/v1/visits/live", "rm:both"),
    case("GET", "/v1/visits/reports/daily?locality={loc}", "co:own rm:both"),
    case("PUT", "/v1/visits/thresholds/personal-care", "rm:both"),
    # supervision: confidential (004 1.37-1.38), so no coordinator
    case("GET", "/v1/supervision/workers", "sup:both rm:both"),
    case("GET", "/v1/supervision/compliance", "sup:both rm:both"),
    case("GET", "/v1/supervision/skills-gap", "sup:both rm:both"),
    case("GET", "/v1/supervision/supervisors/S9/compliance", "sup:both rm:both"),
    case("GET", "/v1/supervision/teams/T1/compliance", "sup:both rm:both"),
    case("GET", "/v1/supervision/workers/{w}/sessions", "cw:own sup:both rm:both"),
    case("GET", "/v1/supervision/workers/{w}", "cw:own sup:both rm:both"),
    case("POST", "/v1/supervision/workers/{w}/training", "sup:both rm:both"),
    case("POST", "/v1/supervision/workers/{w}/shares", "rm:both"),
    case("POST", "/v1/supervision/agreements", "sup:both rm:both"),
    case("GET", "/v1/supervision/agreements/A1", "cw:both sup:both rm:both"),
    case("POST", "/v1/supervision/agreements/A1/signatures", "cw:both sup:both rm:both"),
    case("POST", "/v1/supervision/sessions", "sup:both rm:both"),
    case("POST", "/v1/supervision/sessions/S1/record", "sup:both rm:both"),
    case("GET", "/v1/supervision/records/R1", "cw:both sup:both rm:both"),
    case("PUT", "/v1/supervision/records/R1", "sup:both rm:both"),
    case("POST", "/v1/supervision/records/R1/disagreement", "cw:both rm:both"),
    case("POST", "/v1/supervision/records/R1/signatures", "cw:both sup:both rm:both"),
    # alerts
    case("GET", "/v1/alerts/workers/{w}/notifications", "cw:own co:both rm:both"),
    case("GET", "/v1/alerts/alerts?locality={loc}", "co:own rm:both"),
    case("GET", "/v1/alerts/alerts/stream", "co:both rm:both"),
    case("POST", "/v1/alerts/alerts/AL1/acknowledge", "co:both rm:both"),
    case("GET", "/v1/alerts/notifications", "co:both rm:both"),
    case("POST", "/v1/alerts/notifications/receipts", "rm:both"),
    case("GET", "/v1/alerts/incidents?locality={loc}", "co:own rm:both"),
    case("POST", "/v1/alerts/incidents/IN1/close", "co:both rm:both"),
    # the gateway's own: the audit trail
    case("GET", "/v1/audit/records", "rm:both"),
    case("GET", "/v1/live/events?locality={loc}&seconds=1", "co:own rm:both"),
    # partner webhooks: a partner its own (the gateway filters by client), the manager everyone's
    case("GET", "/v1/webhooks/subscriptions", "rm:both partner:both"),
    case("POST", "/v1/webhooks/subscriptions", "rm:both partner:both"),
    case("DELETE", "/v1/webhooks/subscriptions/S1", "rm:both partner:both"),
    case("GET", "/v1/webhooks/deliveries", "rm:both partner:both"),
    case("POST", "/v1/webhooks/deliveries/D1/redeliver", "rm:both partner:both"),
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


# Every route of the public API, as the services' code documents it today: the matrix above states
# expectations by hand; this one holds every route, including ones written after it, to the rules
# no route may break. Own resources W1, I1, Harrogate; foreign ones W2, I2, Ripon.
OWN = {"worker_id": "W1", "individual_id": "I1", "locality": "Harrogate"}
FOREIGN = {"worker_id": "W2", "individual_id": "I2", "locality": "Ripon"}


@pytest.fixture(scope="module")
def public_api(tmp_path_factory: pytest.TempPathFactory) -> list[PublicRoute]:
    settings = GatewaySettings(data_dir=tmp_path_factory.mktemp("public-api"))
    return list(public_routes(merged_public_api(settings)))


def test_the_public_api_is_enumerated(public_api: list[PublicRoute]) -> None:
    # The services' own documents were read (not an empty merge): a known route of each is there.
    templates = {route.template for route in public_api}
    assert {
        "/v1/people/workers/{worker_id}",
        "/v1/rota/workers/{worker_id}/schedule",
        "/v1/audit/records",
    } <= (templates)


def test_every_public_route_has_an_access_rule(public_api: list[PublicRoute]) -> None:
    # Deny by default: a route no rule names is refused to everyone. That is safe but useless, so a
    # new route fails here until gateway/policy.py says who may call it.
    manager = actor_from_claims({"sub": "rm", "role": "registered_manager"})
    unruled = []
    for route in public_api:
        service, *segments = route.path(OWN, "X1").removeprefix("/v1/").split("/")
        if decide(manager, route.method, service, segments, {}).rule is None:
            unruled.append(route.id)
    assert not unruled, "add rules for these routes to gateway/policy.py ROUTE_RULES:\n" + "\n".join(unruled)


def _leaks(route: PublicRoute, role: str, variant: str, allowed: bool) -> str | None:
    """Why ``role`` reaching ``route`` (``allowed``) breaks a rule that holds for every route, if it does."""
    names = set(route.parameters)
    foreign = variant == "foreign"
    service = route.template.removeprefix("/v1/").split("/")[0]
    after_individual = route.template.partition("{individual_id}/")[2]
    if role == "registered_manager" and not allowed:
        return "the registered manager runs the service and must reach every route"
    if not allowed:
        return None
    if role == "platform_admin":
        return "a platform admin sees no personal data through the API"
    if role == "care_worker" and foreign and "worker_id" in names:
        return "a care worker reached another worker's records"
    if role in ("individual", "key_person") and ("individual_id" not in names or foreign):
        return "an individual or key person reached something that is not about their own individual"
    if role == "key_person" and not after_individual.startswith("schedule"):
        return "a key person reached a section their consent (schedule only) does not open"
    if role == "coordinator" and foreign and "locality" in names:
        return "a coordinator reached another locality"
    if role == "partner_system" and service == "webhooks":
        return None  # its own subscriptions and deliveries; the gateway filters them by client
    if role == "partner_system" and (route.method not in ("GET", "HEAD") or service != "rota"):
        return "a partner with schedules:read reached something outside schedules"
    if role == "supervisor" and "individual_id" in names:
        return "a supervisor reached an individual's records"
    return None


async def test_no_public_route_leaks_to_any_role(
    gateway: RunningGateway, public_api: list[PublicRoute]
) -> None:
    violations = []
    for route in public_api:
        for role, claims in CLAIMS.items():
            headers = gateway.as_(role, subject=f"{role}-1", **claims)
            for variant, values in (("own", OWN), ("foreign", FOREIGN)):
                path = route.path(values, "X1")
                response = await gateway.client.request(route.method, path, headers=headers)
                assert response.status_code != 401, response.text
                refused = response.status_code == 403 and response.json()["type"].endswith("/forbidden")
                why = _leaks(route, role, variant, allowed=not refused)
                if why:
                    violations.append(f"{role} {route.method} {path}: {response.status_code}: {why}")
    assert violations == []


async def test_a_partner_of_another_provider_reaches_no_route(
    gateway_for: GatewayFactory, public_api: list[PublicRoute]
) -> None:
    async with gateway_for(provider_id="acme-care") as gw:
        headers = gw.as_("partner_system", scope=" ".join(PARTNER_SCOPES), provider="other-care")
        reached = []
        for route in public_api:
            response = await gw.client.request(route.method, route.path(OWN, "X1"), headers=headers)
            if response.status_code != 403:
                reached.append(f"{route.id}: {response.status_code}")
    assert reached == []
