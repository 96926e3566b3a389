"""Answers that leave while the model writes them.

``TextSink`` is what the chat pipeline hands its text to (``service.answer(on_text=...)``): each
piece goes to the client as soon as the model produces it. When the client has gone away, the sink
says so (``stopped``) and the pipeline stops the model at its next piece.

``pieces_then_result`` runs a pipeline (a blocking function taking the sink) in a worker thread
and yields its pieces as they come, then its result: the async side of a streamed response.
Closing the iterator early (a disconnect) stops the sink, so the model stops, and waits until the
worker thread is done, so nothing keeps running for a client that left.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio

from shared.http.executor import run_blocking

ResultT = TypeVar("ResultT")


class TextSink:
    """Where a streamed answer's pieces go; ``stopped`` once the receiver has gone away."""

    def __init__(self, send: Callable[[str], bool]) -> None:
        self._send = send
        self.stopped = False

    def __call__(self, piece: str) -> None:
        if not self.stopped and piece:
            self.stopped = not self._send(piece)


@dataclass(frozen=True)
class Finished(Generic[ResultT]):
    """The pipeline's result, after its last piece."""

    result: ResultT


def pieces_then_result(
    work: Callable[[TextSink], ResultT],
) -> AsyncGenerator[str | Finished[ResultT]]:
    """``work(sink)`` in a worker thread, in the context of the request that called this (taken
    now: the stream is read after the handler returned); its pieces as they are produced, then
    ``Finished``. An exception of ``work`` is raised there, after the pieces sent before it."""
    context = contextvars.copy_context()
    return _pieces(lambda sink: context.copy().run(work, sink))


async def _pieces(work: Callable[[TextSink], ResultT]) -> AsyncGenerator[str | Finished[ResultT]]:
    loop = asyncio.get_running_loop()
    pieces: asyncio.Queue[str] = asyncio.Queue()
    gone = threading.Event()

    def send(piece: str) -> bool:
        if gone.is_set():
            return False
        loop.call_soon_threadsafe(pieces.put_nowait, piece)
        return True

    task = asyncio.ensure_future(run_blocking(work, TextSink(send)))
    try:
        while True:
            getter = asyncio.ensure_future(pieces.get())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield getter.result()
                continue
            getter.cancel()
            while not pieces.empty():
                yield pieces.get_nowait()
            yield Finished(task.result())
            return
    finally:
        gone.set()
        with anyio.CancelScope(shield=True):
            await asyncio.wait({task})  # the model stops at its next piece; wait for the thread
