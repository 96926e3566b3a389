"""HTTP helpers: validation order and statuses, problem+json shape, the ``@endpoint`` wrapper."""

from __future__ import annotations

import asyncio
import json

import azure.functions as func
import pytest
from pydantic import BaseModel, Field

from shared.auth import Scope, current_principal
from shared.errors import NotFoundError
from shared.http import PROBLEM_JSON, endpoint, json_response, parse_body
from tests.utils.auth import auth_headers, owner_of


class Thing(BaseModel):
    name: str = Field(min_length=1)
    count: int = Field(ge=0)


def request(body: bytes, content_type: str | None = "application/json", **headers: str):
    """A POST from an authenticated caller (every scope); ``headers`` add or replace headers."""
    all_headers = {**auth_headers("http-unit"), **headers}
    if content_type:
        all_headers["Content-Type"] = content_type
    return func.HttpRequest(
        method="POST", url="http://localhost/api/things?x=1", headers=all_headers, body=body
    )


@endpoint("Create a thing", request=Thing, response=Thing, status=201)
def create_thing(req: func.HttpRequest) -> func.HttpResponse:
    thing = parse_body(req, Thing, max_bytes=100)
    if thing.name == "missing":
        raise NotFoundError("no such thing")
    if thing.name == "boom":
        raise RuntimeError("database password is hunter2")
    return json_response(thing, status=201)


def problem(response: func.HttpResponse) -> dict:
    assert response.mimetype == PROBLEM_JSON
    return json.loads(response.get_body())


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"name": "a", "count": 1}', "text/plain", 415),
        (b'{"name": "a", "count": 1}', None, 415),
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (b'{"name": "", "count": -1}', "application/json", 422),
        (b'{"name": "' + b"x" * 200 + b'", "count": 1}', "application/json", 413),
    ],
)
def test_bad_bodies_get_the_status_a_client_can_act_on(body, content_type, status):
    response = create_thing(request(body, content_type))
    assert response.status_code == status
    assert problem(response)["status"] == status


def test_invalid_fields_are_all_listed():
    response = create_thing(request(b'{"name": "", "count": -1}'))
    locations = {error["location"] for error in problem(response)["errors"]}
    assert locations == {"name", "count"}


def test_valid_body_is_answered_with_the_request_id_echoed():
    response = create_thing(request(b'{"name": "a", "count": 2}', **{"X-Request-Id": "abc-123"}))
    assert response.status_code == 201
    assert json.loads(response.get_body()) == {"name": "a", "count": 2}
    assert response.headers["X-Request-Id"] == "abc-123"


def test_platform_errors_become_problems_with_instance_and_request_id():
    response = create_thing(request(b'{"name": "missing", "count": 0}'))
    body = problem(response)
    assert response.status_code == 404
    assert body["detail"] == "no such thing"
    assert body["instance"] == "/api/things"
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_unexpected_errors_are_500_problems_without_internals(caplog):
    response = create_thing(request(b'{"name": "boom", "count": 0}'))
    assert response.status_code == 500
    assert "hunter2" not in response.get_body().decode()
    assert "unhandled error" in caplog.text


def test_async_handlers_are_wrapped_too():
    @endpoint("Async thing")
    async def async_thing(req: func.HttpRequest) -> func.HttpResponse:
        raise NotFoundError("gone")

    response = asyncio.run(async_thing(request(b"{}")))
    assert response.status_code == 404


def test_the_wrapper_keeps_the_signature_the_worker_binds_by():
    import inspect

    assert list(inspect.signature(create_thing).parameters) == ["req"]


def test_log_records_inside_a_handler_carry_the_request_id(caplog):
    import logging

    @endpoint("Logs something")
    def logs(req: func.HttpRequest) -> func.HttpResponse:
        logging.getLogger("feature").info("working")
        return json_response({})

    with caplog.at_level(logging.INFO):
        logs(request(b"{}", **{"X-Request-Id": "req-77"}))
    [record] = [r for r in caplog.records if r.name == "feature"]
    assert record.request_id == "req-77"
    assert record.function == "logs"


def test_without_credentials_the_handler_is_not_called_and_the_answer_is_401():
    response = create_thing(request(b'{"name": "boom", "count": 0}', authorization=""))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert problem(response)["status"] == 401


def test_a_credential_without_the_functions_scope_is_403():
    @endpoint("Predicts", scope=Scope.PREDICT)
    def predicts(req: func.HttpRequest) -> func.HttpResponse:
        return json_response({})

    ml_only = auth_headers("http-unit", scopes=["ml"])["authorization"]
    assert predicts(request(b"{}", authorization=ml_only)).status_code == 403
    assert predicts(request(b"{}")).status_code == 200


def test_the_caller_is_current_inside_the_handler_only_and_public_functions_need_none():
    seen: list[str | None] = []

    @endpoint("Who", public=True)
    def public(req: func.HttpRequest) -> func.HttpResponse:
        principal = current_principal()
        seen.append(principal.owner if principal else None)
        return json_response({})

    @endpoint("Who")
    def private(req: func.HttpRequest) -> func.HttpResponse:
        principal = current_principal()
        seen.append(principal.owner if principal else None)
        return json_response({})

    bare = func.HttpRequest(method="GET", url="http://localhost/api/who", headers={}, body=b"")
    assert public(bare).status_code == 200
    assert private(request(b"{}")).status_code == 200
    assert seen == [None, owner_of("http-unit")]
    assert current_principal() is None
