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
    from tests.utils.api_description import app_document as openapi_document

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


def test_operations_declare_the_caller_credential_and_its_scope():
    from tests.utils.api_description import app_document as openapi_document

    document = openapi_document()
    paths = document["paths"]
    speech = paths["/api/v1/audio/speech"]["post"]
    # one credential: the caller's; no host function key on top
    assert speech["security"] == [{"bearer": ["voice"]}, {"apiKey": ["voice"]}]
    assert {"401", "403"} <= set(speech["responses"])
    # and under /v1 the errors are documented in OpenAI's shape
    unauthorized = speech["responses"]["401"]["content"]
    assert unauthorized == {
        "application/json": {"schema": {"$ref": "#/components/schemas/OpenAIError"}}
    }
    job = paths["/api/jobs/{job_id}"]["get"]
    assert {"bearer": []} in job["security"]
    assert "403" not in job["responses"]  # any valid credential will do
    assert set(document["components"]["securitySchemes"]) >= {"bearer", "apiKey"}
    # a function that may answer with a job declares that answer too
    analyze = paths["/api/analyze"]["post"]["responses"]
    assert analyze["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JobView"
    }


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    from tests.utils.api_description import app_document as openapi_document

    validate(openapi_document())
