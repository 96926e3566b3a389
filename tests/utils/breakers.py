"""Breaker settings for the outage tests: a context that sets them and forgets them after."""

from __future__ import annotations

from collections.abc import Iterator
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
