"""Starting OpenTelemetry in a process: providers, exporter, instrumentations. Once per process.

    APPLICATIONINSIGHTS_CONNECTION_STRING set  Azure Monitor distro (traces, metrics, logs)
    else OTEL_EXPORTER_OTLP_ENDPOINT set        OTLP/HTTP protobuf (no gRPC) to that endpoint
    else                                        spans and metrics are made (trace ids in the
                                                logs, a client's traceparent honoured) but
                                                exported nowhere
    OTEL_SDK_DISABLED=true                      no SDK at all: the API's no-op objects

Every mode adds client spans for Redis, PostgreSQL (psycopg 3), outbound HTTP (httpx) and the
Azure SDK (blob and queue calls, through azure-core's OpenTelemetry plugin), and process CPU and
memory metrics. When the Functions worker already configured an SDK provider
(``PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY``), that provider is kept.

Nothing here runs at import: the function app calls :func:`start_telemetry` on its first
invocation and our own processes (devhost, the job runner) at start. The SDK's imports cost about
0.1 s (the Azure Monitor distro about 0.7 s), paid once, and no connection is opened before the
first export.
"""

from __future__ import annotations

import logging
import threading
from enum import StrEnum
from typing import Any

from shared.config import Settings, get_settings
from shared.log import apply_log_level

logger = logging.getLogger(__name__)

SERVICE_NAMESPACE = "ml-platform"
AUTH_STRING = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"
# Process metrics: CPU and memory only (the instrumentation's defaults add dozens of system series).
PROCESS_METRICS: dict[str, list[str] | None] = {
    "process.cpu.utilization": None,
    "process.memory.usage": None,
    "process.thread.count": None,
}
# The distro's server instrumentations would add a second server span for the worker's own web
# app; ours is made per invocation (shared/telemetry/http.py).
_AZURE_OFF = ("django", "fastapi", "flask")


class TelemetryMode(StrEnum):
    """Where this process's telemetry goes."""

    OFF = "off"  # no SDK
    LOCAL = "local"  # SDK, no exporter
    OTLP = "otlp"
    AZURE_MONITOR = "azure-monitor"
    EXTERNAL = "external"  # someone else (the Functions worker) configured the SDK


class _State:
    lock = threading.Lock()
    mode: TelemetryMode | None = None


def telemetry_mode(settings: Settings) -> TelemetryMode:
    """The mode ``settings`` ask for (see the module docstring)."""
    if settings.otel_sdk_disabled:
        return TelemetryMode.OFF
    if settings.applicationinsights_connection_string is not None:
        return TelemetryMode.AZURE_MONITOR
    if settings.otel_exporter_otlp_endpoint:
        return TelemetryMode.OTLP
    return TelemetryMode.LOCAL


def start_telemetry(process: str, settings: Settings | None = None) -> TelemetryMode:
    """Configure this process's telemetry once; later calls return the first call's mode.

    ``process`` names the service (``ml-platform-<process>``) unless OTEL_SERVICE_NAME is set.
    A failure to configure is logged and leaves the process without telemetry, never broken.
    """
    if _State.mode is not None:
        return _State.mode
    with _State.lock:
        if _State.mode is None:
            try:
                settings = settings or get_settings()
                apply_log_level(settings.log_level)
                _State.mode = _configure(telemetry_mode(settings), process, settings)
            except Exception:  # telemetry must never take the app down
                logger.exception("telemetry could not be configured; continuing without it")
                _State.mode = TelemetryMode.OFF
        return _State.mode


def current_mode() -> TelemetryMode | None:
    """The configured mode, None before :func:`start_telemetry`."""
    return _State.mode


def _configure(mode: TelemetryMode, process: str, settings: Settings) -> TelemetryMode:
    if mode is TelemetryMode.OFF:
        logger.info("Telemetry: %s", describe(mode, settings))
        return mode
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    if isinstance(trace.get_tracer_provider(), TracerProvider):
        _instrument_libraries()
        return TelemetryMode.EXTERNAL
    service = settings.otel_service_name or f"{SERVICE_NAMESPACE}-{process}"
    if mode is TelemetryMode.AZURE_MONITOR:
        _configure_azure_monitor(service, settings)
    else:
        _configure_sdk(service, settings, otlp=mode is TelemetryMode.OTLP)
    _instrument_libraries()
    logger.info("Telemetry: %s (service %s)", describe(mode, settings), service)
    return mode


