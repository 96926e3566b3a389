"""The OpenAPI document is derived from the function index and the declared models."""

from __future__ import annotations

from shared.openapi import openapi_path


def test_route_templates_become_openapi_paths_with_typed_parameters():
    path, parameters = openapi_path("jobs/{id:int}/files/{name?}", "api")
    assert path == "/api/jobs/{id}/files/{name}"
    assert parameters[0]["schema"] == {"type": "integer", "format": "int32"}
    assert parameters[1]["schema"] == {"type": "string"}
    assert "omitted" in parameters[1]["description"]


def test_empty_route_prefix_and_catch_all():
    path, parameters = openapi_path("static/{*rest}", "")
    assert path == "/static/{rest}"
    assert parameters[0]["name"] == "rest"


def test_the_document_lists_every_http_function_with_its_security():
    from functions.discovery import openapi_document

    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    assert paths["/api/health"]["get"]["security"] == []
    health_schema = paths["/api/health"]["get"]["responses"]["200"]["content"]["application/json"]
    assert health_schema["schema"] == {"$ref": "#/components/schemas/HealthResponse"}
    assert "HealthResponse" in document["components"]["schemas"]
    assert "503" in paths["/api/services/status"]["get"]["responses"]
    for item in paths.values():
        for operation in item.values():
            assert operation["operationId"]


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    from functions.discovery import openapi_document

    validate(openapi_document())
