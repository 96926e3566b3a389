"""What the chat model is doing in this process now: streamed generations in progress and the
text pieces they produced, shown in ``GET /api/services/status``. A client that goes away must
stop the model; these figures are how an operator (and the tests) can see that it did."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_in_flight = 0
_pieces = 0


@contextmanager
def streamed_generation() -> Iterator[None]:
    """Count one streamed generation as in progress for the ``with`` block."""
    global _in_flight  # noqa: PLW0603 - a process-wide gauge
    with _lock:
        _in_flight += 1
    try:
        yield
    finally:
        with _lock:
            _in_flight -= 1


def count_piece() -> None:
    """One more piece of text generated."""
    global _pieces  # noqa: PLW0603 - a process-wide counter
    with _lock:
        _pieces += 1


def llm_activity() -> dict[str, int]:
    """``generations_in_flight`` now, and ``pieces_generated`` since the process started."""
    with _lock:
        return {"generations_in_flight": _in_flight, "pieces_generated": _pieces}
