"""The HTTP layer (``shared.http.api``): validation order and statuses, problem+json and OpenAI
error shapes, typed inputs, authentication, request ids, the binding signature, streamed bodies."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
import uuid

import pytest
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from shared.auth import Principal, Scope, current_principal
from shared.errors import NotFoundError
from shared.http import PROBLEM_JSON
from shared.http.api import Api, Reply
from shared.http.contract import contract_of
from shared.http.streams import StreamedResponse, streams_in_flight
from tests.utils.auth import auth_headers, owner_of
from tests.utils.http_functions import TestRequest, declare, send


class Thing(BaseModel):
    name: str = Field(min_length=1)
    count: int = Field(ge=0)


def request(body: bytes, content_type: str | None = "application/json", **headers: str):
    """A POST from an authenticated caller (every scope); ``headers`` add or replace headers."""
    all_headers = {**auth_headers("http-unit"), **headers}
    if content_type:
        all_headers["Content-Type"] = content_type
    return TestRequest("POST", "http://localhost/api/things?x=1", headers=all_headers, body=body)


def create_thing(body: Thing) -> Thing:
    if body.name == "missing":
        raise NotFoundError("no such thing")
    if body.name == "boom":
        raise RuntimeError("database password is hunter2")
    return body


thing_endpoint = declare(
    create_thing, public=False, status=201, body_limit=lambda: 100, idempotency=None
)


def problem(response) -> dict:
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
    response = thing_endpoint(request(body, content_type))
    assert response.status_code == status
    assert problem(response)["status"] == status


def test_a_body_over_the_limit_is_refused_while_it_streams_in():
    # given a body without Content-Length (chunked), larger than the limit
    response = thing_endpoint(request(b"x" * 5000))
    assert response.status_code == 413


def test_invalid_fields_are_all_listed():
    response = thing_endpoint(request(b'{"name": "", "count": -1}'))
    locations = {error["location"] for error in problem(response)["errors"]}
    assert locations == {"name", "count"}


def test_text_holding_nul_is_422_naming_where_and_an_escaped_backslash_is_not_one():
    # Found by the fuzz test: PostgreSQL refused the NUL, and the client got a 500.
    response = thing_endpoint(request(b'{"name": "a\\u0000", "count": 1}'))
    assert response.status_code == 422
    assert [e["location"] for e in problem(response)["errors"]] == ["name"]
    # "\\u0000" is a backslash followed by "u0000": text like any other
    assert thing_endpoint(request(b'{"name": "a\\\\u0000", "count": 1}')).status_code == 201


def test_valid_body_is_answered_with_the_declared_status_and_the_request_id_echoed():
    response = thing_endpoint(request(b'{"name": "a", "count": 2}', **{"X-Request-Id": "abc-123"}))
    assert response.status_code == 201
    assert json.loads(response.get_body()) == {"name": "a", "count": 2}
    assert response.headers["X-Request-Id"] == "abc-123"


def test_platform_errors_become_problems_with_instance_and_request_id():
    response = thing_endpoint(request(b'{"name": "missing", "count": 0}'))
    body = problem(response)
    assert response.status_code == 404
    assert body["detail"] == "no such thing"
    assert body["instance"] == "/api/things"
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_unexpected_errors_are_500_problems_without_internals(caplog):
    response = thing_endpoint(request(b'{"name": "boom", "count": 0}'))
    assert response.status_code == 500
    assert "hunter2" not in response.get_body().decode()
    assert "unhandled error" in caplog.text


def test_routes_under_v1_answer_errors_in_openai_shape():
    # given the same handler on an OpenAI-style route
    openai_like = declare(create_thing, route="v1/things", public=False, idempotency=None)
    # when a field is invalid / then OpenAI's error object, with the field named as param
    response = openai_like(request(b'{"name": "", "count": 1}'))
    assert response.status_code == 422
    error = json.loads(response.get_body())["error"]
    assert error["type"] == "invalid_request_error"
    assert "name" in error["message"]
    assert error["param"] == "name"
    assert response.headers["X-Request-Id"]
    # and without credentials: 401 in the same shape
    anonymous = openai_like(request(b"{}", authorization=""))
    assert anonymous.status_code == 401
    assert json.loads(anonymous.get_body())["error"]["type"] == "authentication_error"


def test_async_handlers_are_served_too():
    async def async_thing() -> None:
        raise NotFoundError("gone")

    assert declare(async_thing, public=False)(request(b"{}")).status_code == 404


def test_the_azure_function_has_the_binding_signature_of_http_streams():
    api = Api(described=False)
    api.post("things", "Create")(create_thing)
    function = api.functions["create_thing"]
    signature = inspect.signature(function)
    assert list(signature.parameters) == ["req"]
    assert signature.parameters["req"].annotation is Request
    assert issubclass(signature.return_annotation, Response)
    assert inspect.iscoroutinefunction(function)
    contract = contract_of(function)
    assert contract is not None
    assert contract.request is Thing
    assert contract.response is Thing
    assert contract.idempotent  # POST: on by default


def test_route_values_arrive_typed_and_a_value_that_is_no_id_is_404():
    def get_thing(thing_id: uuid.UUID, caller: Principal) -> Reply:
        return Reply(Thing(name=str(thing_id), count=0))

    endpoint = declare(get_thing, route="things/{thing_id}", methods=("GET",), public=False)
    known = uuid.uuid4()
    ok = endpoint(
        TestRequest("GET", headers=auth_headers("http-unit"), route_params={"thing_id": str(known)})
    )
    assert json.loads(ok.get_body())["name"] == str(known)
    bad = endpoint(
        TestRequest("GET", headers=auth_headers("http-unit"), route_params={"thing_id": "nope"})
    )
    assert bad.status_code == 404


def test_log_records_inside_a_handler_carry_the_request_id(caplog):
    def logs() -> None:
        logging.getLogger("feature").info("working")

    with caplog.at_level(logging.INFO):
        declare(logs, public=False)(request(b"{}", **{"X-Request-Id": "req-77"}))
    [record] = [r for r in caplog.records if r.name == "feature"]
    assert record.request_id == "req-77"
    assert record.function == "logs"


def test_without_credentials_the_handler_is_not_called_and_the_answer_is_401():
    response = thing_endpoint(request(b'{"name": "boom", "count": 0}', authorization=""))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert problem(response)["status"] == 401


def test_a_credential_without_the_functions_scope_is_403():
    def predicts() -> None:
        return None

    endpoint = declare(predicts, public=False, scope=Scope.PREDICT, idempotency=None)
    ml_only = auth_headers("http-unit", scopes=["ml"])["authorization"]
    assert endpoint(request(b"{}", authorization=ml_only)).status_code == 403
    assert endpoint(request(b"{}")).status_code == 200


def test_the_caller_is_current_inside_the_handler_only_and_public_functions_need_none():
    seen: list[str | None] = []

    def who() -> None:
        principal = current_principal()
        seen.append(principal.owner if principal else None)

    public = declare(who, public=True, methods=("GET",))
    private = declare(who, public=False, methods=("GET",))
    assert public(TestRequest("GET")).status_code == 200
    assert private(request(b"{}")).status_code == 200
    assert seen == [None, owner_of("http-unit")]
    assert current_principal() is None


def test_sync_handlers_run_off_the_event_loop():
    loop_threads: list[bool] = []

    def blocking() -> None:
        loop_threads.append(threading.current_thread() is threading.main_thread())

    declare(blocking)(TestRequest("POST"))
    assert loop_threads == [False]


def test_a_stream_leaves_chunk_by_chunk_and_is_closed_when_the_client_goes_away():
    # given a handler streaming from a blocking generator
    closed = threading.Event()

    def numbers():
        try:
            for n in range(1000):
                yield f"{n}\n".encode()
        finally:
            closed.set()

    def stream() -> StreamedResponse:
        return StreamedResponse(numbers(), media_type="text/plain")

    endpoint = declare(stream, methods=("GET",))

    async def scenario() -> None:
        # when the client reads three chunks and then disconnects
        received: list[bytes] = []
        disconnected = asyncio.Event()
        response = await endpoint.function(_request(TestRequest("GET"), disconnected))

        async def receive():
            await disconnected.wait()
            return {"type": "http.disconnect"}

        async def collect(message):
            if message["type"] == "http.response.body" and message.get("body"):
                received.append(message["body"])
                if len(received) == 3:
                    disconnected.set()
                    await asyncio.sleep(0.05)

        await response({"type": "http", "asgi": {"spec_version": "2.3"}}, receive, collect)
        assert 3 <= len(received) < 1000
        assert streams_in_flight() == 0

    asyncio.run(scenario())
    # then the generator was closed: nothing keeps running for a client that left
    assert closed.wait(2)


def _request(req, disconnected):
    scope = {
        "type": "http",
        "method": req.method,
        "path": "/api/things",
        "raw_path": b"/api/things",
        "query_string": b"",
        "headers": [],
        "path_params": {},
    }

    sent_body = False

    async def receive():
        nonlocal sent_body
        if not sent_body:  # the (empty) request body first, as a server sends it
            sent_body = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    return Request(scope, receive)


def test_send_helper_reports_chunks():
    def two() -> StreamedResponse:
        return StreamedResponse(iter([b"a", b"b"]))

    sent = asyncio.run(send(declare(two, methods=("GET",)).function, TestRequest("GET")))
    assert sent.chunks == [b"a", b"b"]


def test_a_range_with_an_absurdly_long_number_is_the_whole_file_not_a_crash():
    from shared.http.downloads import requested_range

    assert requested_range("bytes=" + "9" * 5000 + "-", 100) is None
    assert requested_range("bytes=0-" + "9" * 5000, 100) is None


def test_a_stream_runs_in_the_context_of_the_request_that_made_it():
    import contextvars

    from shared.http.streams import iterate_in_thread

    who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")

    def names():
        yield who.get()

    async def scenario() -> list[str]:
        token = who.set("the caller")
        stream = iterate_in_thread(names())  # made while the request's context is current
        who.reset(token)  # the handler returned before the body is read
        return [name async for name in stream]

    assert asyncio.run(scenario()) == ["the caller"]
