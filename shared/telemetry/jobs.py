"""One CONSUMER span per job delivery, in the trace of the request that submitted the job.

The submitting request's trace context travels in the queue message
(:mod:`shared.jobs.queues`); :func:`job_span` makes it the parent of the delivery's span, so the
claim, the handler's store calls and model work, and the outcome all join the client's trace, in
devhost's job runner as in a Container Apps job or a queue-triggered function. Metrics: the time
from submission to a first attempt's start, and each run's duration by kind and outcome.
"""

from __future__ import annotations

import contextlib
import functools
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from shared.log import log_context
from shared.telemetry.metrics import instruments

TRACER = "ml-platform.jobs"


@dataclass
class JobRun:
    """The delivery's job kind (once claimed) and outcome, filled in by the executor."""

    span: Any
    kind: str = "unknown"
    outcome: str = "error"
    started: float = field(default_factory=time.perf_counter)

    def claimed(self, kind: str, attempt: int, enqueued_at: float | None) -> None:
        """The job was claimed: name its kind, and how long a first attempt waited to start."""
        self.kind = kind
        self.span.set_attribute("platform.job.kind", kind)
        self.span.set_attribute("platform.job.attempt", attempt)
        self.span.update_name(f"job {kind}")
        if attempt == 1 and enqueued_at is not None:
            waited = max(0.0, time.time() - enqueued_at)
            instruments().queue_wait.record(waited, {"platform.job.kind": kind})


@contextlib.contextmanager
def job_span(job_id: uuid.UUID | None, trace_context: Mapping[str, str]) -> Iterator[JobRun]:
    """A CONSUMER span around one delivery (current inside it), child of ``trace_context``."""
    parent = propagate.extract(dict(trace_context)) if trace_context else None
    span = _tracer().start_span(
        "job",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={"messaging.operation.type": "process", "platform.job.id": str(job_id)},
    )
    run = JobRun(span)
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        with log_context(job_id=str(job_id) if job_id else None):
            yield run
    finally:
        otel_context.detach(token)
        span.set_attribute("platform.job.outcome", run.outcome)
        if run.outcome in {"failed", "error"}:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
        instruments().job_duration.record(
            time.perf_counter() - run.started,
            {"platform.job.kind": run.kind, "platform.job.outcome": run.outcome},
        )


def record_queue_depth(kind: str, depth: int, *, poison: bool = False) -> None:
    """The approximate number of messages in ``kind``'s queue (or its poison queue)."""
    queue = "poison" if poison else "work"
    instruments().queue_depth.set(depth, {"platform.job.kind": kind, "platform.job.queue": queue})


@functools.cache
def _tracer() -> trace.Tracer:
    # Cached: get_tracer costs more than the span it makes. Before a provider is set this is the
    # API's proxy, which switches to the real tracer once one is.
    return trace.get_tracer(TRACER)
