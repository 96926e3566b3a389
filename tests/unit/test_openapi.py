"""The OpenAPI document is derived from the function index and the declared models."""

from __future__ import annotations

import re
import uuid
from typing import Any

from pydantic import create_model

from shared.http.contract import EndpointContract
from shared.openapi import build_openapi, openapi_path


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


def _contract(name: str, route: str, **options: Any) -> EndpointContract:
    return EndpointContract(name=name, route=route, methods=("POST",), summary=name, **options)


def test_two_models_with_one_class_name_each_keep_their_own_schema():
    # Found by the fuzz test: /api/ml/models was documented with the OpenAI model list's schema,
    # a class of the same name that replaced it in components.
    first = create_model("Listing", models=(list[str], ...))
    second = create_model("Listing", data=(list[int], ...))
    second.__module__ = "elsewhere"
    document = build_openapi(
        [_contract("a", "a", response=first), _contract("b", "b", response=second)],
        title="t",
        version="1",
    )
    refs = [
        document["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
        for path in ("/api/a", "/api/b")
    ]
    schemas = document["components"]["schemas"]
    first_schema, second_schema = (schemas[r["schema"]["$ref"].rsplit("/", 1)[1]] for r in refs)
    assert first_schema["required"] == ["models"]
    assert second_schema["required"] == ["data"]


def test_a_route_value_the_handler_converts_is_typed_and_its_404_documented():
    # Found by the fuzz test: a {id:guid} constraint made the host answer a malformed id with a
    # bodiless 404; the handler's uuid.UUID converts it now, and the document says both.
    document = build_openapi(
        [_contract("c", "things/{thing_id}", route_types=(("thing_id", uuid.UUID),))],
        title="t",
        version="1",
    )
    operation = document["paths"]["/api/things/{thing_id}"]["post"]
    assert operation["parameters"][0]["schema"] == {"type": "string", "format": "uuid"}
    assert "404" in operation["responses"]


def test_statuses_every_request_can_get_are_documented():
    # Found by the fuzz test's review: authentication may answer 503 (key store or JWKS down)
    # and any body over the limit is 413, on every operation that reads its body whole.
    document = build_openapi(
        [
            _contract("read", "read", idempotency=None),
            _contract("health", "health", idempotency=None, public=True),
            _contract("upload", "upload", idempotency=None, streamed_body=True),
        ],
        title="t",
        version="1",
    )
    paths = document["paths"]
    assert {"401", "413", "503"} <= set(paths["/api/read"]["post"]["responses"])
    assert set(paths["/api/health"]["post"]["responses"]) == {"200", "413"}
    assert "413" not in paths["/api/upload"]["post"]["responses"]  # it declares its own limit


def test_no_route_leaves_checking_a_value_to_the_host():
    # A constrained route parameter ({id:guid}) makes the host answer a bad value with a bodiless
    # 404 that no document describes; the handler's annotation (uuid.UUID) checks it instead.
    import function_app  # noqa: F401 - declares every endpoint
    from shared.http.contract import registered_contracts

    constrained = [c.route for c in registered_contracts() if re.search(r"\{[^}]*:", c.route)]
    assert constrained == []


def test_a_streamed_answer_is_documented_next_to_the_json_one():
    # Found by the fuzz test: "stream": true answered text/event-stream, which was not listed.
    from tests.utils.api_description import app_document as openapi_document

    paths = openapi_document()["paths"]
    for path in ("/api/chat", "/api/v1/chat/send", "/api/v1/chat/completions"):
        content = paths[path]["post"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/event-stream"}, path
    transcript = paths["/api/v1/audio/transcriptions"]["post"]["responses"]["200"]["content"]
    assert {"text/plain", "text/vtt", "application/x-subrip", "text/event-stream"} < set(transcript)