def describe(mode: TelemetryMode, settings: Settings) -> str:
    """Where telemetry goes, in words (``make run`` prints it)."""
    if mode is TelemetryMode.AZURE_MONITOR:
        return "Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING)"
    if mode is TelemetryMode.OTLP:
        return f"OTLP/HTTP to {settings.otel_exporter_otlp_endpoint}"
    if mode is TelemetryMode.EXTERNAL:
        return "the SDK configured by the host"
    if mode is TelemetryMode.OFF:
        return "off (OTEL_SDK_DISABLED)"
    return (
        "made, not exported: set OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 and run "
        "python -m devhost.otlp to watch spans"
    )


def _resource(service: str) -> Any:
    from opentelemetry.sdk.resources import Resource

    # Resource.create also reads OTEL_RESOURCE_ATTRIBUTES (and OTEL_SERVICE_NAME, which wins).
    return Resource.create({"service.name": service, "service.namespace": SERVICE_NAMESPACE})


def _configure_sdk(service: str, settings: Settings, *, otlp: bool) -> None:
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    resource = _resource(service)
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(_slow_queries(settings))
    readers: list[Any] = []
    if otlp:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        _export_logs(resource)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))


def _export_logs(resource: Any) -> None:
    """Send log records over OTLP too (with their trace ids), beside the JSON lines on stderr."""
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    provider = LoggerProvider(resource=resource)
    provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    set_logger_provider(provider)
    logging.getLogger().addHandler(LoggingHandler(logger_provider=provider))
    _redact_otel_handlers()


def _redact_otel_handlers() -> None:
    """The redaction filter on the handlers that send log records to an exporter."""
    from opentelemetry.sdk._logs import LoggingHandler

    from shared.log import RedactingFilter, secret_values

    for handler in logging.getLogger().handlers:
        if isinstance(handler, LoggingHandler):
            handler.addFilter(RedactingFilter(secret_values(get_settings())))


def _configure_azure_monitor(service: str, settings: Settings) -> None:
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure_azure_monitor(
        connection_string=settings.applicationinsights_connection_string,
        credential=_ingestion_credential(),
        resource=_resource(service),
        instrumentation_options={name: {"enabled": False} for name in _AZURE_OFF},
        span_processors=[_slow_queries(settings)],
    )
    _redact_otel_handlers()


def _slow_queries(settings: Settings) -> Any:
    from shared.telemetry.slow_queries import SlowQueryProcessor

    return SlowQueryProcessor(settings.db_slow_query_seconds)


def _ingestion_credential() -> Any:
    """The managed identity that publishes telemetry when the deployment asks for Entra ID
    ingestion (``APPLICATIONINSIGHTS_AUTHENTICATION_STRING=ClientId=...;Authorization=AAD``, as
    the Functions host reads it); None: the connection string's key."""
    import os

    parts = dict(p.split("=", 1) for p in os.environ.get(AUTH_STRING, "").split(";") if "=" in p)
    if parts.get("Authorization", "").upper() != "AAD":
        return None
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=parts.get("ClientId") or None)


def _instrument_libraries() -> None:
    """Client spans for the stores and outbound HTTP; process CPU and memory."""
    from azure.core.settings import settings as azure_settings
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor

    # Redis spans carry the command name only (arguments are replaced by "?"); PostgreSQL spans
    # the statement text with its placeholders, never the parameters (capture_parameters off).
    instrumentors: list[tuple[Any, dict[str, Any]]] = [
        (RedisInstrumentor(), {}),
        (PsycopgInstrumentor(), {"enable_commenter": False, "capture_parameters": False}),
        (HTTPXClientInstrumentor(), {}),
        (SystemMetricsInstrumentor(config=PROCESS_METRICS), {}),
    ]
    for instrumentor, options in instrumentors:
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(**options)
    azure_settings.tracing_implementation = "opentelemetry"


def flush_telemetry(timeout_millis: int = 5000) -> None:
    """Export what is buffered (spans, metric points, log records) before a process exits."""
    from opentelemetry import _logs, metrics, trace

    for provider in (
        trace.get_tracer_provider(),
        metrics.get_meter_provider(),
        _logs.get_logger_provider(),
    ):
        flush = getattr(provider, "force_flush", None)
        if flush is not None:
            try:
                flush(timeout_millis)
            except Exception as exc:  # an unreachable collector must not fail the exit
                logger.warning("flushing telemetry failed: %s", exc)
