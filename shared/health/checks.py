"""Dependency checks: each backing store probed with one cheap call, all in parallel, bounded.

A check never raises: it reports ``ok``, its latency and, when it fails, a one-line error without
secrets. ``overall_ok`` is False when a required dependency failed (the endpoint answers 503).

Each entry also carries its circuit breaker's state in this process (``shared.resilience``): the
probe itself bypasses the breaker (a status page must say whether the dependency answers *now*),
and its outcome is not counted (only real traffic opens and closes breakers). The graph, the LLM
and the model runtimes are reported but not required: the features that use them degrade.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait

from pydantic import BaseModel

from shared.health.probe import DependencyCheck

CHECK_TIMEOUT_SECONDS = 5.0


class DependencyStatus(BaseModel):
    """One dependency's state as reported by ``GET /api/services/status``."""

    name: str
    ok: bool
    required: bool
    latency_ms: float | None = None
    error: str | None = None
    detail: str | None = None  # e.g. how many of a runtime's models this instance has loaded
    breaker: str | None = None  # closed, open or half_open; None: no breaker guards it
    breaker_failures: int | None = None  # consecutive failures the breaker has counted
    breaker_retry_after: float | None = None  # seconds until an open breaker probes again


# The store clients are imported inside each probe: the drivers (qdrant-client above all) take
# hundreds of milliseconds to import, and importing the app must stay cheap.


def _redis() -> object:
    from shared.stores.redis import RedisService, get_redis

    return get_redis(RedisService.HEALTH).ping()


def _postgres() -> object:
    from shared.stores.postgres import PostgresService, get_pool

    # The health role may connect and SELECT 1, and use no table.
    with get_pool(PostgresService.HEALTH).connection(timeout=3) as conn:
        return conn.execute("SELECT 1").fetchone()


def _blob() -> object:
    from shared.stores.storage import get_blob_service

    return get_blob_service().get_service_properties()


def _queue() -> object:
    from shared.stores.storage import get_queue_service

    return get_queue_service().get_service_properties()


def _vectors() -> str:
    # The store in force (pgvector by default, Qdrant with QDRANT_URL): its kind is the detail.
    from shared.vectors.factory import get_vector_store

    store = get_vector_store()
    store.ping()
    return store.kind


def _graph() -> object:
    # One trivial statement (RETURN 1). The embedded store opens its file on this first call, so
    # a process that cannot get the file's lock (another process holds it) reports it here.
    from shared.graph import get_graph

    get_graph().ping()
    return None


def _llm() -> object:
    from shared.llm.health import LLM_CHECK

    return LLM_CHECK.probe()


# Model runtimes: the module each needs, checked with find_spec (nothing is imported or loaded).
RUNTIME_MODULES = {
    "openvino": "openvino",
    "onnxruntime": "onnxruntime",
    "ctranslate2": "ctranslate2",
}


def _runtime_probe(runtime: str) -> Callable[[], object]:
    def probe() -> str:
        if importlib.util.find_spec(RUNTIME_MODULES[runtime]) is None:
            raise ModuleNotFoundError(f"{RUNTIME_MODULES[runtime]} is not installed")
        from shared.inference.catalog import CATALOG

        models = [m for m in CATALOG.status() if m.runtime.split(" ", 1)[0] == runtime]
        loaded = sum(m.loaded for m in models)
        return f"{loaded} of {len(models)} registered models loaded"

    return probe


REQUIRED_CHECKS: tuple[DependencyCheck, ...] = (
    DependencyCheck("redis", _redis, breaker="redis"),
    DependencyCheck("postgres", _postgres, breaker="postgres"),
    DependencyCheck("blob", _blob, breaker="blob"),
    DependencyCheck("queue", _queue, breaker="queue"),
    DependencyCheck("vectors", _vectors, breaker="vectors"),
)
OPTIONAL_CHECKS: tuple[DependencyCheck, ...] = (
    DependencyCheck("graph", _graph, required=False, breaker="graph"),
    DependencyCheck("llm", _llm, required=False, breaker="llm"),
    *(
        DependencyCheck(f"runtime:{runtime}", _runtime_probe(runtime), required=False)
        for runtime in RUNTIME_MODULES
    ),
)
DEFAULT_CHECKS: tuple[DependencyCheck, ...] = REQUIRED_CHECKS + OPTIONAL_CHECKS

_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")


def _describe(exc: BaseException) -> str:
    # The first line of the message only: drivers put connection strings in later lines.
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300]


def _run(check: DependencyCheck) -> DependencyStatus:
    started = time.perf_counter()
    try:
        result = check.probe()
    except Exception as exc:
        return _with_breaker(
            check,
            DependencyStatus(
                name=check.name,
                ok=False,
                required=check.required,
                error=_describe(exc),
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
            ),
        )
    return _with_breaker(
        check,
        DependencyStatus(
            name=check.name,
            ok=True,
            required=check.required,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            detail=result if isinstance(result, str) else None,
        ),
    )


def _with_breaker(check: DependencyCheck, status: DependencyStatus) -> DependencyStatus:
    if check.breaker is None:
        return status
    from shared.resilience import breaker

    snapshot = breaker(check.breaker).snapshot()
    status.breaker = snapshot.state.value
    status.breaker_failures = snapshot.failures
    status.breaker_retry_after = snapshot.retry_after
    return status


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
                _with_breaker(
                    check,
                    DependencyStatus(
                        name=check.name,
                        ok=False,
                        required=check.required,
                        error=f"no answer within {timeout:g} s",
                    ),
                )
            )
    return results


def overall_ok(statuses: Iterable[DependencyStatus]) -> bool:
    """True when every required dependency answered."""
    return all(status.ok for status in statuses if status.required)
