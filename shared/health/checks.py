"""Dependency checks: each backing store probed with one cheap call, all in parallel, bounded.

A check never raises: it reports ``ok``, its latency and, when it fails, a one-line error without
secrets. ``overall_ok`` is False when a required dependency failed (the endpoint answers 503).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from pydantic import BaseModel

CHECK_TIMEOUT_SECONDS = 5.0


class DependencyStatus(BaseModel):
    """One dependency's state as reported by ``GET /api/services/status``."""

    name: str
    ok: bool
    required: bool
    latency_ms: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class DependencyCheck:
    """A named probe; ``probe`` raises when the dependency is not usable."""

    name: str
    probe: Callable[[], object]
    required: bool = True


# The store clients are imported inside each probe: the drivers (qdrant-client above all) take
# hundreds of milliseconds to import, and importing the app must stay cheap.


def _redis() -> object:
    from shared.stores.redis import get_redis

    return get_redis().ping()


def _postgres() -> object:
    from shared.stores.postgres import get_pool

    with get_pool().connection(timeout=3) as conn:
        return conn.execute("SELECT 1").fetchone()


def _blob() -> object:
    from shared.stores.storage import get_blob_service

    return get_blob_service().get_service_properties()


def _queue() -> object:
    from shared.stores.storage import get_queue_service

    return get_queue_service().get_service_properties()


def _qdrant() -> object:
    from shared.stores.qdrant import get_qdrant

    return get_qdrant().get_collections()


DEFAULT_CHECKS: tuple[DependencyCheck, ...] = (
    DependencyCheck("redis", _redis),
    DependencyCheck("postgres", _postgres),
    DependencyCheck("blob", _blob),
    DependencyCheck("queue", _queue),
    DependencyCheck("qdrant", _qdrant),
)

_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")


def _describe(exc: BaseException) -> str:
    # The first line of the message only: drivers put connection strings in later lines.
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300]


def _run(check: DependencyCheck) -> DependencyStatus:
    started = time.perf_counter()
    try:
        check.probe()
    except Exception as exc:
        return DependencyStatus(
            name=check.name,
            ok=False,
            required=check.required,
            error=_describe(exc),
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )
    return DependencyStatus(
        name=check.name,
        ok=True,
        required=check.required,
        latency_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def check_dependencies(
    checks: Iterable[DependencyCheck] = DEFAULT_CHECKS, timeout: float = CHECK_TIMEOUT_SECONDS
) -> list[DependencyStatus]:
    """Run every check concurrently; one still running after ``timeout`` counts as failed."""
    checks = list(checks)
    futures = {_executor.submit(_run, check): check for check in checks}
    wait(futures, timeout=timeout)
    results = []
    for future, check in futures.items():
        if future.done():
            results.append(future.result())
        else:
            results.append(
                DependencyStatus(
                    name=check.name,
                    ok=False,
                    required=check.required,
                    error=f"no answer within {timeout:g} s",
                )
            )
    return results


def overall_ok(statuses: Iterable[DependencyStatus]) -> bool:
    """True when every required dependency answered."""
    return all(status.ok for status in statuses if status.required)
