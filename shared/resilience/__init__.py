"""Resilience: one circuit breaker per dependency, shared by every feature (see breaker.py for the
state machine and why it is our own, registry.py for ``guard`` and the per-process registry)."""

from shared.resilience.breaker import (
    BreakerSnapshot,
    BreakerState,
    CircuitBreaker,
    DependencyOpenError,
)
from shared.resilience.registry import (
    DEPENDENCIES,
    breaker,
    breaker_states,
    guard,
    protect,
    reset_breakers,
)
from shared.resilience.seams import postgres_guard, redis_guard, storage_guard

__all__ = [
    "DEPENDENCIES",
    "BreakerSnapshot",
    "BreakerState",
    "CircuitBreaker",
    "DependencyOpenError",
    "breaker",
    "breaker_states",
    "guard",
    "postgres_guard",
    "protect",
    "redis_guard",
    "reset_breakers",
    "storage_guard",
]
