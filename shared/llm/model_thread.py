"""One thread for everything the embedded model does.

llama.cpp (built with OpenMP) gives each thread that first runs the model a team of compute
threads. Once two threads of the process have run it, the two teams compete for the cores and
generation runs at a third of its speed on 2 cores, in every thread, from then on (measured:
84 -> 30 tokens/s). So the model is loaded, asked and streamed on this one thread only; callers
on any other thread hand their work over and wait (``on_model_thread``), and a stream is
relayed piece by piece (``relayed``). The model serves one generation at a time anyway.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

ResultT = TypeVar("ResultT")

THREAD_NAME = "llm-model"
_STOP_WAIT_SECONDS = 30.0


@functools.cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)


def _on_it() -> bool:
    return threading.current_thread().name.startswith(THREAD_NAME)


def on_model_thread(function: Callable[..., ResultT], *args: Any, **kwargs: Any) -> ResultT:
    """``function(*args, **kwargs)`` on the model's thread (directly when already on it)."""
    if _on_it():
        return function(*args, **kwargs)
    return _executor().submit(function, *args, **kwargs).result()


def relayed(make: Callable[[], Iterator[str]]) -> Iterator[str]:
    """The pieces of ``make()`` (a generator run on the model's thread) as they are produced.
    Closing the returned iterator stops the generation at its next piece, and waits for it."""
    if _on_it():
        return make()
    return _relay(make)


def _relay(make: Callable[[], Iterator[str]]) -> Iterator[str]:
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def produce() -> None:
        try:
            generation = make()
            try:
                for piece in generation:
                    pieces.put(("piece", piece))
                    if stop.is_set():
                        break
            finally:
                close = getattr(generation, "close", None)
                if close is not None:
                    close()
            pieces.put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            pieces.put(("error", exc))

    running = _executor().submit(produce)
    try:
        while True:
            kind, value = pieces.get()
            if kind == "piece":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        stop.set()
        running.result(timeout=_STOP_WAIT_SECONDS)
