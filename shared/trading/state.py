"""What this process knows about the trading model, readable without loading anything heavy
(``GET /api/health`` reports it: liveness only, no store is touched)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

BASELINE_VERSION = "baseline-rules-1"


@dataclass(frozen=True)
class ModelState:
    loaded: bool
    version: str


_lock = threading.Lock()
_state = ModelState(loaded=False, version=BASELINE_VERSION)


def current() -> ModelState:
    """Whether a registered trading model is loaded here, and the version decisions use."""
    return _state


def set_loaded(version: str | None) -> None:
    """Record the loaded model's version, or None when decisions use the baseline."""
    global _state  # noqa: PLW0603 - process state read by /api/health
    with _lock:
        _state = ModelState(loaded=version is not None, version=version or BASELINE_VERSION)
