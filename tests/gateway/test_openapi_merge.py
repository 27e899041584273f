"""Merging the services' OpenAPI documents into the gateway's public one."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from gateway.openapi import OpenApiCatalog, merge_openapi
from gateway.settings import GatewaySettings
from tests.gateway.standins import RunningGateway


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


VALIDATION_ERROR = {"type": "object", "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}}}
HTTP_VALIDATION_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "array", "items": ref("ValidationError")}},
}
PROBES = {
    "/healthz": {"get": {"operationId": "healthz", "responses": {"200": {"description": "ok"}}}},
    "/readyz": {"get": {"operationId": "readyz", "responses": {"200": {"description": "ok"}}}},
}


def people_doc() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "people", "version": "1"},
        "paths": {
            **PROBES,
            "/workers/{worker_id}": {
                "parameters": [{"name": "worker_id", "in": "path", "required": True}],
                "get": {
                    "tags": ["workers"],
                    "operationId": "get_worker",
                    "responses": {
                        "200": json_body(ref("Worker")),
                        "422": json_body(ref("HTTPValidationError")),
                    },
                },
            },
            "/individuals": {
                "post": {
                    "operationId": "register_individual",
                    "requestBody": json_body(ref("IndividualIn")),
                    "responses": {"201": json_body(ref("Page"))},
                }
            },
        },
        "components": {
            "schemas": {
                "Worker": {"type": "object", "properties": {"name": {"type": "string"}}},
                "IndividualIn": {"type": "object"},
                "Page": {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": ref("Worker")}},
                },
                "HTTPValidationError": HTTP_VALIDATION_ERROR,
                "ValidationError": VALIDATION_ERROR,
            }
        },
    }


def rota_doc() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "rota", "version": "1"},
        "paths": {
            **PROBES,
            "/visits": {
                "get": {
                    "operationId": "list_visits",
                    "responses": {
                        "200": json_body(ref("Page")),
                        "422": json_body(ref("HTTPValidationError")),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                # Same name as people's, different shape: rota only keeps skills.
                "Worker": {"type": "object", "properties": {"skills": {"type": "array"}}},
                # Same text as people's Page, but its Worker is rota's: so it must be renamed too.
                "Page": {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": ref("Worker")}},
                },
                "Visit": {"type": "object", "properties": {"worker": ref("Worker")}},
                "HTTPValidationError": copy.deepcopy(HTTP_VALIDATION_ERROR),
                "ValidationError": copy.deepcopy(VALIDATION_ERROR),
            }
        },
    }


def gateway_doc() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "gateway", "version": "1"},
        "paths": {
            "/healthz": {"get": {"operationId": "healthz", "responses": {"200": json_body(ref("Liveness"))}}},
            "/readyz": {"get": {"operationId": "readyz", "responses": {"200": json_body(ref("Visit"))}}},
        },
        "components": {"schemas": {"Liveness": {"type": "object"}, "Visit": {"type": "string"}}},
    }


@pytest.fixture
def merged() -> dict[str, Any]:
    return merge_openapi(
        {"people": people_doc(), "rota": rota_doc()},
        gateway=gateway_doc(),
        summaries={"people": "Individuals and workers.", "rota": "Visits."},
        version="1.2.3",
    )


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = doc["components"]["schemas"]
    return result


def all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in all_refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in all_refs(item)]
    return []


def test_service_paths_are_prefixed_and_probes_left_out(merged: dict[str, Any]) -> None:
    assert set(merged["paths"]) == {
        "/healthz",
        "/readyz",
        "/v1/people/workers/{worker_id}",
        "/v1/people/individuals",
        "/v1/rota/visits",
    }


def test_operations_are_tagged_by_service_with_unique_ids(merged: dict[str, Any]) -> None:
    get_worker = merged["paths"]["/v1/people/workers/{worker_id}"]["get"]
    assert get_worker["tags"] == ["people"]
    assert get_worker["operationId"] == "people_get_worker"
    assert merged["paths"]["/healthz"]["get"]["tags"] == ["gateway"]
    assert merged["paths"]["/healthz"]["get"]["operationId"] == "healthz"
    # Path-level parameters are not operations and stay as they are.
    assert merged["paths"]["/v1/people/workers/{worker_id}"]["parameters"][0]["name"] == "worker_id"
    assert merged["tags"] == [
        {"name": "gateway", "description": "The gateway itself: liveness and readiness."},
        {"name": "people", "description": "Individuals and workers."},
        {"name": "rota", "description": "Visits."},
    ]


def test_differing_schemas_with_one_name_are_renamed_per_service(merged: dict[str, Any]) -> None:
    assert "Worker" not in schemas(merged)
    assert schemas(merged)["PeopleWorker"]["properties"] == {"name": {"type": "string"}}
    assert schemas(merged)["RotaWorker"]["properties"] == {"skills": {"type": "array"}}
    worker_response = merged["paths"]["/v1/people/workers/{worker_id}"]["get"]["responses"]["200"]
    assert worker_response == json_body(ref("PeopleWorker"))


def test_renaming_spreads_to_schemas_that_only_differ_by_what_they_refer_to(merged: dict[str, Any]) -> None:
    assert schemas(merged)["PeoplePage"]["properties"]["items"]["items"] == ref("PeopleWorker")
    assert schemas(merged)["RotaPage"]["properties"]["items"]["items"] == ref("RotaWorker")
    assert merged["paths"]["/v1/rota/visits"]["get"]["responses"]["200"] == json_body(ref("RotaPage"))


def test_identical_schemas_are_kept_once_under_their_own_name(merged: dict[str, Any]) -> None:
    assert schemas(merged)["HTTPValidationError"] == HTTP_VALIDATION_ERROR
    assert schemas(merged)["ValidationError"] == VALIDATION_ERROR
    assert not any(
        "HTTPValidationError" in name and name != "HTTPValidationError" for name in schemas(merged)
    )


def test_gateway_components_collide_like_any_other(merged: dict[str, Any]) -> None:
    assert schemas(merged)["GatewayVisit"] == {"type": "string"}
    assert schemas(merged)["RotaVisit"]["properties"]["worker"] == ref("RotaWorker")
    assert merged["paths"]["/readyz"]["get"]["responses"]["200"] == json_body(ref("GatewayVisit"))
    assert schemas(merged)["Liveness"] == {"type": "object"}


def test_every_reference_resolves(merged: dict[str, Any]) -> None:
    refs = all_refs(merged)
    assert refs
    for reference in refs:
        assert reference.removeprefix("#/components/schemas/") in schemas(merged), reference


def test_inputs_are_not_changed() -> None:
    people, rota, gateway = people_doc(), rota_doc(), gateway_doc()
    merge_openapi({"people": people, "rota": rota}, gateway=gateway)
    assert (people, rota, gateway) == (people_doc(), rota_doc(), gateway_doc())


def test_unavailable_services_are_named(merged: dict[str, Any]) -> None:
    assert merged["x-rounds-unavailable"] == []
    partial = merge_openapi(
        {"people": people_doc()}, gateway=gateway_doc(), unavailable={"rota": "cannot connect (ConnectError)"}
    )
    assert partial["x-rounds-unavailable"] == ["rota"]
    assert "rota (cannot connect (ConnectError))" in partial["info"]["description"]
    assert not any(path.startswith("/v1/rota") for path in partial["paths"])
    assert partial["openapi"] == "3.1.0"


def test_discriminator_mappings_and_security_schemes_follow_renames() -> None:
    def doc(scheme_url: str, pet_type: str) -> dict[str, Any]:
        return {
            "paths": {
                "/pets": {
                    "get": {
                        "operationId": "pets",
                        "responses": {
                            "200": json_body(
                                {
                                    "oneOf": [ref("Cat")],
                                    "discriminator": {
                                        "propertyName": "kind",
                                        "mapping": {"cat": "#/components/schemas/Cat"},
                                    },
                                }
                            )
                        },
                    }
                }
            },
            "security": [{"Bearer": []}],
            "components": {
                "schemas": {"Cat": {"type": pet_type}},
                "securitySchemes": {"Bearer": {"type": "openIdConnect", "openIdConnectUrl": scheme_url}},
            },
        }

    merged = merge_openapi(
        {"people": doc("https://a", "object"), "rota": doc("https://b", "string")}, gateway={}
    )
    operation = merged["paths"]["/v1/rota/pets"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["discriminator"]["mapping"] == {"cat": "#/components/schemas/RotaCat"}
    assert operation["security"] == [{"RotaBearer": []}]
    assert set(merged["components"]["securitySchemes"]) == {"PeopleBearer", "RotaBearer"}


def test_a_renamed_component_never_takes_an_existing_name() -> None:
    people = {
        "paths": {},
        "components": {"schemas": {"Worker": {"type": "object"}, "PeopleWorker": {"type": "null"}}},
    }
    rota = {"paths": {}, "components": {"schemas": {"Worker": {"type": "string"}}}}
    merged = merge_openapi({"people": people, "rota": rota}, gateway={})
    assert schemas(merged) == {
        "PeopleWorker": {"type": "null"},
        "PeopleWorker2": {"type": "object"},
        "RotaWorker": {"type": "string"},
    }


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_catalog_reuses_documents_for_the_cache_time_and_retries_failures() -> None:
    fetched: list[str] = []
    rota_up = False

    def answer(request: httpx.Request) -> httpx.Response:
        fetched.append(request.url.host)
        if request.url.host == "rota" and not rota_up:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"paths": {"/things": {"get": {"operationId": "things"}}}})

    settings = GatewaySettings(
        service_urls={
            name: f"http://{name}" for name in ("people", "rota", "visits", "supervision", "alerts")
        },
        openapi_cache_seconds=30,
    )
    clock = FakeClock()
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        catalog = OpenApiCatalog(
            client, settings, gateway_document=dict, summaries={}, version="1", clock=clock
        )
        first = await catalog.document()
        assert first["x-rounds-unavailable"] == ["rota"]
        assert "/v1/people/things" in first["paths"]
        assert len(fetched) == 5

        rota_up = True
        clock.now = 10
        second = await catalog.document()
        assert fetched[5:] == ["rota"]  # only the one that failed is asked again
        assert second["x-rounds-unavailable"] == []

        clock.now = 31
        await catalog.document()
        assert sorted(fetched[6:]) == ["alerts", "people", "supervision", "visits"]


async def test_every_v1_operation_asks_for_a_token_and_documents_the_refusals(
    gateway: RunningGateway,
) -> None:
    document = (await gateway.client.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    assert schemes["partnerClientCredentials"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
    v1 = [
        (path, operation)
        for path, item in document["paths"].items()
        if path.startswith("/v1/")
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert v1
    for path, operation in v1:
        assert operation["security"] == [{"bearer": []}, {"partnerClientCredentials": []}], path
        assert {"401", "403", "429"} <= set(operation["responses"]), path
    assert "security" not in document["paths"]["/healthz"]["get"]
