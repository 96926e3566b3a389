"""Streamed responses under idempotency (``shared/idempotency/streams.py``): recorded as sent.

- within ``max_response_bytes``: recorded whole, a retry is replayed with the same bytes;
- past it: sent whole once, a retry is refused (409 ``idempotency-response-not-replayable``);
- a stream that does not end normally releases the key, so a retry runs again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.responses import StreamingResponse

from shared.http.streams import STREAM_FAILED, StreamedResponse
from shared.idempotency import REPLAYED_HEADER, IdempotencyConfig
from tests.utils.http_functions import Endpoint, declare
from tests.utils.idempotency import http_request

CHUNKS = [b"first chunk\n", b"\x00second\xff\n", b"third and last\n"]
STREAMED = b"".join(CHUNKS)


async def _produced(chunks: list[bytes], fail_after: int | None = None) -> AsyncIterator[bytes]:
    for index, chunk in enumerate(chunks):
        if index == fail_after:
            raise RuntimeError("the producer failed midway")
        yield chunk


def _blocking(chunks: list[bytes]) -> Iterator[bytes]:
    yield from chunks


def _streaming(persistence, kind: str = "async", **options) -> tuple[Endpoint, list[int]]:
    """An endpoint streaming ``CHUNKS`` (from an async generator, or a blocking iterator stepped
    in worker threads); the list counts its runs."""
    runs: list[int] = []

    def stream_things() -> StreamingResponse:
        runs.append(1)
        if kind == "async":
            return StreamingResponse(
                _produced(CHUNKS), media_type="text/plain", headers={"X-Thing": "t"}
            )
        return StreamedResponse(
            _blocking(CHUNKS), media_type="text/plain", headers={"X-Thing": "t"}
        )

    config = IdempotencyConfig(ttl_seconds=60, **options)
    return declare(stream_things, idempotency=config, idempotency_store=persistence), runs


@pytest.mark.parametrize("kind", ["async", "blocking"])
def test_stream_within_the_limit_is_replayed_with_the_same_bytes(persistence, key, kind) -> None:
    # given a streamed response smaller than the limit
    endpoint, runs = _streaming(persistence, kind, max_response_bytes=len(STREAMED))
    # when it is sent / then the client receives it as it was produced, unmarked
    first = endpoint(http_request(key))
    assert first.status_code == 200
    assert first.get_body() == STREAMED
    assert first.chunks == CHUNKS
    assert REPLAYED_HEADER not in first.headers
    # when a retry comes with the same key / then the same bytes come back at once, marked
    second = endpoint(http_request(key))
    assert second.status_code == 200
    assert second.get_body() == STREAMED
    assert second.headers[REPLAYED_HEADER] == "true"
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["X-Thing"] == "t"
    # and the handler did not run again
    assert runs == [1]
    assert persistence.stats()["stored"] == 1


def test_stream_over_the_limit_is_sent_once_then_refused_with_409(persistence, key) -> None:
    # given a streamed response one byte over the limit
    endpoint, runs = _streaming(persistence, max_response_bytes=len(STREAMED) - 1)
    # when it is sent / then the client still receives all of it
    first = endpoint(http_request(key))
    assert first.status_code == 200
    assert first.get_body() == STREAMED
    assert REPLAYED_HEADER not in first.headers
    # when a retry comes with the same key / then it is refused without running: it completed
    # once and cannot be replayed, and a second run is never what the key asked for
    second = endpoint(http_request(key))
    assert second.status_code == 409
    assert second.mimetype == "application/problem+json"
    problem = json.loads(second.get_body())
    assert problem["type"] == "idempotency-response-not-replayable"
    assert problem["status"] == 409
    assert runs == [1]
    # and a new key runs it again
    assert endpoint(http_request(key + "-new")).get_body() == STREAMED
    assert runs == [1, 1]


def test_stream_whose_producer_fails_midway_releases_the_key(persistence, key) -> None:
    # given a handler whose first stream fails after its first chunk
    runs: list[int] = []

    def stream_things() -> StreamingResponse:
        runs.append(1)
        fail_after = 1 if len(runs) == 1 else None
        return StreamingResponse(_produced(CHUNKS, fail_after), media_type="text/plain")

    config = IdempotencyConfig(ttl_seconds=60)
    endpoint = declare(stream_things, idempotency=config, idempotency_store=persistence)
    # when the producer raises while the response is sent / then the response breaks off
    with pytest.raises(RuntimeError, match="the producer failed midway"):
        endpoint(http_request(key))
    assert persistence.stats()["released_stream_incomplete"] == 1
    # and a retry with the same key runs again (nothing was delivered whole), then replays
    retry = endpoint(http_request(key))
    assert retry.status_code == 200
    assert retry.get_body() == STREAMED
    assert REPLAYED_HEADER not in retry.headers
    assert runs == [1, 1]
    assert endpoint(http_request(key)).headers[REPLAYED_HEADER] == "true"
    assert runs == [1, 1]


def test_a_stream_that_tells_its_client_it_failed_releases_the_key(persistence, key) -> None:
    # given a stream that ends with an error event (what the chat streams send when the model
    # fails after the stream started): a normal end for the client, but no result
    runs: list[int] = []

    async def answer() -> AsyncIterator[object]:
        yield b"event: delta\ndata: {}\n\n"
        yield b"event: error\ndata: {}\n\n"
        yield STREAM_FAILED

    def failing_answer() -> StreamedResponse:
        runs.append(1)
        return StreamedResponse(answer(), media_type="text/event-stream")

    config = IdempotencyConfig(ttl_seconds=60)
    endpoint = declare(failing_answer, idempotency=config, idempotency_store=persistence)
    first = endpoint(http_request(key))
    # then the client got the error event (the sentinel itself is never sent) ...
    assert first.get_body() == b"event: delta\ndata: {}\n\nevent: error\ndata: {}\n\n"
    # ... and a retry with the same key runs again instead of replaying the failure
    second = endpoint(http_request(key))
    assert REPLAYED_HEADER not in second.headers
    assert runs == [1, 1]
