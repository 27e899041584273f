"""Problems particular to the people service (the common ones live in rounds.infra.problems)."""

from __future__ import annotations

from rounds.infra.problems import NotFound, Problem


class Invalid(Problem):
    """The request is well formed but breaks a rule of the domain; ``errors`` name the fields."""

    status, slug, title = 422, "validation-error", "Request is not valid"

    @classmethod
    def on(cls, field_name: str, reason: str) -> Invalid:
        """One field at fault, with the reason."""
        return cls(
            f"Fix this field and send the request again: {field_name}.",
            errors=[{"field": field_name, "reason": reason}],
        )


def unknown_reference(field_name: str, what: str, ref: object) -> Problem:
    """404 for an id named in the body that does not exist, naming the field (unknown ids are 404)."""
    return NotFound(
        f"The {what} named in {field_name} does not exist.",
        errors=[{"field": field_name, "reason": f"no {what} has id {ref}"}],
    )


class Forbidden(Problem):
    """The caller is known but may not do this (e.g. read a key-safe code outside their visit)."""

    status, slug, title = 403, "forbidden", "Forbidden"


class PreconditionFailed(Problem):
    """``If-Match`` named a version that is no longer the current one: read again, then retry."""

    status, slug, title = 412, "precondition-failed", "Precondition failed"


def stale(resource: str, current: int) -> PreconditionFailed:
    """The 412 for a stale ``If-Match``, carrying the current ETag so the caller can re-read."""
    return PreconditionFailed(
        f"The {resource} has changed since you read it (it is now at version {current}). "
        "Read it again and re-apply your change.",
        headers={"ETag": etag(current)},
    )


def etag(version: int) -> str:
    """The strong ETag of a record at ``version``."""
    return f'"{version}"'


class Unauthenticated(Problem):
    """The route needs to know who is calling (the gateway sends ``X-Rounds-Actor``)."""

    status, slug, title = 401, "unauthenticated", "Unauthenticated"


class StoredDataUnreadable(Problem):
    """Encrypted data failed its integrity check (wrong key, altered, or copied from another record).

    Nothing of it is returned: a refusal, never garbage. The operator checks ``ROUNDS_PEOPLE_FIELD_KEYS``.
    """

    status, slug, title = 500, "stored-data-unreadable", "Stored data cannot be read"
