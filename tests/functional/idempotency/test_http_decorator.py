"""@idempotent on real handlers with real func.HttpRequest objects, against the local Redis."""

from __future__ import annotations

import asyncio
import inspect
import json

import azure.functions as func
import pytest

from shared.errors import UnprocessableContentError
from shared.http import REQUEST_ID_HEADER, contract_of, endpoint
from shared.idempotency import REPLAYED_HEADER, IdempotencyConfigurationError, idempotent
from tests.functional.idempotency.support import BODY, http_request
from tests.utils.auth import auth_headers


def _counting_handler(persistence, **options):
    calls: list[bytes] = []

    @idempotent(persistence=persistence, ttl_seconds=60, **options)
    def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        calls.append(req.get_body())
        return func.HttpResponse(
            json.dumps({"id": len(calls)}),
            status_code=201,
            headers={"Location": f"/api/things/{len(calls)}", "Set-Cookie": "s=1"},
            mimetype="application/json",
        )

    return create_thing, calls


def test_first_request_runs_the_handler_and_returns_its_response(persistence, key) -> None:
    # given a decorated handler / when a keyed request arrives for the first time
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
    assert second.mimetype == first.mimetype
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers[REPLAYED_HEADER] == "true"
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
    nested: list[func.HttpResponse] = []

    @idempotent(persistence=persistence, lease_seconds=3)
    def slow(req: func.HttpRequest) -> func.HttpResponse:
        if not nested:
            nested.append(slow(http_request(key)))
        return func.HttpResponse("done", status_code=200)

    # when the first request runs
    assert slow(http_request(key)).status_code == 200
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

    @idempotent(persistence=persistence, store_4xx=True, ttl_seconds=60)
    def reject(req: func.HttpRequest) -> func.HttpResponse:
        calls.append(1)
        raise UnprocessableContentError("no such size")

    # when sent twice / then the rendered problem is stored and replayed
    first = reject(http_request(key))
    second = reject(http_request(key))
    assert first.status_code == second.status_code == 422
    assert second.get_body() == first.get_body()
    assert second.headers[REPLAYED_HEADER] == "true"
    assert calls == [1]


def test_signature_is_kept_and_endpoint_marks_the_contract_idempotent(persistence) -> None:
    # given the fixed decorator order
    @endpoint("Create a thing", status=201)
    @idempotent(persistence=persistence)
    def create_thing(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        return func.HttpResponse("x")

    # then the worker sees the original parameters, and the contract is marked
    assert list(inspect.signature(create_thing).parameters) == ["req", "context"]
    assert create_thing.__name__ == "create_thing"
    contract = contract_of(create_thing)
    assert contract is not None
    assert contract.idempotent is True


def test_under_endpoint_replay_gets_its_own_request_id(persistence, key) -> None:
    @endpoint("Create a thing", status=201)
    @idempotent(persistence=persistence, ttl_seconds=60)
    def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(b"created", status_code=201)

    # (@endpoint authenticates: each call is one user, with a JWT of its own)
    def as_user(request_id: str) -> dict[str, str]:
        return {**auth_headers("idempotency-functional"), REQUEST_ID_HEADER: request_id}

    first = create_thing(req=http_request(key, headers=as_user("first-req")))
    second = create_thing(req=http_request(key, headers=as_user("second-req")))
    assert first.headers[REQUEST_ID_HEADER] == "first-req"
    assert second.headers[REQUEST_ID_HEADER] == "second-req"
    assert second.get_body() == b"created"
    # and a problem rendered by the decorator carries the request id like @endpoint's own
    mismatch = create_thing(req=http_request(key, b"{}", headers=as_user("third")))
    assert json.loads(mismatch.get_body())["request_id"] == "third"


def test_async_handler_is_replayed(persistence, key) -> None:
    calls: list[int] = []

    @idempotent(persistence=persistence, ttl_seconds=60)
    async def create_async(req: func.HttpRequest) -> func.HttpResponse:
        calls.append(1)
        await asyncio.sleep(0)
        return func.HttpResponse(b"async body", status_code=201)

    assert inspect.iscoroutinefunction(create_async)

    async def scenario() -> tuple[func.HttpResponse, func.HttpResponse]:
        return await create_async(http_request(key)), await create_async(http_request(key))

    first, second = asyncio.run(scenario())
    assert calls == [1]
    assert second.get_body() == first.get_body() == b"async body"
    assert second.headers[REPLAYED_HEADER] == "true"


def test_handler_without_http_request_argument_fails_loudly(persistence) -> None:
    @idempotent(persistence=persistence)
    def wrong(value: str) -> func.HttpResponse:
        return func.HttpResponse(value)

    with pytest.raises(IdempotencyConfigurationError, match="HttpRequest"):
        wrong("x")


def test_body_is_the_default_fingerprint(persistence, key) -> None:
    handler, _ = _counting_handler(persistence)
    handler(http_request(key, BODY))
    assert handler(http_request(key, BODY + b" ")).status_code == 422
