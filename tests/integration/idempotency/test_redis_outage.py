"""Redis stopped mid-run: fail_closed answers 503 (queues: raise), fail_open runs unguarded."""

from __future__ import annotations

import json
import logging
import uuid

import azure.functions as func
import pytest
from starlette.responses import Response

from shared.idempotency import (
    REPLAYED_HEADER,
    IdempotencyConfig,
    IdempotencyStoreUnavailableError,
    RedisPersistenceLayer,
    idempotency_stats,
    idempotent_message,
)
from tests.utils.http_functions import Endpoint, declare
from tests.utils.idempotency import client_for, http_request


def _counting(layer, **options) -> tuple[Endpoint, list[int]]:
    runs: list[int] = []

    def create_thing() -> Response:
        runs.append(1)
        return Response(b"made", status_code=201)

    config = IdempotencyConfig(ttl_seconds=60, **options)
    return declare(create_thing, idempotency=config, idempotency_store=layer), runs


def test_fail_closed_answers_503_with_retry_after_once_redis_stops(private_redis, key) -> None:
    # given an endpoint that worked while Redis was up
    layer = RedisPersistenceLayer(client_for(private_redis))
    create_thing, runs = _counting(layer)
    assert create_thing(http_request(key)).status_code == 201
    # when Redis stops
    private_redis.stop()
    response = create_thing(http_request(key))
    # then the request is refused with 503 problem+json and a Retry-After, without running
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert "unavailable" in json.loads(response.get_body())["detail"]
    assert runs == [1]
    # and once Redis is back (empty: it kept nothing), scripts are reloaded and it works again
    private_redis.start()
    assert create_thing(http_request(key)).status_code == 201
    assert create_thing(http_request(key)).headers[REPLAYED_HEADER] == "true"


def test_fail_open_runs_without_the_guarantee_warns_and_counts(private_redis, key, caplog) -> None:
    layer = RedisPersistenceLayer(client_for(private_redis))
    create_thing, runs = _counting(layer, on_redis_error="fail_open")
    before = idempotency_stats(layer.client)["fail_open"]
    private_redis.stop()
    # when Redis is down / then every call runs, each with a warning, each counted
    with caplog.at_level(logging.WARNING, logger="shared.idempotency"):
        assert create_thing(http_request(key)).status_code == 201
        assert create_thing(http_request(key)).status_code == 201
    assert len(runs) == 2
    assert sum("fail_open" in r.getMessage() for r in caplog.records) == 2
    stats = idempotency_stats(layer.client)
    assert stats["fail_open"] - before == 2
    assert stats["stats_unavailable"] == 1


def test_redis_dying_during_the_handler_still_returns_its_response(private_redis, key) -> None:
    # given Redis stops while the handler runs (after the claim, before the save)
    layer = RedisPersistenceLayer(client_for(private_redis))

    def create_thing() -> Response:
        private_redis.stop()
        return Response(b"made", status_code=201)

    endpoint = declare(create_thing, idempotency_store=layer)
    # then the caller still gets the handler's response (the save failure is only logged)
    response = endpoint(http_request(key))
    assert response.status_code == 201
    assert response.get_body() == b"made"


def test_queue_fail_closed_raises_so_the_host_retries(private_redis) -> None:
    layer = RedisPersistenceLayer(client_for(private_redis))
    runs: list[int] = []

    @idempotent_message(persistence=layer)
    def work(msg: func.QueueMessage) -> None:
        runs.append(1)

    private_redis.stop()
    with pytest.raises(IdempotencyStoreUnavailableError):
        work(func.QueueMessage(id=str(uuid.uuid4()), body=b"{}"))
    assert runs == []


def test_queue_fail_open_runs_the_handler(private_redis) -> None:
    layer = RedisPersistenceLayer(client_for(private_redis))
    runs: list[int] = []

    @idempotent_message(persistence=layer, on_redis_error="fail_open")
    def work(msg: func.QueueMessage) -> None:
        runs.append(1)

    private_redis.stop()
    work(func.QueueMessage(id=str(uuid.uuid4()), body=b"{}"))
    assert runs == [1]


def test_connection_closed_by_the_server_is_reopened_transparently(private_redis, key) -> None:
    # given a working endpoint whose connections the server then drops (idle timeout, failover)
    layer = RedisPersistenceLayer(client_for(private_redis))
    create_thing, runs = _counting(layer)
    assert create_thing(http_request(key)).status_code == 201
    client_for(private_redis).client_kill_filter(_type="normal", skipme=True)
    # when the next request comes / then it is served (one immediate reconnect), not a 503
    assert create_thing(http_request(key)).headers[REPLAYED_HEADER] == "true"
    assert runs == [1]
