"""Who may call which route: the one place the gateway decides access (pure, no I/O).

A request is ``(actor, method, service, path segments, query)``; :func:`decide` finds the first route
rule whose method and path template match and applies the rule for the actor's role. Roles without a
rule on a route are refused, and a path that matches no rule is refused to every role (deny by
default): a service's new route needs a rule here before anyone can call it.

The rules follow the product's relationships:

- a care worker reads only their own worker record, schedule and visits (000 P18, P20); routes on one
  visit go to the visits service, which knows the allocation and the window in which restricted
  access notes may be shown, with the caller in ``X-Rounds-Actor``;
- an individual sees only themself; a key person only their own individual and only the sections
  consent allows (000 P44, P45);
- a coordinator only their own localities where the path or the query names one, and where only the
  service knows the resource's locality the service applies the rule from ``X-Rounds-Actor``;
  listing a whole collection needs ``?locality=`` naming one of theirs;
- supervision records are for the supervisee, supervisors and registered managers only (004 1.37-1.38);
- a partner system only routes in its scopes (``<area>:read`` / ``<area>:write``) and only for its
  provider;
- a platform admin runs the platform and sees no personal data through the API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rounds.auth.claims import ROLES, Role

READ_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_METHODS: frozenset[str] = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALL_METHODS = READ_METHODS | WRITE_METHODS

_PARAMETER = re.compile(r"\{([a-z_]+)\}")


class InvalidClaims(ValueError):
    """A verified token whose claims do not describe a Rounds actor."""


@dataclass(frozen=True)
class Actor:
    """The caller as the gateway knows it from a verified token."""

    subject: str
    role: Role
    worker_id: str | None = None
    localities: frozenset[str] = frozenset()
    individual_ids: frozenset[str] = frozenset()
    consents: Mapping[str, frozenset[str]] = field(default_factory=dict)
    scopes: frozenset[str] = frozenset()
    provider: str | None = None
    client_id: str | None = None

    def as_header_json(self) -> dict[str, Any]:
        """What services receive in ``X-Rounds-Actor`` (sorted lists, so the header is stable)."""
        out: dict[str, Any] = {"sub": self.subject, "role": self.role.value}
        if self.worker_id:
            out["worker_id"] = self.worker_id
        if self.localities:
            out["localities"] = sorted(self.localities)
        if self.individual_ids:
            out["individual_ids"] = sorted(self.individual_ids)
        if self.consents:
            out["consents"] = {ind: sorted(sections) for ind, sections in sorted(self.consents.items())}
        if self.scopes:
            out["scopes"] = sorted(self.scopes)
        if self.provider:
            out["provider"] = self.provider
        if self.client_id:
            out["client_id"] = self.client_id
        return out


def _strings(claims: Mapping[str, Any], name: str) -> frozenset[str]:
    value = claims.get(name, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise InvalidClaims(f"the {name!r} claim must be a list of strings")
    return frozenset(value)


def _optional_string(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidClaims(f"the {name!r} claim must be a non-empty string")
    return value


def actor_from_claims(claims: Mapping[str, Any]) -> Actor:
    """The actor a verified token describes; :class:`InvalidClaims` when it describes none.

    Relationships a role needs are required (a care worker without ``worker_id`` could otherwise
    match nothing and everything alike), so a badly mapped identity provider fails loudly.
    """
    subject = _optional_string(claims, "sub")
    if subject is None:
        raise InvalidClaims("the token has no subject ('sub')")
    role_name = claims.get("role")
    if role_name not in ROLES:
        raise InvalidClaims(f"the 'role' claim must be one of {', '.join(ROLES)}, not {role_name!r}")
    role = Role(role_name)
    consents_claim = claims.get("consents", {})
    if not isinstance(consents_claim, dict):
        raise InvalidClaims("the 'consents' claim must map individual ids to lists of sections")
    consents = {ind: _strings(consents_claim, ind) for ind in consents_claim}
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise InvalidClaims("the 'scope' claim must be a space-separated string")
    actor = Actor(
        subject=subject,
        role=role,
        worker_id=_optional_string(claims, "worker_id"),
        localities=_strings(claims, "localities"),
        individual_ids=_strings(claims, "individual_ids") | frozenset(consents),
        consents=consents,
        scopes=frozenset(scope.split()),
        provider=_optional_string(claims, "provider"),
        client_id=_optional_string(claims, "client_id"),
    )
    required = {
        Role.CARE_WORKER: ("worker_id", actor.worker_id),
        Role.COORDINATOR: ("localities", actor.localities),
        Role.INDIVIDUAL: ("individual_ids", actor.individual_ids),
        Role.KEY_PERSON: ("individual_ids or consents", actor.individual_ids),
        Role.PARTNER_SYSTEM: ("provider", actor.provider),
    }
    if role in required and not required[role][1]:
        raise InvalidClaims(f"a {role.value} token needs the {required[role][0]!r} claim")
    return actor


class Access(StrEnum):
    """How a role's access to a route is limited."""

    ANY = "any"  # the role may call the route; the service applies any finer rule from X-Rounds-Actor
    OWN_WORKER = "own worker"  # {worker_id} is the caller's own
    OWN_INDIVIDUAL = "own individual"  # {individual_id} is one of the caller's
    CONSENTED_INDIVIDUAL = "consented individual"  # ... and consent opens the section asked for
    OWN_LOCALITY = "own locality"  # the path or query must name a locality, and only the caller's
    OWN_LOCALITY_IF_NAMED = "own locality if named"  # a named locality must be the caller's
    SCOPE = "scope"  # a partner whose scopes include the route's area and mode


