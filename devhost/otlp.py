"""A small OTLP/HTTP receiver: collects the spans, metric points and log records that real
processes (devhost, the job runner) export with ``OTEL_EXPORTER_OTLP_ENDPOINT`` pointing at it.

It decodes the protobuf bodies with ``opentelemetry-proto`` (the exporter's own message types) and
keeps plain records, so a test can ask "every span of this trace" or "is this text anywhere".
Used by the propagation and secret tests and by ``python -m bench telemetry``; and by hand,
``python -m devhost.otlp [--port 4318]`` prints each span as it arrives (a developer's view of the
traces without Azure or the compose stack).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    attributes: dict[str, Any]


@dataclass(frozen=True)
class LogRecord:
    service: str
    body: str
    trace_id: str
    span_id: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class MetricPoint:
    service: str
    name: str
    attributes: dict[str, Any]
    value: float  # a sum or gauge value, or a histogram's count


@dataclass
class Received:
    """Everything the receiver decoded so far (appended from the server's threads)."""

    spans: list[Span] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    metrics: list[MetricPoint] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # every body as received
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> tuple[list[Span], list[LogRecord], list[MetricPoint]]:
        with self.lock:
            return list(self.spans), list(self.logs), list(self.metrics)


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind)


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


def _service(resource: Any) -> str:
    return str(_attributes(resource.attributes).get("service.name", ""))


def _spans(body: bytes) -> list[Span]:
    request = ExportTraceServiceRequest.FromString(body)
    return [
        Span(
            service=_service(rs.resource),
            name=s.name,
            trace_id=s.trace_id.hex(),
            span_id=s.span_id.hex(),
            parent_span_id=s.parent_span_id.hex(),
            kind=s.kind,
            attributes=_attributes(s.attributes),
        )
        for rs in request.resource_spans
        for ss in rs.scope_spans
        for s in ss.spans
    ]


def _logs(body: bytes) -> list[LogRecord]:
    request = ExportLogsServiceRequest.FromString(body)
    return [
        LogRecord(
            service=_service(rl.resource),
            body=str(_value(r.body)),
            trace_id=r.trace_id.hex(),
            span_id=r.span_id.hex(),
            attributes=_attributes(r.attributes),
        )
        for rl in request.resource_logs
        for sl in rl.scope_logs
        for r in sl.log_records
    ]


def _metrics(body: bytes) -> list[MetricPoint]:
    request = ExportMetricsServiceRequest.FromString(body)
    points = []
    for rm in request.resource_metrics:
        service = _service(rm.resource)
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                if kind is None:
                    continue
                for p in getattr(metric, kind).data_points:
                    if kind in {"histogram", "exponential_histogram"}:
                        value = float(p.count)
                    else:
                        value = float(p.as_double if p.HasField("as_double") else p.as_int)
                    points.append(
                        MetricPoint(service, metric.name, _attributes(p.attributes), value)
                    )
    return points


_DECODERS = {
    "/v1/traces": ("spans", _spans),
    "/v1/logs": ("logs", _logs),
    "/v1/metrics": ("metrics", _metrics),
}


def _handler(received: Received) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            decoder = _DECODERS.get(self.path)
            if decoder is None:
                self.send_response(404)
                self.end_headers()
                return
            attribute, decode = decoder
            items = decode(body)
            with received.lock:
                received.raw.append(body)
                getattr(received, attribute).extend(items)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def otlp_receiver(port: int = 0) -> Iterator[tuple[str, Received]]:
    """Serve on ``port`` (0: a free one); yields the endpoint (``OTEL_EXPORTER_OTLP_ENDPOINT``)
    and what it received."""
    received = Received()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(received))
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """Print spans as they arrive until interrupted (see the module docstring)."""
    import argparse
    import time

    parser = argparse.ArgumentParser(
        prog="python -m devhost.otlp", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--port", type=int, default=4318)
    port = parser.parse_args().port
    with otlp_receiver(port) as (endpoint, received):
        print(f"OTLP/HTTP receiver on {endpoint}: set OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}")
        shown = 0
        try:
            while True:
                time.sleep(0.5)
                spans, _, _ = received.snapshot()
                for span in spans[shown:]:
                    status = span.attributes.get("http.response.status_code", "")
                    print(f"{span.trace_id} {span.service:<22} {span.name} {status}")
                shown = len(spans)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
