"""One breaker per dependency per process, and ``guard``: the way every feature uses them.

Each process (Functions worker, job container) keeps its own breakers and learns on its own that a
dependency is down: there is no shared state to reach when the dependency that holds it (Redis)
may be the one that is down. With ``BREAKER_FAILURE_THRESHOLD`` failures to open, an instance
pays at most that many timeouts before it answers at once.

Usage, at the seam where a feature already maps driver errors to 503::

    with guard("postgres", counts=(psycopg.OperationalError, PoolTimeout)):
        ... the calls ...

Inside the block, an exception of a ``counts`` type is a failure of the dependency and a normal
exit is a success. Any other exception (a 404, a 422, another store failing in the same block, a
bug, a cancellation) is no verdict: it neither counts nor resets the count (a half-open probe
slot is given back). A ``DependencyOpenError`` from another, nested breaker never counts here.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from shared.errors import ServiceUnavailableError
from shared.resilience.breaker import BreakerSnapshot, CircuitBreaker, DependencyOpenError

# The dependencies every instance reports, in the order of ``GET /api/services/status``.
DEPENDENCIES = ("redis", "postgres", "vectors", "graph", "blob", "queue", "llm")

_lock = threading.Lock()
_breakers: dict[str, CircuitBreaker] = {}


def breaker(name: str) -> CircuitBreaker:
    """The process-wide breaker for ``name``, built from settings on first use."""
    found = _breakers.get(name)
    if found is not None:
        return found
    from shared.config import get_settings

    settings = get_settings()
    with _lock:
        return _breakers.setdefault(
            name,
            CircuitBreaker(
                name,
                threshold=settings.breaker_failure_threshold,
                open_seconds=settings.breaker_open_seconds,
                probes=settings.breaker_half_open_probes,
            ),
        )


def breaker_states() -> dict[str, BreakerSnapshot]:
    """Every known breaker's state, the standard dependencies first (created if need be)."""
    for name in DEPENDENCIES:
        breaker(name)
    with _lock:
        others = sorted(name for name in _breakers if name not in DEPENDENCIES)
        found = (_breakers.get(name) for name in (*DEPENDENCIES, *others))
        breakers = [b for b in found if b is not None]  # a concurrent reset may drop some
    return {b.name: b.snapshot() for b in breakers}


def reset_breakers() -> None:
    """Forget every breaker (tests; settings changed). Breakers in use keep working, unshared."""
    with _lock:
        _breakers.clear()


@contextlib.contextmanager
def guard(
    name: str,
    counts: tuple[type[BaseException], ...] = (ServiceUnavailableError,),
) -> Iterator[None]:
    """Run the block through ``name``'s breaker (see the module docstring).

    Raises ``DependencyOpenError`` (503, Retry-After) at once while the breaker is open."""
    with protect(breaker(name), counts):
        yield


@contextlib.contextmanager
def protect(
    circuit: CircuitBreaker,
    counts: tuple[type[BaseException], ...] = (ServiceUnavailableError,),
) -> Iterator[None]:
    """``guard`` for a given breaker object (an injected one, e.g. in a persistence layer)."""
    ticket = circuit.admit()
    try:
        yield
    except DependencyOpenError:
        circuit.release(ticket)  # another dependency's verdict, not this one's
        raise
    except counts:
        circuit.record(ticket, failed=True)
        raise
    except BaseException:
        # Not this dependency's failure (a 404, another store in the same block, a bug, a
        # cancellation): no verdict either way.
        circuit.release(ticket)
        raise
    else:
        circuit.record(ticket, failed=False)
