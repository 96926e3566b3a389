"""Coroutine handlers: concurrent calls on one event loop, failures, replays."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from starlette.responses import Response

from shared.http.call import HttpCall
from shared.idempotency import REPLAYED_HEADER, IdempotencyConfig
from tests.utils.http_functions import Sent, declare
from tests.utils.idempotency import http_request


def test_concurrent_async_calls_run_the_handler_once(persistence, key) -> None:
    # given an async handler that takes a while, called 10 times at once on one loop
    runs: list[int] = []

    async def create_thing(call: HttpCall) -> Response:
        runs.append(1)
        await asyncio.sleep(0.2)
        return Response(b"async result", status_code=201)

    config = IdempotencyConfig(ttl_seconds=60)
    endpoint = declare(create_thing, idempotency=config, idempotency_store=persistence)

    async def burst() -> list[Sent]:
        return await asyncio.gather(*(endpoint.send(http_request(key)) for _ in range(10)))

    responses = asyncio.run(burst())
    # then one ran and the others were told it is in progress (the loop was never blocked)
    assert runs == [1]
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}
    # and afterwards it replays
    replay = endpoint(http_request(key))
    assert replay.get_body() == b"async result"
    assert replay.headers[REPLAYED_HEADER] == "true"


def test_async_failure_releases_the_key_and_answers_500(persistence, key, caplog) -> None:
    attempts: list[int] = []

    async def create_thing(call: HttpCall) -> Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first attempt fails")
        return Response(b"ok", status_code=201)

    config = IdempotencyConfig(ttl_seconds=60)
    endpoint = declare(create_thing, idempotency=config, idempotency_store=persistence)
    # when it raises / then the client gets a 500 and the original error is logged
    with caplog.at_level(logging.ERROR):
        assert endpoint(http_request(key)).status_code == 500
    assert any(isinstance(r.exc_info and r.exc_info[1], ValueError) for r in caplog.records)
    # and the key was released: the retry runs again
    assert endpoint(http_request(key)).status_code == 201
    assert len(attempts) == 2
    assert persistence.stats()["released_error"] == 1


def test_async_5xx_is_not_stored(persistence, key) -> None:
    runs: list[int] = []

    async def create_thing(call: HttpCall) -> Response:
        runs.append(1)
        return Response(b"oops", status_code=502)

    endpoint = declare(create_thing, idempotency_store=persistence)
    assert endpoint(http_request(key)).status_code == 502
    assert endpoint(http_request(key)).status_code == 502
    assert len(runs) == 2
