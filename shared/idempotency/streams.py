"""Idempotency for streamed responses: the rule, and the recorder that applies it.

The rule (README, "Idempotency"):

- A streamed response is recorded while it is sent. When it ends normally and its body fits in
  ``IDEMPOTENCY_MAX_RESPONSE_BYTES``, the record holds it whole: a retry with the same key gets the
  same bytes at once (``Idempotent-Replayed: true``), not a second run.
- When it ends normally but was larger, the record keeps only the fact that it completed: a retry
  with the same key is refused with 409 ``idempotency-response-not-replayable`` (send a new key to
  run it again), never run twice.
- When it does not end normally (the client disconnected, the producer failed, or the body
  ended by telling its client it failed: ``shared.http.streams.STREAM_FAILED``), the key is
  released: nothing was delivered whole, so a retry runs again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import anyio
from starlette.responses import Response, StreamingResponse

from shared.http.executor import run_blocking
from shared.http.streams import StreamedResponse
from shared.idempotency.exceptions import IdempotencyResponseNotReplayableError
from shared.idempotency.guard import Guard, problem_for, release_claim, save_outcome
from shared.idempotency.responses import encode_response

logger = logging.getLogger(__name__)


def recorded(guard: Guard, response: StreamingResponse) -> StreamedResponse:
    """``response`` with a body that is recorded as it is sent (see the module docstring)."""
    assert guard.limits is not None
    limit = guard.limits.max_response_bytes
    source = response.body_iterator

    async def body() -> AsyncIterator[bytes]:
        kept: list[bytes] | None = []
        size = 0
        complete = False
        try:
            async for chunk in source:
                data = chunk.encode(response.charset) if isinstance(chunk, str) else bytes(chunk)
                size += len(data)
                if kept is not None and size > limit:
                    kept = None  # too large to replay: stop keeping, keep sending
                elif kept is not None:
                    kept.append(data)
                yield data
            # A body that told its client it failed (an SSE error event) is no result to keep.
            complete = not getattr(response, "failed", False)
        finally:
            close = getattr(source, "aclose", None)
            with anyio.CancelScope(shield=True):
                if close is not None:
                    await close()
                await run_blocking(_settle, guard, response, kept if complete else None, complete)

    streamed = StreamedResponse(body(), status_code=response.status_code)
    streamed.raw_headers = response.raw_headers
    streamed.background = response.background
    return streamed


def _settle(guard: Guard, response: Response, kept: list[bytes] | None, complete: bool) -> None:
    if not complete:
        logger.info("idempotency stream did not complete; key released key=%s", guard.key_hash)
        release_claim(guard, "released_stream_incomplete")
    elif kept is None:
        logger.info("idempotency stream too large to replay key=%s", guard.key_hash)
        refusal = IdempotencyResponseNotReplayableError(
            "the response to this Idempotency-Key was streamed and was too large to keep for a "
            "replay; the request was completed once. Send a new key to run it again"
        )
        save_outcome(guard, encode_response(problem_for(refusal, guard.path)))
    else:
        save_outcome(guard, encode_response(response, b"".join(kept)))
