"""Domain refusals as problem details: a broken rule is 422, a stranger 403, a signed record 409."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rounds.infra.problems import Conflict, NotFound, Problem
from services.supervision.domain.errors import AlreadySigned, NotAllowed, RuleBroken


class PolicyViolation(Problem):
    """The request breaks a rule of the supervision policy; ``errors`` names the field and the rule."""

    status, slug, title = 422, "validation-error", "Request is not valid"


class Forbidden(Problem):
    """The caller is not a party who may do this."""

    status, slug, title = 403, "forbidden", "Forbidden"


class Unauthenticated(Problem):
    """The route needs to know which member of staff is calling (``X-Rounds-Actor``)."""

    status, slug, title = 401, "unauthenticated", "Unauthenticated"


@contextmanager
def domain_rules() -> Iterator[None]:
    """Turn the domain's refusals into problem details (nothing has been committed when they leave)."""
    try:
        yield
    except RuleBroken as broken:
        raise PolicyViolation(
            f"Fix this field and send the request again: body.{broken.field}.",
            errors=[{"field": f"body.{broken.field}", "reason": broken.reason}],
        ) from broken
    except NotAllowed as refused:
        raise Forbidden(str(refused)) from refused
    except AlreadySigned as signed:
        raise Conflict(str(signed)) from signed


__all__ = ["Conflict", "Forbidden", "NotFound", "PolicyViolation", "Unauthenticated", "domain_rules"]
