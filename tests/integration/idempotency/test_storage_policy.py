"""What is stored, how, for how long, and at what cost in round trips."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

import pytest
from starlette.responses import Response

from shared.http import executor
from shared.http.call import HttpCall
from shared.idempotency import REPLAYED_HEADER, IdempotencyConfig, RedisPersistenceLayer
from tests.utils.auth import auth_headers
from tests.utils.http_functions import Endpoint, declare
from tests.utils.idempotency import (
    CountingClient,
    CountingConnection,
    TrackingPersistence,
    counting_client,
    http_request,
    new_key,
    new_record_key,
    record_key_for,
)


def _responder(
    persistence, status: int, body: bytes = b"payload", **options
) -> tuple[Endpoint, list[int], Callable[[], Response]]:
    """An endpoint answering ``status`` and ``body``, its runs, and its handler (for its
    records' names)."""
    runs: list[int] = []

    def respond() -> Response:
        runs.append(1)
        return Response(body, status_code=status)

    config = IdempotencyConfig(ttl_seconds=60, **options)
    return declare(respond, idempotency=config, idempotency_store=persistence), runs, respond


def test_oversized_response_is_returned_but_not_stored(persistence, redis_client, key) -> None:
    # given a limit of 10 bytes and an 11-byte response
    endpoint, runs, respond = _responder(persistence, 200, b"x" * 11, max_response_bytes=10)
    # when sent twice / then both calls ran and returned the whole body, and no record is left
    assert endpoint(http_request(key)).get_body() == b"x" * 11
    assert endpoint(http_request(key)).get_body() == b"x" * 11
    assert len(runs) == 2
    assert redis_client.exists(record_key_for(respond, http_request(key), key)) == 0
    assert persistence.stats()["released_too_large"] == 2


@pytest.mark.parametrize(("store_4xx", "expected_runs"), [(False, 2), (True, 1)])
def test_4xx_is_stored_only_when_configured(persistence, key, store_4xx, expected_runs) -> None:
    endpoint, runs, _ = _responder(persistence, 409, store_4xx=store_4xx)
    endpoint(http_request(key))
    second = endpoint(http_request(key))
    assert second.status_code == 409
    assert len(runs) == expected_runs
    assert (REPLAYED_HEADER in second.headers) is store_4xx


@pytest.mark.parametrize("status", [500, 503, 302])
def test_5xx_and_non_2xx_outcomes_are_never_stored(persistence, key, status) -> None:
    endpoint, runs, _ = _responder(persistence, status, store_4xx=True)
    assert endpoint(http_request(key)).status_code == status
    assert endpoint(http_request(key)).status_code == status
    assert len(runs) == 2


def test_records_are_single_strings_that_expire(persistence, redis_client, key) -> None:
    # given a completed request with a 60 s TTL
    endpoint, _, respond = _responder(persistence, 201, b"\x00binary\xff")
    endpoint(http_request(key))
    record = record_key_for(respond, http_request(key), key)
    # then the record is one string under idempotency:{<tag>}:<sha256>, expiring within the TTL
    assert record.startswith("idempotency:{")
    assert len(record) == len("idempotency:{ab}:") + 64
    assert redis_client.type(record) == b"string"
    assert 55_000 < redis_client.pttl(record) <= 60_000
    value = redis_client.get(record)
    assert value.startswith(b"C")
    assert value.endswith(b"\n\x00binary\xff")
    assert key.encode() not in value  # the raw key is never stored


def test_in_progress_record_expires_with_its_lease(persistence, redis_client, key) -> None:
    seen: list[int] = []

    def in_progress() -> Response:
        seen.append(redis_client.pttl(record_key_for(in_progress, http_request(key), key)))
        return Response(b"ok")

    config = IdempotencyConfig(lease_seconds=7)
    declare(in_progress, idempotency=config, idempotency_store=persistence)(http_request(key))
    assert 6_000 < seen[0] <= 7_000


def _connect_every_worker_thread(layer: TrackingPersistence) -> None:
    """Have every thread of the endpoint's worker pool send a script through ``layer``: with
    dedicated connections each thread opens its own connection (HELLO, AUTH...) the first time,
    and the claim and the save of one request may run in two different threads."""
    pool = executor._executor()
    threads = pool._max_workers
    barrier = threading.Barrier(threads)

    def touch(_: int) -> None:
        barrier.wait(5)  # all at once, so that each thread of the pool takes one
        record = new_record_key()
        layer.touched.add(record)
        layer.release(layer.claim(record, "0" * 64, 1_000), "warm")

    list(pool.map(touch, range(threads)))


@pytest.mark.parametrize("dedicated", [True, False])
def test_hit_costs_one_round_trip_and_miss_two(shared_redis_client, dedicated: bool) -> None:
    # given a layer whose connections record every command sent to the real Redis
    client = counting_client()
    layer = TrackingPersistence(
        client, stats_key=f"idempotency:stats:test:{new_key()}", dedicated_connections=dedicated
    )
    endpoint, _, _ = _responder(layer, 201)
    try:
        endpoint(http_request(new_key()))  # warm-up: connects, loads the scripts if needed
        _connect_every_worker_thread(layer)
        key = new_key()
        # when a MISS then a HIT happen
        CountingConnection.sent.clear()
        endpoint(http_request(key))
        miss_commands = list(CountingConnection.sent)
        CountingConnection.sent.clear()
        endpoint(http_request(key))
        # then the MISS took two commands (claim, save) and the HIT one (claim-or-fetch)
        assert miss_commands == [b"EVALSHA", b"EVALSHA"]
        assert CountingConnection.sent == [b"EVALSHA"]
    finally:
        shared_redis_client.delete(*layer.stats_keys(), *layer.touched)


def test_a_minimal_protocol_client_without_a_pool_works(redis_client, key) -> None:
    # given a client implementing only RedisClientProtocol's three methods
    client = CountingClient(redis_client)
    layer = TrackingPersistence(client, stats_key=f"idempotency:stats:test:{key}")
    endpoint, runs, _ = _responder(layer, 201)
    try:
        endpoint(http_request(key))
        client.calls.clear()
        assert endpoint(http_request(key)).headers[REPLAYED_HEADER] == "true"
        # then it is called through evalsha, once for a HIT
        assert client.calls == ["EVALSHA"]
        assert runs == [1]
    finally:
        redis_client.delete(*layer.stats_keys(), *layer.touched)


def test_scripts_are_reloaded_after_script_flush(persistence, redis_client, key) -> None:
    endpoint, runs, _ = _responder(persistence, 200)
    endpoint(http_request(key))
    redis_client.script_flush()
    # when the server forgot the scripts / then the layer loads them again (NOSCRIPT)
    assert endpoint(http_request(key)).headers[REPLAYED_HEADER] == "true"
    assert runs == [1]


def test_two_callers_with_the_same_key_never_see_each_others_responses(persistence, key) -> None:
    # given two tenants (different function keys) choosing the same idempotency key
    def whoami(call: HttpCall) -> Response:
        return Response(call.headers["x-functions-key"].encode(), status_code=201)

    config = IdempotencyConfig(ttl_seconds=60)
    by_key = declare(whoami, idempotency=config, idempotency_store=persistence)
    # (the same handler behind authentication: the same function, so the same record names)
    authenticated = declare(whoami, public=False, idempotency=config, idempotency_store=persistence)
    alice = by_key(http_request(key, credential="alice-key"))
    bob = by_key(http_request(key, credential="bob-key"))
    # then each ran for itself (no 409/422 across tenants) and each replays its own
    assert (alice.get_body(), bob.get_body()) == (b"alice-key", b"bob-key")
    assert by_key(http_request(key, credential="alice-key")).get_body() == b"alice-key"
    assert by_key(http_request(key, credential="bob-key")).get_body() == b"bob-key"
    # and App Service's principal header is not trusted: the same key is still alice's scope
    forged = http_request(key, credential="alice-key", headers={"x-ms-client-principal-id": "u7"})
    assert by_key(forged).headers[REPLAYED_HEADER] == "true"
    # while an authenticated principal is a scope of its own, whatever function key it sends
    carol = auth_headers(f"carol-{uuid.uuid4().hex[:8]}")
    first = authenticated(http_request(key, headers={**carol, "x-functions-key": "alice-key"}))
    again = authenticated(http_request(key, headers={**carol, "x-functions-key": "bob-key"}))
    assert first.status_code == 201
    assert first.headers.get(REPLAYED_HEADER) is None
    assert (again.headers[REPLAYED_HEADER], again.get_body()) == ("true", b"alice-key")


def test_same_key_on_two_functions_is_two_records(persistence, key) -> None:
    # given two functions receiving the same key and body from the same caller
    def create_order() -> Response:
        return Response(b"order", status_code=201)

    def create_invoice() -> Response:
        return Response(b"invoice", status_code=201)

    config = IdempotencyConfig(ttl_seconds=60)
    order = declare(create_order, idempotency=config, idempotency_store=persistence)
    invoice = declare(create_invoice, idempotency=config, idempotency_store=persistence)

    # then each function runs once for it and replays its own response
    assert order(http_request(key)).get_body() == b"order"
    assert invoice(http_request(key)).get_body() == b"invoice"
    assert order(http_request(key)).get_body() == b"order"
    assert invoice(http_request(key)).headers[REPLAYED_HEADER] == "true"


def test_counters_and_logs_use_the_key_hash_never_the_raw_key(persistence, key, caplog) -> None:
    endpoint, _, respond = _responder(persistence, 201)
    with caplog.at_level(logging.INFO, logger="shared.idempotency"):
        endpoint(http_request(key))  # miss
        endpoint(http_request(key))  # hit
        endpoint(http_request(key, b"changed"))  # mismatch
    messages = [r.getMessage() for r in caplog.records]
    record_hash = record_key_for(respond, http_request(key), key).rsplit(":", 1)[1]
    assert any("Cache MISS" in m and record_hash in m for m in messages)
    assert any("Cache HIT" in m and record_hash in m for m in messages)
    assert any("mismatch" in m for m in messages)
    assert not any(key in m for m in messages)
    stats = persistence.stats()
    assert (stats["miss"], stats["hit"], stats["mismatch"], stats["stored"]) == (1, 1, 1, 1)


def test_client_that_decodes_responses_is_refused(shared_redis_client) -> None:
    import redis

    decoding = redis.Redis(connection_pool=redis.ConnectionPool(port=6379, decode_responses=True))
    with pytest.raises(Exception, match="binary"):
        RedisPersistenceLayer(decoding)


def test_with_wait_replicas_a_lease_and_a_result_wait_for_replicas_and_a_hit_does_not(
    shared_redis_client, caplog
) -> None:
    # given a layer that must see its records on one replica (the local Redis has none)
    layer = TrackingPersistence(
        counting_client(), stats_key=f"idempotency:stats:test:{new_key()}", wait_replicas=1
    )
    record, fingerprint = new_record_key(), "0" * 64
    layer.touched.add(record)
    try:
        layer.release(layer.claim(new_record_key(), fingerprint, 1_000), "warm")  # connects
        CountingConnection.sent.clear()
        with caplog.at_level(logging.WARNING, logger="shared.idempotency"):
            # when a claim takes the lease, the result is saved, then a duplicate arrives
            claim = layer.claim(record, fingerprint, 5_000)
            assert layer.save(claim, b"{}\nbody", 5_000) is True
            after_save = list(CountingConnection.sent)
            CountingConnection.sent.clear()
            assert layer.claim(record, fingerprint, 5_000).payload == b"{}\nbody"
        # then the lease and the result were each followed by WAIT on the same connection
        assert after_save == [b"EVALSHA", b"WAIT", b"EVALSHA", b"WAIT"]
        # and the HIT is still one round trip
        assert CountingConnection.sent == [b"EVALSHA"]
        # and a record no replica acknowledged is reported, not fatal
        assert any("0 of 1 replicas" in r.getMessage() for r in caplog.records)
    finally:
        shared_redis_client.delete(*layer.stats_keys(), *layer.touched)
