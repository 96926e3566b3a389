"""``DependencyCheck``: a named probe of one dependency, as features declare theirs (the LLM's in
``shared/llm/health.py``) and ``shared/health/checks.py`` runs them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DependencyCheck:
    """A named probe; ``probe`` raises when the dependency is not usable."""

    name: str
    probe: Callable[[], object]
    required: bool = True
    breaker: str | None = None  # the shared.resilience breaker whose state is reported
