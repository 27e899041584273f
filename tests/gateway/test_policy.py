"""The access policy as pure functions: claims to actors, and decisions with their reasons."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.policy import Actor, InvalidClaims, actor_from_claims, decide
from rounds.auth.claims import Role


def actor(role: str, **claims: Any) -> Actor:
    return actor_from_claims({"sub": "u1", "role": role, **claims})


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        ({"role": "coordinator", "localities": ["H"]}, "subject"),
        ({"sub": "u", "role": "admin"}, "role"),
        ({"sub": "u", "role": "care_worker"}, "worker_id"),
        ({"sub": "u", "role": "coordinator"}, "localities"),
        ({"sub": "u", "role": "key_person"}, "individual_ids"),
        ({"sub": "u", "role": "partner_system", "scope": "workers:read"}, "provider"),
        ({"sub": "u", "role": "coordinator", "localities": "H,R"}, None),
        ({"sub": "u", "role": "coordinator", "localities": [1]}, "list of strings"),
        ({"sub": "u", "role": "key_person", "consents": ["I1"]}, "consents"),
        ({"sub": "u", "role": "partner_system", "provider": "p", "scope": ["a"]}, "scope"),
    ],
)
def test_claims_that_describe_no_actor_are_refused(claims: dict[str, Any], says: str | None) -> None:
    if says is None:  # a single string is taken as a one-item list
        assert actor_from_claims(claims).localities == frozenset({"H,R"})
        return
    with pytest.raises(InvalidClaims, match=says):
        actor_from_claims(claims)


def test_a_key_persons_individuals_come_from_their_consents() -> None:
    kp = actor("key_person", consents={"I1": ["schedule"], "I2": []})
    assert kp.individual_ids == frozenset({"I1", "I2"})
    assert kp.role is Role.KEY_PERSON


def test_the_actor_header_lists_relationships_sorted() -> None:
    co = actor("coordinator", localities=["Ripon", "Harrogate"])
    assert co.as_header_json() == {"sub": "u1", "role": "coordinator", "localities": ["Harrogate", "Ripon"]}


def test_consent_is_per_section_and_per_individual() -> None:
    kp = actor("key_person", consents={"I1": ["schedule"], "I2": ["visits"]})
    assert decide(kp, "GET", "rota", ["individuals", "I1", "schedule"], {}).allowed
    assert not decide(kp, "GET", "rota", ["individuals", "I2", "schedule"], {}).allowed
    assert decide(kp, "GET", "visits", ["individuals", "I2", "visits"], {}).allowed
    refused = decide(kp, "GET", "people", ["individuals", "I1"], {})
    assert not refused.allowed
    assert "'profile'" in refused.reason


def test_a_decision_names_the_resource_ids_from_the_path() -> None:
    worker = actor("care_worker", worker_id="W1")
    decision = decide(worker, "GET", "rota", ["workers", "W1", "schedule"], {})
    assert decision.allowed
    assert decision.resource == {"worker_id": "W1"}
    assert decision.rule == "/workers/{worker_id}/**"


def test_a_coordinator_listing_without_a_locality_is_told_to_name_one_of_theirs() -> None:
    decision = decide(actor("coordinator", localities=["Harrogate"]), "GET", "people", ["workers"], {})
    assert not decision.allowed
    assert "?locality=" in decision.reason
    assert "Harrogate" in decision.reason


def test_a_platform_admin_sees_no_personal_data() -> None:
    admin = actor("platform_admin")
    assert not decide(admin, "GET", "people", ["workers"], {}).allowed
    assert not decide(admin, "GET", "supervision", ["agreements"], {}).allowed


def test_head_is_a_read() -> None:
    worker = actor("care_worker", worker_id="W1")
    assert decide(worker, "HEAD", "rota", ["workers", "W1"], {}).allowed
    assert not decide(worker, "DELETE", "rota", ["workers", "W1"], {}).allowed
