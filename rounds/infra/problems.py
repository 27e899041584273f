"""RFC 9457 problem details for every error a Rounds API returns.

Every error leaves as ``application/problem+json``. Validation errors list each failing field and
the reason, so a partner app's developer can fix the request without reading our code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rounds.infra.db import is_database_outage

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://rounds.dev/problems/"
FORWARDED_PREFIX_HEADER = "x-forwarded-prefix"
# Only the gateway's own mount points are believed, so a caller cannot put text of its choosing here.
_FORWARDED_PREFIX = re.compile(r"/v1/[a-z]{1,40}")

log = logging.getLogger(__name__)


class Problem(Exception):
    """An error that should reach the caller as problem+json with the given status."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[dict[str, Any]] = (),
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}
        self.extensions = extensions


class NotFound(Problem):
    """The addressed resource does not exist (or the caller may not know that it does)."""

    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    """The request clashes with the current state, e.g. a duplicate natural key."""

    status, slug, title = 409, "conflict", "Conflict"


class Unavailable(Problem):
    """A dependency (database, broker, downstream service) cannot be reached right now."""

    status, slug, title = 503, "unavailable", "Service unavailable"


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """Build one problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    body.update(extensions)
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _instance(request: Request) -> str:
    """The path the caller used: behind the gateway, with its ``/v1/<service>`` prefix."""
    prefix = request.headers.get(FORWARDED_PREFIX_HEADER, "")
    return (prefix if _FORWARDED_PREFIX.fullmatch(prefix) else "") + request.url.path


def field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """Turn pydantic's errors into ``{"field": "body.name", "reason": "..."}`` pairs."""
    out = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()))
        out.append({"field": location or "body", "reason": str(error.get("msg", "is invalid"))})
    return out


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc)
    fields = ", ".join(e["field"] for e in errors)
    return problem_response(
        422,
        "validation-error",
        "Request is not valid",
        f"Fix these fields and send the request again: {fields}.",
        instance=_instance(request),
        errors=errors,
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    slug = title.lower().replace(" ", "-")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no resource at {request.url.path}. See /docs for the routes."
    return problem_response(
        exc.status_code,
        slug,
        title,
        detail,
        instance=_instance(request),
        headers=getattr(exc, "headers", None),
    )


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.status,
        exc.slug,
        exc.title,
        exc.detail,
        instance=_instance(request),
        errors=exc.errors,
        headers=exc.headers or None,
        **exc.extensions,
    )


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    orig = getattr(exc, "orig", None)
    sqlstate = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    # SQLSTATE class 22 is "data exception" (e.g. 22021, a NUL character Postgres cannot store).
    if isinstance(exc, DataError) or sqlstate.startswith("22"):
        # A value the database refuses to store (a NUL character, a number out of its range): the
        # request is at fault, and the transaction was rolled back.
        return problem_response(
            422,
            "unstorable-value",
            "Request is not valid",
            "A value in the request cannot be stored (for example a NUL character or a number out of "
            "range). Remove it and send the request again; nothing was changed.",
            instance=_instance(request),
        )
    if not is_database_outage(exc):
        return await _on_unexpected(request, exc)
    log.error("database unavailable: %s", exc)
    return problem_response(
        503,
        "unavailable",
        "Service unavailable",
        "The service's database cannot be reached. Try again shortly; nothing was changed.",
        instance=_instance(request),
        headers={"Retry-After": "5"},
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        500,
        "internal",
        "Internal error",
        "Something went wrong on our side and it has been logged. Nothing was changed; try again.",
        instance=_instance(request),
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error that ``app`` returns a problem+json response."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(ConnectionError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)
