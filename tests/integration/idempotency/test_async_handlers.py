"""Coroutine handlers: concurrent calls on one event loop, failures, replays."""

from __future__ import annotations

import asyncio
from collections import Counter

import azure.functions as func
import pytest

from shared.idempotency import REPLAYED_HEADER, idempotent
from tests.functional.idempotency.support import http_request


def test_concurrent_async_calls_run_the_handler_once(persistence, key) -> None:
    # given an async handler that takes a while, called 10 times at once on one loop
    runs: list[int] = []

    @idempotent(persistence=persistence, ttl_seconds=60)
    async def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        runs.append(1)
        await asyncio.sleep(0.2)
        return func.HttpResponse(b"async result", status_code=201)

    async def burst() -> list[func.HttpResponse]:
        return await asyncio.gather(*(create_thing(http_request(key)) for _ in range(10)))

    responses = asyncio.run(burst())
    # then one ran and the others were told it is in progress (the loop was never blocked)
    assert runs == [1]
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}
    # and afterwards it replays
    replay = asyncio.run(create_thing(http_request(key)))
    assert replay.get_body() == b"async result"
    assert replay.headers[REPLAYED_HEADER] == "true"


def test_async_failure_releases_and_reraises(persistence, key) -> None:
    attempts: list[int] = []

    @idempotent(persistence=persistence, ttl_seconds=60)
    async def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first attempt fails")
        return func.HttpResponse(b"ok", status_code=201)

    with pytest.raises(ValueError, match="first attempt"):
        asyncio.run(create_thing(http_request(key)))
    assert asyncio.run(create_thing(http_request(key))).status_code == 201
    assert len(attempts) == 2


def test_async_5xx_is_not_stored(persistence, key) -> None:
    runs: list[int] = []

    @idempotent(persistence=persistence)
    async def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        runs.append(1)
        return func.HttpResponse(b"oops", status_code=502)

    asyncio.run(create_thing(http_request(key)))
    asyncio.run(create_thing(http_request(key)))
    assert len(runs) == 2
