"""The trace context through a job message, the job span, log lines and the masking of secrets."""

from __future__ import annotations

import json
import logging
import sys
import uuid

from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from shared.config import Settings
from shared.jobs.queues import decode_job_message, encode_job_id
from shared.log import JsonFormatter, RedactingFilter, secret_values
from shared.telemetry import TelemetryMode, telemetry_mode
from shared.telemetry.jobs import job_span
from tests.unit.telemetry.conftest import Memory


def test_a_job_span_is_a_child_of_the_span_that_enqueued_its_message(memory: Memory):
    job_id = uuid.uuid4()
    with trace.get_tracer("test").start_as_current_span("POST /api/things") as submitting:
        text = encode_job_id(job_id)  # the current context, as the submitting request sends it
    message = decode_job_message(text)  # later, in another process

    with job_span(message.job_id, message.trace_context) as run:
        run.claimed("extract", 1, enqueued_at=None)
        run.outcome = "failed"

    (span,) = [s for s in memory.finished() if s.kind is SpanKind.CONSUMER]
    assert span.context.trace_id == submitting.get_span_context().trace_id
    assert span.parent is not None
    assert span.parent.span_id == submitting.get_span_context().span_id
    assert span.name == "job extract"
    assert dict(span.attributes or {})["platform.job.id"] == str(job_id)
    assert span.status.status_code is StatusCode.ERROR
    outcomes = {
        (p.attributes["platform.job.kind"], p.attributes["platform.job.outcome"])
        for p in memory.points("platform.jobs.duration")
    }
    assert ("extract", "failed") in outcomes


def test_a_message_without_trace_context_starts_a_new_trace(memory: Memory):
    with job_span(uuid.uuid4(), {}) as run:
        run.outcome = "succeeded"
    (span,) = [s for s in memory.finished() if s.kind is SpanKind.CONSUMER]
    assert span.parent is None


def _record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    info = sys.exc_info() if exc else None
    return logging.getLogger("t").makeRecord("t", logging.ERROR, __file__, 1, message, args, info)


def test_json_lines_carry_the_current_trace_and_span_ids(memory: Memory):
    with trace.get_tracer("test").start_as_current_span("work") as span:
        entry = json.loads(JsonFormatter().format(_record("inside")))
    context = span.get_span_context()
    assert entry["trace_id"] == f"{context.trace_id:032x}"
    assert entry["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in json.loads(JsonFormatter().format(_record("outside")))


def test_secret_settings_and_the_passwords_inside_them_are_masked_in_messages_and_tracebacks():
    settings = Settings(
        postgres_dsn="postgresql://app:pg-pass-123456@db:5432/app",
        STORAGE_CONNECTION_STRING="AccountName=a;AccountKey=c3RvcmFnZS1rZXk=;EndpointSuffix=x",
    )
    secrets = secret_values(settings)
    assert {"pg-pass-123456", "c3RvcmFnZS1rZXk="} <= set(secrets)
    masking = RedactingFilter(secrets)
    record = _record("connecting to %s", "postgresql://app:pg-pass-123456@db:5432/app")
    masking.filter(record)
    assert "pg-pass-123456" not in record.getMessage()
    try:
        raise ConnectionError("AccountKey=c3RvcmFnZS1rZXk= refused")
    except ConnectionError:
        failed = _record("storage failed", exc=True)
    masking.filter(failed)
    line = JsonFormatter().format(failed)
    assert "c3RvcmFnZS1rZXk=" not in line
    assert "AccountKey=***" in line


def test_the_exporter_follows_the_settings():
    assert telemetry_mode(Settings(otel_sdk_disabled=False)) is TelemetryMode.LOCAL
    otlp = Settings(otel_sdk_disabled=False, otel_exporter_otlp_endpoint="http://collector:4318")
    assert telemetry_mode(otlp) is TelemetryMode.OTLP
    azure = Settings(
        otel_sdk_disabled=False,
        applicationinsights_connection_string="InstrumentationKey=x",
        otel_exporter_otlp_endpoint="http://collector:4318",
    )
    assert telemetry_mode(azure) is TelemetryMode.AZURE_MONITOR
    assert telemetry_mode(Settings(otel_sdk_disabled=True)) is TelemetryMode.OFF


def test_a_generation_closed_early_stops_its_source_and_still_counts_its_tokens(memory: Memory):
    from collections.abc import Iterator

    from shared.telemetry.work import counted_generation

    closed = []

    def source() -> Iterator[str]:
        try:
            yield from ("a", "b", "c", "d")
        finally:
            closed.append(True)

    model = f"probe-{uuid.uuid4().hex[:6]}"
    stream = counted_generation(model, source())
    assert [next(stream), next(stream)] == ["a", "b"]
    stream.close()  # type: ignore[attr-defined]  # the client went away

    assert closed == [True]
    points = [
        p for p in memory.points("platform.llm.tokens_per_second")
        if p.attributes.get("platform.model.name") == model
    ]  # fmt: skip
    assert len(points) == 1
    assert points[0].count == 1
    assert points[0].sum > 0