@dataclass(frozen=True)
class RouteRule:
    """Which roles may call ``methods`` on ``template`` in ``service``, and how each is limited.

    ``template`` segments are literals, ``{name}`` (one segment, bound to ``name``) or a final
    ``**`` (any further segments, none included; the first one is bound to ``section``). ``area`` is
    the partner scope area.
    """

    service: str
    methods: frozenset[str]
    template: str
    access: Mapping[Role, Access]
    area: str | None = None

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        """The path parameters when ``segments`` fit the template, else ``None``."""
        parts = [p for p in self.template.split("/") if p]
        tail = bool(parts) and parts[-1] == "**"
        fixed = parts[:-1] if tail else parts
        if len(segments) < len(fixed) or (not tail and len(segments) != len(fixed)):
            return None
        bound: dict[str, str] = {}
        for pattern, segment in zip(fixed, segments, strict=False):
            parameter = _PARAMETER.fullmatch(pattern)
            if parameter:
                bound[parameter.group(1)] = segment
            elif pattern != segment:
                return None
        if tail and len(segments) > len(fixed):
            bound["section"] = segments[len(fixed)]
        return bound


@dataclass(frozen=True)
class Decision:
    """The answer for one request: allowed or not, why, and the resource ids the path named."""

    allowed: bool
    reason: str
    resource: Mapping[str, str] = field(default_factory=dict)
    rule: str | None = None


R, W = READ_METHODS, WRITE_METHODS
C, RM, S = Role.COORDINATOR, Role.REGISTERED_MANAGER, Role.SUPERVISOR
CW, IND, KP, P = Role.CARE_WORKER, Role.INDIVIDUAL, Role.KEY_PERSON, Role.PARTNER_SYSTEM


def _rule(
    service: str, methods: frozenset[str], template: str, area: str | None = None, **access: Access
) -> RouteRule:
    return RouteRule(service, methods, template, {Role(k): v for k, v in access.items()}, area)


