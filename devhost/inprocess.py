"""Calling an HTTP-streams function in-process, as the host hands it a request.

``send`` builds a real Starlette request (an ASGI scope, and a body that arrives in chunks), calls
the function, runs the ``Response`` it returns as an ASGI app and collects what a client would
receive. Tests and benchmarks use it to call functions without a server in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request

URL = "http://localhost:7071/api/things"


@dataclass(frozen=True)
class ClientRequest:
    """What a client sends."""

    method: str = "POST"
    url: str = URL
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    route_params: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Sent:
    """What the client received."""

    status_code: int
    headers: Headers
    body: bytes
    chunks: list[bytes]

    def get_body(self) -> bytes:
        return self.body

    @property
    def mimetype(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0]


async def send(function: Callable[..., Any], request: ClientRequest, chunk: int = 65536) -> Sent:
    """``request`` through ``function`` and its response, over ASGI."""
    parts = urlsplit(request.url)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": parts.scheme or "http",
        "server": (parts.hostname or "localhost", parts.port or 80),
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in request.headers.items()],
        "path_params": dict(request.route_params),
        "client": ("127.0.0.1", 50000),
    }
    pieces = [request.body[i : i + chunk] for i in range(0, len(request.body), chunk)] or [b""]
    incoming: list[dict[str, Any]] = [
        {"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
        for i, p in enumerate(pieces)
    ]

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # the client stays connected until the response is sent
        return {"type": "http.disconnect"}

    messages: list[dict[str, Any]] = []

    async def collect(message: dict[str, Any]) -> None:
        messages.append(message)

    response = await function(Request(scope, receive))
    await response(scope, receive, collect)
    start = next(m for m in messages if m["type"] == "http.response.start")
    chunks = [m.get("body", b"") for m in messages if m["type"] == "http.response.body"]
    headers = Headers(raw=list(start.get("headers", [])))
    return Sent(start["status"], headers, b"".join(chunks), [c for c in chunks if c])
