"""One server span and one request-duration point per HTTP invocation.

``shared.http.api`` wraps every invocation in :func:`server_span`. The span's parent is the
context already current when it holds a span (in Azure, with ``PYTHON_ENABLE_OPENTELEMETRY`` and
host.json's ``telemetryMode``, the worker attaches the host's request span, itself a child of the
client's), else the caller's W3C ``traceparent`` header when valid (devhost, the compose box),
else a new trace starts.

What a span carries is fixed here and nothing else: the method, the route template (never the
filled-in path's query), the status, the request id and the caller's tenant (an owner id, set by
:func:`note_tenant` once authenticated). Never headers, bodies or credentials.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.responses import Response, StreamingResponse

from shared.telemetry.metrics import instruments
from shared.telemetry.setup import start_telemetry

TRACER = "ml-platform.http"
ROUTE_PREFIX = "/api/"
TENANT = "platform.tenant"


@dataclass
class ServerCall:
    """The invocation's outcome, given by the caller before the block ends (:meth:`answered`)."""

    status: int = 500
    stream: StreamingResponse | None = None

    def answered(self, response: Response) -> None:
        """The response: its status, and for a streamed one the span lasts until its end."""
        self.status = response.status_code
        if isinstance(response, StreamingResponse):
            self.stream = response


@contextlib.contextmanager
def server_span(
    method: str, route: str, headers: Mapping[str, str], request_id: str
) -> Iterator[ServerCall]:
    """A SERVER span around the block (current inside it), and the duration metric after it;
    for a streamed response both end with the stream (which runs inside the span)."""
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

    def finish() -> None:
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

    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        yield call
    finally:
        otel_context.detach(token)
        if call.stream is None:
            finish()
        else:
            call.stream.body_iterator = _within(span, call.stream.body_iterator, finish)


async def _within(
    span: trace.Span, body: AsyncIterable[Any], finish: Callable[[], None]
) -> AsyncIterator[Any]:
    """``body``, each piece made with ``span`` current (the model work of a stream is its
    child); ``finish`` once it ends, fails or is closed (the client went away)."""
    pieces = aiter(body)
    try:
        while True:
            token = otel_context.attach(trace.set_span_in_context(span))
            try:
                piece = await anext(pieces)
            except StopAsyncIteration:
                return
            finally:
                otel_context.detach(token)
            yield piece
    finally:
        finish()


def note_tenant(owner: str) -> None:
    """Name the authenticated caller's tenant (owner id, never a credential) on the span."""
    trace.get_current_span().set_attribute(TENANT, owner)


def _parent(headers: Mapping[str, str]) -> otel_context.Context | None:
    """The current context when it holds a span (the worker attached the host's, whose own
    parent is the client's), else the caller's ``traceparent`` when valid; None: the current
    context (a new trace)."""
    if "traceparent" not in headers or trace.get_current_span().get_span_context().is_valid:
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
