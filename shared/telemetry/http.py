"""One server span and one request-duration point per HTTP invocation.

``shared.http.api`` wraps every invocation in :func:`server_span`. The span's parent is the
caller's W3C ``traceparent`` header when it sends a valid one (in Azure the host forwards the
header of the call it received), else the context already current (the Functions worker attaches
the host's when ``PYTHON_ENABLE_OPENTELEMETRY`` is on), else a new trace starts.

What a span carries is fixed here and nothing else: the method, the route template (never the
filled-in path's query), the status, the request id and the caller's tenant (an owner id, set by
:func:`note_tenant` once authenticated). Never headers, bodies or credentials.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from shared.telemetry.metrics import instruments
from shared.telemetry.setup import start_telemetry

TRACER = "ml-platform.http"
ROUTE_PREFIX = "/api/"
TENANT = "platform.tenant"


@dataclass
class ServerCall:
    """The invocation's outcome, filled in by the caller before the block ends."""

    status: int = 500


@contextlib.contextmanager
def server_span(
    method: str, route: str, headers: Mapping[str, str], request_id: str
) -> Iterator[ServerCall]:
    """A SERVER span around the block (current inside it), and the duration metric after it."""
    start_telemetry("api")  # once per process: the first invocation pays for it
    route_template = f"{ROUTE_PREFIX}{route}"
    call = ServerCall()
    started = time.perf_counter()
    span = _tracer().start_span(
        f"{method} {route_template}",
        context=_parent(headers),
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": method,
            "http.route": route_template,
            "platform.request_id": request_id,
        },
    )
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        yield call
    finally:
        otel_context.detach(token)
        span.set_attribute("http.response.status_code", call.status)
        if call.status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
        instruments().request_duration.record(
            time.perf_counter() - started,
            {
                "http.request.method": method,
                "http.route": route_template,
                "http.response.status_code": call.status,
            },
        )


def note_tenant(owner: str) -> None:
    """Name the authenticated caller's tenant (owner id, never a credential) on the span."""
    trace.get_current_span().set_attribute(TENANT, owner)


def _parent(headers: Mapping[str, str]) -> otel_context.Context | None:
    """The caller's trace context when its headers carry a valid one, else the current one."""
    if "traceparent" not in headers:
        return None
    extracted = propagate.extract(headers)
    if trace.get_current_span(extracted).get_span_context().is_valid:
        return extracted
    return None


@functools.cache
def _tracer() -> trace.Tracer:
    # Cached: get_tracer costs more than the span it makes. Before a provider is set this is the
    # API's proxy, which switches to the real tracer once one is.
    return trace.get_tracer(TRACER)
