"""64 simultaneous callers (4 processes x 16 threads), one key: exactly one execution."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections import Counter

from starlette.responses import Response

from shared.config import Settings
from shared.http import executor
from shared.http.call import Headers, HttpCall
from shared.idempotency import REPLAYED_HEADER, IdempotencyConfig, RedisPersistenceLayer
from shared.idempotency.keys import record_key, scoped_key_hash
from shared.identity import caller_identity
from shared.stores.redis import RedisService, redis_client_from_settings
from tests.utils.http_functions import declare
from tests.utils.idempotency import http_request

PROCESSES = 4
THREADS = 16
HANDLER_SECONDS = 0.2


def _caller_process(key: str, counter_key: str, barrier, results) -> None:
    # Each process builds its own client and endpoint, as a Functions worker would. The worker
    # thread pool the parent may have started is not carried over by fork: start a new one.
    executor._executor.cache_clear()
    client = redis_client_from_settings(Settings(), RedisService.IDEMPOTENCY)
    layer = RedisPersistenceLayer(client)

    def create_thing() -> Response:
        client.incr(counter_key)
        time.sleep(HANDLER_SECONDS)
        return Response(b"the one result", status_code=201)

    config = IdempotencyConfig(ttl_seconds=60, lease_seconds=30)
    endpoint = declare(create_thing, idempotency=config, idempotency_store=layer)

    def call() -> None:
        request = http_request(key)
        barrier.wait(20)
        try:
            response = endpoint(request)  # each thread runs its own event loop, like a client
            replayed = response.headers.get(REPLAYED_HEADER) == "true"
            results.put((response.status_code, replayed, response.get_body()))
        except Exception as exc:
            results.put((0, False, repr(exc).encode()))

    threads = [threading.Thread(target=call) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def test_64_concurrent_callers_with_one_key_execute_the_handler_once(redis_client) -> None:
    # given 64 callers released at the same instant with the same key and body
    key, counter_key = str(uuid.uuid4()), f"idempotency:test:count:{uuid.uuid4()}"
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES * THREADS)
    results = context.Queue()
    processes = [
        context.Process(target=_caller_process, args=(key, counter_key, barrier, results))
        for _ in range(PROCESSES)
    ]
    try:
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=30) for _ in range(PROCESSES * THREADS)]
        for process in processes:
            process.join(10)
        # then the handler ran exactly once
        assert int(redis_client.get(counter_key) or 0) == 1
        # and every caller is accounted for: one original, the rest replays or 409s
        kinds = Counter(
            "original"
            if (status, replayed) == (201, False)
            else "replay"
            if (status, replayed) == (201, True)
            else "conflict"
            if status == 409
            else f"unexpected {status}: {body!r}"
            for status, replayed, body in outcomes
        )
        assert kinds["original"] == 1, kinds
        assert kinds["original"] + kinds["replay"] + kinds["conflict"] == 64, kinds
        assert all(body == b"the one result" for status, _, body in outcomes if status == 201)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
        request = http_request(key)
        view = HttpCall(request.method, request.url, Headers(dict(request.headers)))
        record = record_key(
            scoped_key_hash(
                caller_identity(view),
                f"{__name__}._caller_process.<locals>.create_thing",
                key,
            )
        )
        assert redis_client.delete(counter_key, record) == 2
