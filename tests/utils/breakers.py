"""Breaker settings for the outage tests (a context that sets them and forgets them after), and
a timer for calls that may fail."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from shared.config import reset_settings
from shared.resilience import reset_breakers


@contextmanager
def breakers(
    monkeypatch: pytest.MonkeyPatch, *, threshold: int, open_seconds: float
) -> Iterator[pytest.MonkeyPatch]:
    """Breakers opening after ``threshold`` failures for ``open_seconds``, one half-open probe;
    every environment change made through the yielded monkeypatch is undone afterwards, and
    settings and breakers are fresh on both sides."""
    monkeypatch.setenv("BREAKER_FAILURE_THRESHOLD", str(threshold))
    monkeypatch.setenv("BREAKER_OPEN_SECONDS", str(open_seconds))
    monkeypatch.setenv("BREAKER_HALF_OPEN_PROBES", "1")
    reset_settings()
    reset_breakers()
    try:
        yield monkeypatch
    finally:
        monkeypatch.undo()
        reset_settings()
        reset_breakers()


def timed(call: Callable[[], object]) -> tuple[object, float]:
    """``call()``'s value, or the exception it raised, and the seconds it took."""
    started = time.perf_counter()
    try:
        return call(), time.perf_counter() - started
    except Exception as exc:  # the test inspects it
        return exc, time.perf_counter() - started
