"""The platform's metric instruments, created once on first use from the global meter provider.

Names follow the OpenTelemetry semantic conventions where one exists (``http.server.request.
duration``, ``db.client.connection.count``); the platform's own are under ``platform.``. Units are
UCUM (``s``, ``{request}``); through the Collector's Prometheus exporter a name becomes
``http_server_request_duration_seconds`` and a counter gains ``_total``. Attributes are low
cardinality and never carry a payload, a key or a user's text: routes are templates, tenants are
owner ids.

Before :func:`shared.telemetry.start_telemetry` the API's proxy meter hands out instruments that
forward to the real provider once one is set, and record nothing until then.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

METER = "ml-platform"
# Seconds, from a cached Redis answer to a long job (the SDK's default buckets are for ms).
DURATION_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    900.0,
)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
RATIO_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
RATE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


@dataclass(frozen=True)
class Instruments:
    """Every instrument the platform records (see the README's telemetry section)."""

    request_duration: Any
    idempotency: Any
    breaker_transitions: Any
    batch_size: Any
    batch_wait: Any
    queue_depth: Any
    queue_wait: Any
    job_duration: Any
    model_load: Any
    speech_rtf: Any
    llm_tokens_per_second: Any
    db_slow_queries: Any


@functools.cache
def instruments() -> Instruments:
    """The instruments (created on the first call)."""
    return create_instruments(metrics.get_meter(METER))


def create_instruments(meter: metrics.Meter) -> Instruments:
    """Every instrument, made by ``meter`` (the global one, or a test's)."""

    def seconds(name: str, description: str) -> Any:
        return meter.create_histogram(
            name,
            unit="s",
            description=description,
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )

    return Instruments(
        request_duration=seconds("http.server.request.duration", "HTTP requests by route"),
        idempotency=meter.create_counter(
            "platform.idempotency.requests",
            unit="{request}",
            description="Idempotent calls by outcome: hit (replayed), miss (ran), conflict",
        ),
        breaker_transitions=meter.create_counter(
            "platform.breaker.transitions",
            unit="{transition}",
            description="Circuit-breaker state changes, by breaker and new state",
        ),
        batch_size=meter.create_histogram(
            "platform.batch.size",
            unit="{item}",
            description="Items per micro-batch",
            explicit_bucket_boundaries_advisory=SIZE_BUCKETS,
        ),
        batch_wait=seconds("platform.batch.wait", "Time an item waited for its micro-batch"),
        queue_depth=meter.create_gauge(
            "platform.jobs.queue.depth",
            unit="{message}",
            description="Messages waiting in a job kind's queue (approximate)",
        ),
        queue_wait=seconds("platform.jobs.queue.wait", "From a job's submission to its start"),
        job_duration=seconds("platform.jobs.duration", "Job runs by kind and outcome"),
        model_load=seconds("platform.model.load.duration", "Model load time"),
        speech_rtf=meter.create_histogram(
            "platform.speech.real_time_factor",
            unit="1",
            description="Processing time over audio time (below 1: faster than real time)",
            explicit_bucket_boundaries_advisory=RATIO_BUCKETS,
        ),
        llm_tokens_per_second=meter.create_histogram(
            "platform.llm.tokens_per_second",
            unit="{token}/s",
            description="Tokens generated per second of generation",
            explicit_bucket_boundaries_advisory=RATE_BUCKETS,
        ),
        db_slow_queries=meter.create_counter(
            "platform.db.slow_queries",
            unit="{query}",
            description="Queries slower than DB_SLOW_QUERY_SECONDS",
        ),
    )


PoolStats = Callable[[], Iterable[tuple[str, Mapping[str, int]]]]


def watch_pools(stats: PoolStats, meter: metrics.Meter | None = None) -> None:
    """Report database pools' connections (used, idle) and waiting requests when metrics are
    read; ``stats`` yields ``(pool name, psycopg_pool stats)`` for every open pool."""
    meter = meter or metrics.get_meter(METER)

    def connections(_options: CallbackOptions) -> Iterator[Observation]:
        for name, values in stats():
            size, idle = values.get("pool_size", 0), values.get("pool_available", 0)
            yield Observation(
                size - idle,
                {"db.client.connection.pool.name": name, "db.client.connection.state": "used"},
            )
            yield Observation(
                idle, {"db.client.connection.pool.name": name, "db.client.connection.state": "idle"}
            )

    def waiting(_options: CallbackOptions) -> Iterator[Observation]:
        for name, values in stats():
            yield Observation(
                values.get("requests_waiting", 0), {"db.client.connection.pool.name": name}
            )

    meter.create_observable_up_down_counter(
        "db.client.connection.count",
        [connections],
        unit="{connection}",
        description="Database pool connections by state (used, idle)",
    )
    meter.create_observable_up_down_counter(
        "db.client.connection.pending_requests",
        [waiting],
        unit="{request}",
        description="Requests waiting for a database pool connection",
    )


_IDEMPOTENCY_OUTCOMES = {0: "miss", 1: "hit", 2: "conflict", 3: "mismatch"}


def record_idempotency(status_value: int, kind: str) -> None:
    """One idempotent call's outcome (a ``ClaimStatus`` value): hit (replayed), miss (ran),
    conflict (in progress elsewhere) or mismatch (key reused); ``kind`` is http or message."""
    outcome = _IDEMPOTENCY_OUTCOMES.get(status_value, "other")
    instruments().idempotency.add(
        1, {"platform.idempotency.outcome": outcome, "platform.idempotency.kind": kind}
    )
