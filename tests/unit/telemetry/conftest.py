"""The SDK's in-memory exporter and metric reader on this process's providers.

The global providers can be set once per process: when an earlier in-process test already
started telemetry, the exporter and the reader are added to those providers; otherwise SDK
providers are installed here (the code under test records through the global ones).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@dataclass
class Memory:
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found


@pytest.fixture(scope="session")
def _memory() -> Memory:
    # tests/conftest.py sets OTEL_SDK_DISABLED for in-process tests; providers read it when made.
    saved = os.environ.get("OTEL_SDK_DISABLED")
    os.environ["OTEL_SDK_DISABLED"] = "false"
    try:
        tracer_provider = trace.get_tracer_provider()
        if not isinstance(tracer_provider, TracerProvider):
            tracer_provider = TracerProvider()
            trace.set_tracer_provider(tracer_provider)
        meter_provider = metrics.get_meter_provider()
        if not isinstance(meter_provider, MeterProvider):
            meter_provider = MeterProvider()
            metrics.set_meter_provider(meter_provider)
    finally:
        if saved is None:
            del os.environ["OTEL_SDK_DISABLED"]
        else:
            os.environ["OTEL_SDK_DISABLED"] = saved
    spans = InMemorySpanExporter()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider.add_metric_reader(reader)
    return Memory(spans, reader)


@pytest.fixture
def memory(_memory: Memory) -> Memory:
    _memory.spans.clear()
    _memory.reader.get_metrics_data()  # cumulative: tests compare before and after
    return _memory
