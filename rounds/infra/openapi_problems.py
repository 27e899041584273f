"""Documents the problem+json errors in a service's OpenAPI, so partners (and schemathesis) see them."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from rounds.infra.problems import PROBLEM_JSON

_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
_PROBLEM_SCHEMAS: dict[str, Any] = {
    "FieldError": {
        "type": "object",
        "required": ["field", "reason"],
        "properties": {
            "field": {"type": "string", "description": "Where the problem is, e.g. body.given_name."},
            "reason": {"type": "string", "description": "What is wrong with it."},
        },
    },
    "ProblemDetails": {
        "type": "object",
        "description": "RFC 9457 problem details; extra members may carry more context.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string", "description": "What happened and what to do next."},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
        },
        "additionalProperties": True,
    },
}
_RESPONSES = {
    "422": "The request is not valid: see errors for each field and the reason.",
    "4XX": "The request cannot be served as sent (not found, conflict, precondition failed ...).",
    "5XX": "The service or one of its dependencies is unavailable; nothing was changed.",
}
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def with_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` in which every operation declares its errors as problem+json."""
    out = copy.deepcopy(document)
    schemas = out.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(copy.deepcopy(_PROBLEM_SCHEMAS))
    for path_item in out.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in _RESPONSES.items():
                responses[status] = {
                    "description": description,
                    "content": {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}},
                }
    # FastAPI's own validation-error models are never sent: the 422 above replaced them.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return out


def document_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` describe the problem+json errors of every route."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_problem_responses(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
