"""Idempotency declared on real endpoints (``Api``), called over ASGI, against the local Redis."""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from shared.errors import UnprocessableContentError
from shared.http.api import Api
from shared.http.call import HttpCall
from shared.http.contract import contract_of
from shared.http.problems import REQUEST_ID_HEADER
from shared.http.web import Response as WebResponse
from shared.idempotency import REPLAYED_HEADER, IdempotencyConfig
from tests.utils.auth import auth_headers
from tests.utils.http_functions import Endpoint, Sent, declare
from tests.utils.idempotency import BODY, http_request


class Made(BaseModel):
    id: int


def _counting_handler(persistence, **options) -> tuple[Endpoint, list[bytes]]:
    calls: list[bytes] = []

    def create_thing(call: HttpCall) -> Response:
        calls.append(call.get_body())
        return Response(
            json.dumps({"id": len(calls)}),
            status_code=201,
            headers={"Location": f"/api/things/{len(calls)}", "Set-Cookie": "s=1"},
            media_type="application/json",
        )

    config = IdempotencyConfig(ttl_seconds=60, **options)
    return declare(create_thing, idempotency=config, idempotency_store=persistence), calls


def test_first_request_runs_the_handler_and_returns_its_response(persistence, key) -> None:
    # given a declared endpoint / when a keyed request arrives for the first time
    handler, calls = _counting_handler(persistence)
    response = handler(http_request(key))
    # then the handler ran once and its response is returned unmarked
    assert len(calls) == 1
    assert response.status_code == 201
    assert json.loads(response.get_body()) == {"id": 1}
    assert REPLAYED_HEADER not in response.headers


def test_same_request_is_replayed_byte_for_byte_without_running(persistence, key) -> None:
    # given a completed request
    handler, calls = _counting_handler(persistence)
    first = handler(http_request(key))
    # when the same request is sent again
    second = handler(http_request(key))
    # then the stored response comes back marked, and the handler did not run again
    assert len(calls) == 1
    assert second.get_body() == first.get_body()
    assert second.status_code == first.status_code
    assert second.mimetype == first.mimetype == "application/json"
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers[REPLAYED_HEADER] == "true"
    assert "Set-Cookie" in first.headers
    assert "Set-Cookie" not in second.headers


def test_same_key_with_a_different_body_is_422(persistence, key) -> None:
    handler, calls = _counting_handler(persistence)
    handler(http_request(key))
    # when the key is reused for another body
    response = handler(http_request(key, b'{"name": "other"}'))
    # then 422 problem+json, and nothing ran
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert json.loads(response.get_body())["status"] == 422
    assert len(calls) == 1


def test_same_key_with_a_different_route_is_422(persistence, key) -> None:
    handler, _ = _counting_handler(persistence)
    handler(http_request(key))
    response = handler(http_request(key, url="http://localhost:7071/api/things/other"))
    assert response.status_code == 422


def test_fingerprint_fields_ignore_unchosen_fields(persistence, key) -> None:
    # given an endpoint fingerprinting only "name"
    handler, calls = _counting_handler(persistence, fingerprint_fields=("name",))
    handler(http_request(key, b'{"name": "widget", "trace": 1}'))
    # when the retry differs only in another field / then it is a replay
    replay = handler(http_request(key, b'{"trace": 2, "name": "widget"}'))
    assert replay.headers[REPLAYED_HEADER] == "true"
    # and when "name" changes / then it is a mismatch
    assert handler(http_request(key, b'{"name": "gadget"}')).status_code == 422
    assert len(calls) == 1


def test_request_while_first_is_in_progress_is_409_with_retry_after(persistence, key) -> None:
    # given a handler that, while it runs, receives the same request again
    nested: list[Sent] = []

    def slow(call: HttpCall) -> Response:
        if not nested:
            nested.append(endpoint(http_request(key)))
        return Response("done", status_code=200)

    config = IdempotencyConfig(lease_seconds=3)
    endpoint = declare(slow, idempotency=config, idempotency_store=persistence)
    # when the first request runs
    assert endpoint(http_request(key)).status_code == 200
    # then the concurrent one got 409 problem+json with a short Retry-After
    conflict = nested[0]
    assert conflict.status_code == 409
    assert conflict.mimetype == "application/problem+json"
    assert 1 <= int(conflict.headers["Retry-After"]) <= 3


def test_missing_key_is_400_when_required(persistence) -> None:
    handler, calls = _counting_handler(persistence, required=True)
    response = handler(http_request(None))
    assert response.status_code == 400
    assert "Idempotency-Key" in json.loads(response.get_body())["detail"]
    assert calls == []


def test_missing_key_runs_unguarded_when_optional(persistence) -> None:
    handler, calls = _counting_handler(persistence)
    handler(http_request(None))
    handler(http_request(None))
    assert len(calls) == 2
    assert persistence.touched == set()


@pytest.mark.parametrize("header", ['""', '"' + "k" * 256 + '"', '"a";b=1', "a b", '"open'])
def test_malformed_key_is_400_without_running(persistence, header: str) -> None:
    handler, calls = _counting_handler(persistence)
    response = handler(http_request(None, headers={"Idempotency-Key": header}))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert calls == []


