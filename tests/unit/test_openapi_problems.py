"""Every route's OpenAPI documents its errors as problem+json."""

from __future__ import annotations

from rounds.infra.openapi_problems import with_problem_responses

DOCUMENT = {
    "openapi": "3.1.0",
    "paths": {
        "/workers": {
            "post": {
                "responses": {
                    "201": {"description": "Created"},
                    "422": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/HTTPValidationError"}
                            }
                        }
                    },
                }
            },
            "parameters": [],
        }
    },
    "components": {"schemas": {"HTTPValidationError": {}, "ValidationError": {}, "Worker": {}}},
}


def test_each_operation_declares_problem_json_for_client_and_server_errors() -> None:
    out = with_problem_responses(DOCUMENT)
    responses = out["paths"]["/workers"]["post"]["responses"]
    assert set(responses) == {"201", "422", "4XX", "5XX"}
    for status in ("422", "4XX", "5XX"):
        schema = responses[status]["content"]["application/problem+json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ProblemDetails"}
    assert set(out["components"]["schemas"]) == {"Worker", "ProblemDetails", "FieldError"}
    assert "HTTPValidationError" in DOCUMENT["components"]["schemas"], "the input is not modified"
