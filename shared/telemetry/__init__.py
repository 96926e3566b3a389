"""OpenTelemetry for the platform: traces, metrics and logs from the function app and the jobs.

- :mod:`shared.telemetry.setup`: which exporter (Azure Monitor, OTLP, none), once per process.
- :mod:`shared.telemetry.http`: the server span and request metric of every HTTP invocation.
- :mod:`shared.telemetry.jobs`: a job delivery's span, child of the submitting request's trace.
- :mod:`shared.telemetry.work`: spans for model work, with its size.
- :mod:`shared.telemetry.metrics`: the platform's instruments.

Importing this package is cheap (the OpenTelemetry API is already loaded by the web framework);
the SDK is imported by :func:`start_telemetry` only.
"""

from shared.telemetry.setup import (
    TelemetryMode,
    current_mode,
    flush_telemetry,
    start_telemetry,
    telemetry_mode,
)

__all__ = ["TelemetryMode", "current_mode", "flush_telemetry", "start_telemetry", "telemetry_mode"]
