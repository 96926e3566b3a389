"""The metric names the app really emits, read from a real SDK meter provider, and the names they
take in Prometheus (through the Collector's Prometheus exporter) and in Application Insights."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    InMemoryMetricReader,
    Sum,
)

from shared.telemetry.metrics import create_instruments, watch_pools
from shared.telemetry.setup import PROCESS_METRICS
from tests.unit.infra.support import ROOT

UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "By": "bytes", "1": "ratio"}


@dataclass(frozen=True)
class EmittedMetric:
    name: str  # the OpenTelemetry name (Application Insights' customMetrics name)
    unit: str
    kind: str  # histogram, counter, updowncounter, gauge


@functools.cache
def emitted_metrics() -> dict[str, EmittedMetric]:
    """Every platform instrument plus the process metrics, each recorded once and read back, in
    a fresh interpreter (instrumentors are per-process singletons: this one's may be in use)."""
    completed = subprocess.run(
        [sys.executable, "-c", f"import {__name__} as m; m._print_emitted()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OTEL_SDK_DISABLED": "false"},  # the SDK honours it: no-op meters
    )
    return {m["name"]: EmittedMetric(**m) for m in json.loads(completed.stdout)}


def _print_emitted() -> None:
    print(json.dumps([vars(m) for m in _collect().values()]))


def _collect() -> dict[str, EmittedMetric]:
    from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    made = create_instruments(provider.get_meter("names"))
    for field in made.__dataclass_fields__:
        instrument = getattr(made, field)
        for method in ("record", "add", "set"):
            if hasattr(instrument, method):
                getattr(instrument, method)(1, {"probe": "1"})
                break
    pool = {"pool_size": 2, "pool_available": 1, "requests_waiting": 0}
    watch_pools(lambda: [("platform-probe", pool)], provider.get_meter("names"))
    system = SystemMetricsInstrumentor(config=PROCESS_METRICS)
    system.instrument(meter_provider=provider)
    try:
        data = reader.get_metrics_data()
    finally:
        system.uninstrument()
    found: dict[str, EmittedMetric] = {}
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found[metric.name] = EmittedMetric(
                    metric.name, metric.unit or "", _kind(metric.data)
                )
    return found


def _kind(data: object) -> str:
    if isinstance(data, Histogram):
        return "histogram"
    if isinstance(data, Sum):
        return "counter" if data.is_monotonic else "updowncounter"
    if isinstance(data, Gauge):
        return "gauge"
    return "other"


def prometheus_base(metric: EmittedMetric) -> str:
    """The Collector's Prometheus name (suffixes on): dots to underscores, the unit as a word
    (annotations such as ``{request}`` dropped, ``/s`` as ``per_second``), ``_total`` on
    counters."""
    tokens = metric.name.replace(".", "_").split("_")
    main, _, per = re.sub(r"\{[^}]*\}", "", metric.unit).partition("/")
    word = UNIT_WORDS.get(main, "") if main != "1" or metric.kind == "gauge" else ""
    if word and word not in tokens:
        tokens.append(word)
    per_word = {"s": "second", "m": "minute", "h": "hour"}.get(per, "")
    if per_word and per_word not in tokens:
        tokens += ["per", per_word]
    if metric.kind == "counter":
        tokens.append("total")
    return "_".join(tokens)


@functools.cache
def prometheus_names() -> frozenset[str]:
    """Every series name Prometheus will hold for the app's metrics."""
    names = set()
    for metric in emitted_metrics().values():
        base = prometheus_base(metric)
        if metric.kind == "histogram":
            names |= {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
        else:
            names.add(base)
    return frozenset(names)


def metric_names_in_promql(expression: str) -> set[str]:
    """The metric names a PromQL expression reads (label lists and matchers left out)."""
    stripped = re.sub(r"\{[^}]*\}", "", expression)
    stripped = re.sub(r"\b(by|without)\s*\([^)]*\)", "", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)
    words = set(re.findall(r"\b[a-zA-Z_][a-zA-Z0-9_]*\b", stripped))
    functions = {"sum", "rate", "increase", "max", "avg", "min", "histogram_quantile", "clamp_min"}
    return {w for w in words if "_" in w and w not in functions}