A = Access
# First match wins, so specific templates come before the general ones of the same service. A route
# no rule names is refused to everyone (deny by default); tests/gateway/test_authorisation_matrix.py
# lists every route of the merged OpenAPI that has no rule, so a new route cannot go unnoticed.
ROUTE_RULES: tuple[RouteRule, ...] = (
    # people: worker records
    _rule("people", R, "/workers", "workers", coordinator=A.OWN_LOCALITY, registered_manager=A.ANY,
          supervisor=A.ANY, partner_system=A.SCOPE),
    _rule("people", W, "/workers", "workers", coordinator=A.ANY, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("people", R, "/workers/{worker_id}/**", "workers", care_worker=A.OWN_WORKER,
          coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY, supervisor=A.ANY,
          partner_system=A.SCOPE),
    _rule("people", W, "/workers/{worker_id}/**", "workers", coordinator=A.ANY, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("people", W, "/compliance-reviews", coordinator=A.ANY, registered_manager=A.ANY),
    # people: the organisation (localities and teams) is set up by the registered manager; all staff read it
    _rule("people", R, "/organisation", care_worker=A.ANY, coordinator=A.ANY, registered_manager=A.ANY,
          supervisor=A.ANY),
    _rule("people", W, "/localities", registered_manager=A.ANY),
    _rule("people", W, "/on-call/gap-reviews", registered_manager=A.ANY),
    _rule("people", R, "/risk-assessments/**", coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY),
    _rule("people", R, "/plans/**", coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY),
    _rule("people", W, "/teams", registered_manager=A.ANY),
    _rule("people", R, "/teams/{team_id}/**", care_worker=A.ANY, coordinator=A.ANY, registered_manager=A.ANY,
          supervisor=A.ANY),
    _rule("people", W, "/teams/{team_id}/**", registered_manager=A.ANY),
    _rule("people", ALL_METHODS, "/localities/{locality}/**", coordinator=A.OWN_LOCALITY,
          registered_manager=A.ANY),
    # people: restricted access notes and key-safe codes (000 P14-P16): the service checks the visiting
    # worker's window; never partners, individuals' relatives or supervisors
    _rule("people", R, "/individuals/{individual_id}/access-notes", care_worker=A.ANY,
          coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY),
    _rule("people", W, "/individuals/{individual_id}/access-notes", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY),
    _rule("people", W, "/individuals/{individual_id}/visit-windows", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY),
    _rule("people", R, "/individuals/{individual_id}/access-audit", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY),
    # people: the FHIR R4 views for local authority and NHS systems, under the same relationships
    _rule("people", R, "/fhir/Patient/{individual_id}", "individuals", individual=A.OWN_INDIVIDUAL,
          coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY, partner_system=A.SCOPE),
    _rule("people", R, "/fhir/RelatedPerson/**", "individuals", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY, partner_system=A.SCOPE),
    _rule("people", R, "/fhir/CarePlan/**", "individuals", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY, partner_system=A.SCOPE),
    _rule("people", R, "/fhir/Practitioner/{worker_id}", "workers", care_worker=A.OWN_WORKER,
          coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY, supervisor=A.ANY,
          partner_system=A.SCOPE),
    _rule("people", R, "/fhir/PractitionerRole/{worker_id}", "workers", care_worker=A.OWN_WORKER,
          coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY, supervisor=A.ANY,
          partner_system=A.SCOPE),
    # people: individuals, their key people and care plans
    _rule("people", R, "/individuals", "individuals", coordinator=A.OWN_LOCALITY, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("people", W, "/individuals", "individuals", coordinator=A.ANY, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("people", R, "/individuals/{individual_id}/**", "individuals", individual=A.OWN_INDIVIDUAL,
          key_person=A.CONSENTED_INDIVIDUAL, coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("people", W, "/individuals/{individual_id}/**", "individuals", coordinator=A.ANY,
          registered_manager=A.ANY, partner_system=A.SCOPE),
    # rota: schedules per worker, per individual and per locality; packages, plans and allocation
    _rule("rota", R, "/workers", "schedules", coordinator=A.OWN_LOCALITY, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("rota", R, "/workers/{worker_id}/**", "schedules", care_worker=A.OWN_WORKER,
          coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY, partner_system=A.SCOPE),
    _rule("rota", W, "/workers/{worker_id}/**", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY),
    _rule("rota", R, "/individuals/{individual_id}/**", "schedules", individual=A.OWN_INDIVIDUAL,
          key_person=A.CONSENTED_INDIVIDUAL, coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("rota", R, "/localities/{locality}/**", "schedules", coordinator=A.OWN_LOCALITY,
          registered_manager=A.ANY, partner_system=A.SCOPE),
    _rule("rota", R, "/visits", "schedules", coordinator=A.OWN_LOCALITY, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("rota", W, "/visits/{visit_id}/**", coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY),
    _rule("rota", ALL_METHODS, "/packages/**", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY),
    _rule("rota", W, "/visit-generation", coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY),
    _rule("rota", ALL_METHODS, "/planning-runs/**", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY),
    # visits: a worker's own visits; one visit (the service checks allocation and note windows)
    _rule("visits", R, "/workers/{worker_id}/**", "visits", care_worker=A.OWN_WORKER,
          coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY, partner_system=A.SCOPE),
    _rule("visits", R, "/individuals/{individual_id}/**", "visits", individual=A.OWN_INDIVIDUAL,
          key_person=A.CONSENTED_INDIVIDUAL, coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("visits", W, "/individuals/{individual_id}/**", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY),
    # visits: the monitor's thresholds per visit type are the registered manager's to set
    _rule("visits", R, "/thresholds/**", coordinator=A.ANY, registered_manager=A.ANY),
    _rule("visits", W, "/thresholds/**", registered_manager=A.ANY),
    _rule("visits", R, "/live", coordinator=A.OWN_LOCALITY, registered_manager=A.ANY),
    _rule("visits", R, "/reports/**", coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY),
    _rule("visits", R, "/visits", "visits", coordinator=A.OWN_LOCALITY, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("visits", ALL_METHODS, "/visits/**", "visits", care_worker=A.ANY, coordinator=A.ANY,
          registered_manager=A.ANY, partner_system=A.SCOPE),
    # supervision: confidential to the supervisee, supervisors and registered managers (004 1.37-1.38);
    # on agreements, sessions and records named by their own id the service checks the supervisee
    _rule("supervision", R, "/workers", supervisor=A.ANY, registered_manager=A.ANY),
    _rule("supervision", R, "/compliance", supervisor=A.ANY, registered_manager=A.ANY),
    _rule("supervision", R, "/skills-gap", supervisor=A.ANY, registered_manager=A.ANY),
    _rule("supervision", R, "/supervisors/{supervisor_id}/**", supervisor=A.ANY, registered_manager=A.ANY),
    _rule("supervision", R, "/teams/{team}/**", supervisor=A.ANY, registered_manager=A.ANY),
    _rule("supervision", R, "/workers/{worker_id}/**", care_worker=A.OWN_WORKER, supervisor=A.ANY,
          registered_manager=A.ANY),
    _rule("supervision", W, "/workers/{worker_id}/shares", registered_manager=A.ANY),
    _rule("supervision", W, "/workers/{worker_id}/**", supervisor=A.ANY, registered_manager=A.ANY),
    _rule("supervision", W, "/agreements", supervisor=A.ANY, registered_manager=A.ANY),
    _rule("supervision", R, "/agreements/{agreement_id}", care_worker=A.ANY, supervisor=A.ANY,
          registered_manager=A.ANY),
    _rule("supervision", W, "/agreements/{agreement_id}/signatures", care_worker=A.ANY, supervisor=A.ANY,
          registered_manager=A.ANY),
    _rule("supervision", W, "/sessions/**", supervisor=A.ANY, registered_manager=A.ANY),
    _rule("supervision", R, "/records/{record_id}", care_worker=A.ANY, supervisor=A.ANY,
          registered_manager=A.ANY),
    _rule("supervision", W, "/records/{record_id}", supervisor=A.ANY, registered_manager=A.ANY),
    _rule("supervision", W, "/records/{record_id}/disagreement", care_worker=A.ANY,
          registered_manager=A.ANY),
    _rule("supervision", W, "/records/{record_id}/**", care_worker=A.ANY, supervisor=A.ANY,
          registered_manager=A.ANY),
    # alerts: a worker's own notifications; the rest is the operations team's, and the service limits a
    # coordinator to the alerts of their localities (only it knows an alert's locality)
    _rule("alerts", R, "/workers/{worker_id}/**", "alerts", care_worker=A.OWN_WORKER,
          coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY, partner_system=A.SCOPE),
    _rule("alerts", R, "/alerts/**", "alerts", coordinator=A.OWN_LOCALITY_IF_NAMED, registered_manager=A.ANY,
          partner_system=A.SCOPE),
    _rule("alerts", W, "/alerts/{alert_id}/**", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY),
    _rule("alerts", R, "/notifications", "alerts", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY, partner_system=A.SCOPE),
    _rule("alerts", ALL_METHODS, "/incidents/**", coordinator=A.OWN_LOCALITY_IF_NAMED,
          registered_manager=A.ANY),
    # delivery receipts come from the SMS provider, a partner system with alerts:write
    _rule("alerts", W, "/notifications/receipts", "alerts", registered_manager=A.ANY, partner_system=A.SCOPE),
    # the gateway's own areas: the audit trail is the registered manager's (issue 8)
    _rule("audit", R, "/records", registered_manager=A.ANY),
    # the live stream for the operations dashboard: the visits and alerts services filter it further
    _rule("live", R, "/events", coordinator=A.OWN_LOCALITY, registered_manager=A.ANY),
    # partner webhooks: a partner manages its own subscriptions and sees its own deliveries (the
    # gateway limits event types to its scopes); the registered manager sees and manages everyone's
    _rule("webhooks", ALL_METHODS, "/subscriptions", registered_manager=A.ANY, partner_system=A.ANY),
    _rule("webhooks", W, "/subscriptions/{subscription_id}", registered_manager=A.ANY,
          partner_system=A.ANY),
    _rule("webhooks", R, "/deliveries", registered_manager=A.ANY, partner_system=A.ANY),
    _rule("webhooks", W, "/deliveries/{delivery_id}/redeliver", registered_manager=A.ANY,
          partner_system=A.ANY),
)  # fmt: skip

# Path sections whose consent word differs (a key person consents to "plans", the path says "plan").
CONSENT_SECTION_OF: Mapping[str, str] = {"plan": "plans"}


def _allowed(
    access: Access,
    actor: Actor,
    bound: Mapping[str, str],
    localities: Sequence[str],
    rule: RouteRule | None,
    method: str,
) -> tuple[bool, str]:
    """Whether ``access`` lets ``actor`` through, and why (said to the caller when it does not)."""
    if access is Access.ANY:
        return True, "the role may use this route"
    if access is Access.OWN_WORKER:
        if bound.get("worker_id") == actor.worker_id:
            return True, "the caller's own worker record"
        return False, "a care worker may only see their own records, schedule and visits"
    if access in (Access.OWN_INDIVIDUAL, Access.CONSENTED_INDIVIDUAL):
        individual = bound.get("individual_id", "")
        if individual not in actor.individual_ids:
            return False, "this individual is not one the caller is related to"
        if access is Access.OWN_INDIVIDUAL:
            return True, "the caller's own individual"
        section = bound.get("section", "profile")
        section = CONSENT_SECTION_OF.get(section, section)
        if section in actor.consents.get(individual, frozenset()):
            return True, f"consent allows {section}"
        return False, f"the individual's consent does not cover {section!r} for this key person"
    if access in (Access.OWN_LOCALITY, Access.OWN_LOCALITY_IF_NAMED):
        named = [*([bound["locality"]] if "locality" in bound else []), *localities]
        if not named:
            if access is Access.OWN_LOCALITY:
                mine = ", ".join(sorted(actor.localities))
                return False, f"name one of your localities with ?locality= ({mine})"
            return True, "the service checks the resource's locality"
        foreign = sorted(set(named) - actor.localities)
        if foreign:
            return False, f"not one of the caller's localities: {', '.join(foreign)}"
        return True, "the caller's own locality"
    # Access.SCOPE
    area = rule.area if rule else None
    needed = f"{area}:{'read' if method in READ_METHODS else 'write'}"
    if area and needed in actor.scopes:
        return True, f"scope {needed}"
    return False, f"the partner's scopes do not include {needed if area else 'this route'}"


def a_role(role: Role) -> str:
    """The role in words with its article: "a care worker", "an individual"."""
    words = role.value.replace("_", " ")
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def decide(
    actor: Actor,
    method: str,
    service: str,
    segments: Sequence[str],
    query: Mapping[str, Sequence[str]],
    *,
    provider: str | None = None,
    rules: Sequence[RouteRule] = ROUTE_RULES,
) -> Decision:
    """Whether ``actor`` may call ``method`` on ``/v1/<service>/<segments>`` with ``query``.

    ``segments`` are the path's segments after the service, each percent-decoded once (as the
    service will see them). ``provider`` is the care provider this deployment serves, when set:
    a partner system working for another provider is refused everything. ``rules`` are
    :data:`ROUTE_RULES` everywhere but in tests of the gateway's plumbing.
    """
    method = "GET" if method == "HEAD" else method
    if any(segment in ("", ".", "..") for segment in segments):
        return Decision(False, "the path has empty or dot segments; send it in its plain form")
    if actor.role is Role.PARTNER_SYSTEM and provider and actor.provider != provider:
        return Decision(False, f"this gateway serves provider {provider!r}, not the partner's")
    localities = list(query.get("locality", ()))
    for rule in rules:
        if rule.service != service or method not in rule.methods:
            continue
        bound = rule.match(segments)
        if bound is None:
            continue
        resource = {k: v for k, v in bound.items() if k != "section"}
        access = rule.access.get(actor.role)
        if access is None:
            return Decision(False, f"{a_role(actor.role)} may not use this route", resource, rule.template)
        allowed, reason = _allowed(access, actor, bound, localities, rule, method)
        return Decision(allowed, reason, resource, rule.template)
    return Decision(False, "no access rule names this route, so it is refused to everyone (deny by default)")
