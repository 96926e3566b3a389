"""``POST /api/chat`` with ``"stream": true``: the answer as Server-Sent Events while it is made.

Events: ``delta`` (``{"text": ...}``) for each piece of the answer as it is written, then ``done``
with the whole ``ChatResponse`` (session, citations, ``grounded``, usage), or ``error`` (a
problem object) when the turn fails after the stream started. The turn is saved once the answer
ends, also when the client went away midway (``service.chat``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from shared.chat.api import ChatRequest
from shared.chat.streaming import Finished, pieces_then_result
from shared.http.streams import STREAM_FAILED, error_event, sse_event


def check_request(request: ChatRequest) -> None:
    """What would be refused before the stream starts, refused now (413 for a long message)."""
    from shared.chat.service import check_message_length

    check_message_length(request.message)


async def chat_events(user_id: str, request: ChatRequest) -> AsyncIterator[Any]:
    """The events of one turn (see the module docstring)."""
    from shared.chat.service import chat

    try:
        async with aclosing(pieces_then_result(lambda sink: chat(user_id, request, sink))) as items:
            async for item in items:
                if isinstance(item, Finished):
                    yield sse_event(item.result.model_dump_json(by_alias=True), event="done")
                else:
                    yield sse_event({"text": item}, event="delta")
    except Exception as exc:
        yield error_event(exc, "chat stream")
        yield STREAM_FAILED