def test_raised_4xx_is_stored_when_store_4xx(persistence, key) -> None:
    # given a handler that rejects the request by raising a 4xx PlatformError
    calls: list[int] = []

    def reject(call: HttpCall) -> Response:
        calls.append(1)
        raise UnprocessableContentError("no such size")

    config = IdempotencyConfig(store_4xx=True, ttl_seconds=60)
    endpoint = declare(reject, idempotency=config, idempotency_store=persistence)
    # when sent twice / then the rendered problem is stored and replayed
    first = endpoint(http_request(key))
    second = endpoint(http_request(key))
    assert first.status_code == second.status_code == 422
    assert second.get_body() == first.get_body()
    assert second.headers[REPLAYED_HEADER] == "true"
    assert calls == [1]


def test_registered_function_has_the_streams_signature_and_an_idempotent_contract(
    persistence,
) -> None:
    # given an endpoint declared with idempotency (the default for POST)
    api = Api(tags=("tests",), described=False)

    @api.post("things", "Create a thing", status=201, idempotency_store=persistence)
    def create_thing(call: HttpCall, caller: object) -> Response:
        return Response(b"x")

    # then the handler is returned unchanged for direct calls
    assert list(inspect.signature(create_thing).parameters) == ["call", "caller"]
    # and the worker sees (req: Request) -> Response, named like the handler
    function = api.functions["create_thing"]
    signature = inspect.signature(function)
    assert list(signature.parameters) == ["req"]
    assert signature.parameters["req"].annotation is Request
    assert signature.return_annotation is WebResponse
    assert inspect.iscoroutinefunction(function)
    assert function.__name__ == "create_thing"
    # and its contract says it honours Idempotency-Key
    contract = contract_of(function)
    assert contract is not None
    assert contract.idempotent is True
    assert contract.methods == ("POST",)


def test_get_is_not_idempotent_and_none_turns_it_off() -> None:
    api = Api(tags=("tests",), described=False)

    @api.get("things", "List things")
    def list_things() -> None: ...

    @api.post("things/plain", "Not guarded", idempotency=None)
    def plain() -> None: ...

    assert contract_of(api.functions["list_things"]).idempotent is False  # type: ignore[union-attr]
    assert contract_of(api.functions["plain"]).idempotent is False  # type: ignore[union-attr]


def test_authenticated_replay_gets_its_own_request_id(persistence, key) -> None:
    def create_thing(call: HttpCall) -> Response:
        return Response(b"created", status_code=201)

    config = IdempotencyConfig(ttl_seconds=60)
    endpoint = declare(
        create_thing, public=False, idempotency=config, idempotency_store=persistence
    )

    # (the endpoint authenticates: each call is one user, with a JWT of its own)
    def as_user(request_id: str) -> dict[str, str]:
        return {**auth_headers("idempotency-functional"), REQUEST_ID_HEADER: request_id}

    first = endpoint(http_request(key, headers=as_user("first-req")))
    second = endpoint(http_request(key, headers=as_user("second-req")))
    assert first.status_code == 201
    assert first.headers[REQUEST_ID_HEADER] == "first-req"
    assert second.headers[REQUEST_ID_HEADER] == "second-req"
    assert second.headers[REPLAYED_HEADER] == "true"
    assert second.get_body() == b"created"
    # and a problem rendered by the idempotency layer carries the request id like any other
    mismatch = endpoint(http_request(key, b"{}", headers=as_user("third")))
    assert mismatch.status_code == 422
    assert mismatch.headers[REQUEST_ID_HEADER] == "third"
    assert json.loads(mismatch.get_body())["request_id"] == "third"


def test_async_handler_is_replayed(persistence, key) -> None:
    calls: list[int] = []

    async def create_async(call: HttpCall) -> Response:
        calls.append(1)
        await asyncio.sleep(0)
        return Response(b"async body", status_code=201)

    config = IdempotencyConfig(ttl_seconds=60)
    endpoint = declare(create_async, idempotency=config, idempotency_store=persistence)

    async def scenario() -> tuple[Sent, Sent]:
        return await endpoint.send(http_request(key)), await endpoint.send(http_request(key))

    first, second = asyncio.run(scenario())
    assert calls == [1]
    assert second.get_body() == first.get_body() == b"async body"
    assert second.headers[REPLAYED_HEADER] == "true"


def test_model_result_is_replayed_as_the_same_json(persistence, key) -> None:
    # given a handler returning a pydantic model (rendered with the declared status)
    calls: list[int] = []

    def create_thing(idempotency_key: str | None) -> Made:
        calls.append(1)
        assert idempotency_key == key
        return Made(id=len(calls))

    endpoint = declare(create_thing, status=201, idempotency_store=persistence)
    first = endpoint(http_request(key))
    second = endpoint(http_request(key))
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.get_body() == first.get_body()
    assert json.loads(second.get_body()) == {"id": 1}
    assert second.headers[REPLAYED_HEADER] == "true"
    assert calls == [1]


def test_body_is_the_default_fingerprint(persistence, key) -> None:
    handler, _ = _counting_handler(persistence)
    handler(http_request(key, BODY))
    assert handler(http_request(key, BODY + b" ")).status_code == 422
