"""Spans for model work, with its size: texts embedded, audio seconds, characters synthesized,
tokens generated; and the rates derived from them (speech real-time factor, LLM tokens per
second) as metrics. Attributes are sizes and model names only, never the text or the audio.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace

from shared.telemetry.metrics import instruments

TRACER = "ml-platform.models"


@contextlib.contextmanager
def model_span(operation: str, model: str, **sizes: int | float) -> Iterator[Any]:
    """An INTERNAL span ``<operation> <model>`` with ``platform.model.<size>`` attributes; the
    block may add more sizes once known (``span.set_attribute``)."""
    attributes: dict[str, Any] = {
        "platform.model.name": model,
        "platform.model.operation": operation,
    }
    attributes.update({f"platform.model.{name}": value for name, value in sizes.items()})
    with _tracer().start_as_current_span(f"{operation} {model}", attributes=attributes) as span:
        yield span


def record_model_load(model: str, seconds: float) -> None:
    """How long loading ``model`` took (once per process and model)."""
    instruments().model_load.record(seconds, {"platform.model.name": model})


def record_speech_rate(direction: str, processing_seconds: float, audio_seconds: float) -> None:
    """Speech real-time factor: processing time over audio time (``direction``: stt or tts)."""
    if audio_seconds > 0:
        instruments().speech_rtf.record(
            processing_seconds / audio_seconds, {"platform.speech.direction": direction}
        )


def record_generation(model: str, tokens: int, seconds: float) -> None:
    """Tokens generated per second of an LLM call."""
    if tokens > 0 and seconds > 0:
        instruments().llm_tokens_per_second.record(tokens / seconds, {"platform.model.name": model})


def counted_generation(model: str, pieces: Iterator[str]) -> Iterator[str]:
    """``pieces`` (one token each) unchanged; tokens per second recorded once they end.
    Closing this closes ``pieces`` (which stops the generation)."""
    clock = Stopwatch()
    count = 0
    try:
        for piece in pieces:
            count += 1
            yield piece
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
        record_generation(model, count, clock.elapsed)


class Stopwatch:
    """Seconds since creation (``elapsed``)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


@functools.cache
def _tracer() -> trace.Tracer:
    # Cached: get_tracer costs more than the span it makes. Before a provider is set this is the
    # API's proxy, which switches to the real tracer once one is.
    return trace.get_tracer(TRACER)
