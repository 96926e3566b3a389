"""The server span and request metric of an endpoint declared with ``Api``, called in-process as
the host calls it (HTTP streams), read back from the SDK's in-memory exporter and reader."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel
from starlette.responses import StreamingResponse

from shared.auth import Principal
from shared.errors import NotFoundError
from tests.unit.telemetry.conftest import Memory
from tests.utils.auth import auth_headers
from tests.utils.http_functions import TestRequest, declare

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"


class Thing(BaseModel):
    name: str


def _route() -> str:
    return f"tel-{uuid.uuid4().hex[:8]}/{{thing_id}}"


def test_a_server_span_continues_the_clients_trace_and_names_route_status_and_tenant(
    memory: Memory,
):
    def make_thing(body: Thing, caller: Principal) -> Thing:
        return body

    route = f"tel-{uuid.uuid4().hex[:8]}"
    endpoint = declare(make_thing, route=route, public=False, idempotency=None)
    headers = {
        **auth_headers("tel-unit"),
        "content-type": "application/json",
        "traceparent": TRACEPARENT,
        "x-request-id": "req-tel",
    }
    sent = endpoint(TestRequest("POST", headers=headers, body=b'{"name": "s3cr3t-payload"}'))
    assert sent.status_code == 200

    (span,) = [s for s in memory.finished() if s.kind is SpanKind.SERVER]
    assert span.name == f"POST /api/{route}"
    assert f"{span.context.trace_id:032x}" == CLIENT_TRACE
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == CLIENT_SPAN
    attributes = dict(span.attributes or {})
    assert attributes["http.route"] == f"/api/{route}"
    assert attributes["http.response.status_code"] == 200
    assert attributes["platform.request_id"] == "req-tel"
    assert str(attributes["platform.tenant"]).endswith("tel-unit")
    assert not any("s3cr3t" in str(v) or "Bearer" in str(v) for v in attributes.values())

    points = [
        p for p in memory.points("http.server.request.duration")
        if p.attributes.get("http.route") == f"/api/{route}"
    ]  # fmt: skip
    assert [p.attributes["http.response.status_code"] for p in points] == [200]
    assert points[0].count == 1


def test_without_a_traceparent_a_new_trace_starts_and_errors_are_marked(memory: Memory):
    def find_thing(thing_id: str) -> Thing:
        if thing_id == "boom":
            raise RuntimeError("unexpected")
        raise NotFoundError("no such thing")

    route = _route()
    endpoint = declare(find_thing, route=route, methods=("GET",), public=True)
    for thing_id, status in (("x", 404), ("boom", 500)):
        request = TestRequest("GET", route_params={"thing_id": thing_id})
        assert endpoint(request).status_code == status

    spans = [s for s in memory.finished() if s.kind is SpanKind.SERVER]
    assert [dict(s.attributes or {})["http.response.status_code"] for s in spans] == [404, 500]
    assert spans[0].parent is None
    assert spans[0].context.trace_id != spans[1].context.trace_id
    assert spans[0].status.status_code is StatusCode.UNSET  # a client error is not the server's
    assert spans[1].status.status_code is StatusCode.ERROR


def test_log_lines_inside_an_invocation_carry_its_trace_and_span_ids(memory: Memory, caplog):
    def logged(thing_id: str) -> None:
        logging.getLogger("shared.tel-test").warning("looking at %s", thing_id)

    endpoint = declare(logged, route=_route(), methods=("GET",), public=True)
    with caplog.at_level(logging.WARNING, logger="shared.tel-test"):
        request = TestRequest(
            "GET", headers={"traceparent": TRACEPARENT}, route_params={"thing_id": "a"}
        )
        assert endpoint(request).status_code == 200

    (record,) = [r for r in caplog.records if r.name == "shared.tel-test"]
    (span,) = [s for s in memory.finished() if s.kind is SpanKind.SERVER]
    assert record.trace_id == CLIENT_TRACE
    assert record.span_id == f"{span.context.span_id:016x}"


def test_a_streamed_answer_is_inside_the_server_span_until_its_last_piece(memory: Memory):
    async def pieces() -> AsyncIterator[bytes]:
        for n in range(3):
            with trace.get_tracer("test").start_as_current_span(f"piece {n}"):
                yield b"x"

    async def streamed(thing_id: str) -> StreamingResponse:
        return StreamingResponse(pieces(), media_type="text/plain")

    endpoint = declare(streamed, route=_route(), methods=("GET",), public=True)
    sent = endpoint(TestRequest("GET", route_params={"thing_id": "s"}))
    assert sent.status_code == 200
    assert sent.body == b"xxx"

    finished = memory.finished()
    (server,) = [s for s in finished if s.kind is SpanKind.SERVER]
    children = [s for s in finished if s.name.startswith("piece")]
    assert len(children) == 3
    assert {c.parent.span_id for c in children if c.parent} == {server.context.span_id}
    assert server.end_time is not None
    assert all(c.end_time is not None and c.end_time <= server.end_time for c in children)
