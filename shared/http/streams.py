"""Streamed bodies in both directions, with the clean-up a disconnect needs.

- ``read_body`` reads a request body whole, refusing (413) as soon as it passes a limit, so an
  oversized body is never held in memory.
- ``limited_chunks`` yields a request body as it arrives (uploads), with the same limit.
- ``iterate_in_thread`` turns a blocking iterator (blob chunks, synthesised audio) into an async
  one: each step runs in a worker thread, in the context of the request that created it, and the
  iterator is closed when the response ends for any reason, so its thread and resources are let
  go.
- ``StreamedResponse`` is a ``StreamingResponse`` that always closes its body iterator: when the
  client disconnects, the producer learns it at once instead of at garbage collection.
- ``sse_event`` formats one Server-Sent Event.

``streams_in_flight()`` counts the streamed responses being sent now; it returns to zero when every
stream has finished or been abandoned (shown in ``/api/services/status``).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import threading
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from shared.errors import PayloadTooLargeError
from shared.http.executor import run_blocking

ItemT = TypeVar("ItemT")
logger = logging.getLogger(__name__)

_in_flight = 0
_in_flight_lock = threading.Lock()


def streams_in_flight() -> int:
    """Streamed responses being sent right now, in this process."""
    return _in_flight


def _count(delta: int) -> None:
    global _in_flight  # noqa: PLW0603 - one process-wide gauge
    with _in_flight_lock:
        _in_flight += delta


def declared_length(request: Request) -> int | None:
    """The request's ``Content-Length``, when it sent a valid one."""
    raw = request.headers.get("content-length", "")
    return int(raw) if raw.isdigit() else None


async def limited_chunks(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body as it arrives; 413 before reading when Content-Length is over ``limit``, and as
    soon as the bytes received pass it. A client that goes away raises ``ClientDisconnect``."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise PayloadTooLargeError(f"the body is {declared} bytes; the limit is {limit}")
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLargeError(f"the body is over the limit of {limit} bytes")
        if chunk:
            yield chunk


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing (413) one over ``limit`` without holding more than the limit."""
    parts = [chunk async for chunk in limited_chunks(request, limit)]
    return b"".join(parts)


_DONE = object()


def iterate_in_thread(source: Iterable[ItemT]) -> AsyncIterator[ItemT]:
    """Each step of a blocking iterator in a worker thread, in the context of the request that
    called this (taken now: a response's body is iterated after the handler returned); the
    iterator is closed (in a thread too) however iteration ends: exhausted, failed or abandoned."""
    return _iterate(iter(source), contextvars.copy_context())


async def _iterate(iterator: Iterator[ItemT], context: contextvars.Context) -> AsyncIterator[ItemT]:
    # A client that goes away cancels the await below while a step still runs in its thread
    # (a sentence being synthesized); closing the generator then would fail with "generator
    # already executing" and leave it open. The lock makes the close wait for that step.
    stepping = threading.Lock()

    def step() -> Any:
        with stepping:
            return context.copy().run(next, iterator, _DONE)

    def close() -> None:
        with stepping:
            getattr(iterator, "close", lambda: None)()

    try:
        while (item := await run_blocking(step)) is not _DONE:
            yield item
    finally:
        if hasattr(iterator, "close"):
            with anyio.CancelScope(shield=True):
                await run_blocking(close)


class StreamFailure:
    """Yielded by a body after the event that tells its client it failed (an SSE ``error``):
    the stream ends normally for the client, but it is no result to keep (the idempotency record
    releases its key instead of storing it). Never sent."""


STREAM_FAILED = StreamFailure()


class StreamedResponse(StreamingResponse):
    """A streaming response that closes its body iterator when it ends, also on a disconnect.

    Starlette stops iterating when the client goes away but leaves the iterator suspended until
    garbage collection; closing it at once stops the work behind it (generation, a blob read) and
    runs its clean-up (an idempotency record released, a thread freed). ``failed`` turns true when
    the body yields ``STREAM_FAILED``.
    """

    failed = False

    def __init__(
        self,
        content: AsyncIterable[Any] | Iterable[bytes],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        # A blocking iterator steps in worker threads and is closed with the response.
        body = content if isinstance(content, AsyncIterable) else iterate_in_thread(content)
        super().__init__(self._watched(body), status_code, headers, media_type)

    async def _watched(self, body: AsyncIterable[Any]) -> AsyncIterator[bytes]:
        try:
            async for chunk in body:
                if chunk is STREAM_FAILED:
                    self.failed = True
                else:
                    yield chunk
        finally:
            close = getattr(body, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _count(1)
        try:
            await super().__call__(scope, receive, send)
        except (ClientDisconnect, OSError, asyncio.CancelledError):
            # The client went away: nothing more can be sent, and nothing is an error.
            pass
        finally:
            _count(-1)
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()


def sse_event(data: Any, *, event: str | None = None) -> bytes:
    """One Server-Sent Event: ``event:`` (when given) and one ``data:`` line of JSON (or text)."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, default=str)
    lines = [f"event: {event}"] if event else []
    lines.extend(f"data: {line}" for line in payload.split("\n"))
    return ("\n".join(lines) + "\n\n").encode()


def error_event(exc: Exception, what: str) -> bytes:
    """The SSE ``error`` event (a problem object) that ends a stream that failed after it
    started: a ``PlatformError`` as it is, anything else logged and told without internals."""
    from shared.errors import PlatformError

    if isinstance(exc, PlatformError):
        problem = {"title": exc.title, "status": exc.status, "detail": exc.detail}
    else:
        logger.error("%s failed", what, exc_info=exc)
        detail = "the server failed while answering; it has been logged"
        problem = {"title": "Internal Server Error", "status": 500, "detail": detail}
    return sse_event(problem, event="error")


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
