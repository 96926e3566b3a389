"""The ASGI application that serves HTTP-triggered functions.

Contract: :func:`build_app` returns an ASGI application that, for every request, finds the
function by route template and method (:mod:`devhost.routing`), enforces its ``authLevel``
(:mod:`devhost.auth`), builds an ``azure.functions.HttpRequest`` like the worker does, invokes
the function (:mod:`devhost.invocation`) and writes back its ``HttpResponse`` the way the worker
and host do. Host-generated answers have empty bodies, as the host's: 404 for no route (and, as
in the host, for a known route with a method it does not accept), 401 for a missing or wrong
key, 500 when the function raises or returns something that is not an HTTP response.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import azure.functions as func
from azure.functions.http import HttpRequest as WorkerHttpRequest
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from devhost.auth import KeyChecker
from devhost.indexing import HttpFunction
from devhost.invocation import Invocation, InvocationContext, Invoker
from devhost.routing import Route, RouteTable

logger = logging.getLogger(__name__)

HTTP_REASON = "This function was programmatically called via the host APIs."
STATUS_PATH = "admin/host/status"
_HOMEPAGE = (
    b"<!DOCTYPE html><html><head><title>Your Functions app is up and running</title></head>"
    b"<body><h1>Your Functions app is up and running (devhost)</h1></body></html>"
)

Headers = list[tuple[bytes, bytes]]


def route_table(functions: Iterable[HttpFunction], prefix: str) -> RouteTable[HttpFunction]:
    """The routing table for ``functions`` under the host.json route prefix."""
    return RouteTable(prefix, (Route(f.route, f.methods, f) for f in functions))


class FunctionsHttpApp:
    """Raw ASGI endpoint: routing, auth, invocation and response conversion."""

    def __init__(
        self,
        table: RouteTable[HttpFunction],
        keys: KeyChecker,
        invoker: Invoker,
        *,
        method_mismatch_status: int = 404,
        body_size_limit: int = 104_857_600,
    ) -> None:
        self._table = table
        self._keys = keys
        self._invoker = invoker
        self._method_mismatch_status = method_mismatch_status
        self._body_size_limit = body_size_limit
        self._started = time.monotonic()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        raw_path = _raw_path(scope)
        query = _join_query(request)
        headers = _join_headers(request)
        key = KeyChecker.presented_key(headers, query)
        if raw_path.strip("/").casefold() == STATUS_PATH:
            await self._host_status(request, key, send)
            return
        found = self._table.match(request.method, raw_path)
        function = found.route.target if found.route is not None else None
        if function is None:
            if found.method_mismatch:
                await _send(send, self._method_mismatch_status, [], b"")
            elif raw_path.strip("/") == "" and request.method in {"GET", "HEAD"}:
                await _send(send, 200, [(b"content-type", b"text/html")], _HOMEPAGE)
            else:
                await _send(send, 404, [], b"")
            return
        refusal = self._host_refusal(function, key, headers)
        if refusal is not None:
            await _send(send, refusal, [], b"")
            return
        context = InvocationContext(
            function,
            trace_parent=headers.get("traceparent"),
            trace_state=headers.get("tracestate", ""),
        )
        if function.streams:
            await self._stream(
                function, found.values, context, scope=scope, receive=receive, send=send
            )
            return
        http_request = WorkerHttpRequest(
            method=request.method,
            url=str(request.url),
            headers=headers,
            params=query,
            route_params=found.values,
            body_type="bytes",
            body=await request.body(),
        )
        try:
            result = await self._invoker.invoke(
                function, http_request, Invocation(context), HTTP_REASON
            )
            status, out_headers, body = to_http_response(result)
        except Exception:
            # The host answers 500 with an empty body; the traceback goes to the log only.
            logger.exception(
                "Executed 'Functions.%s' failed (Id=%s)", function.name, context.invocation_id
            )
            await _send(send, 500, [], b"")
            return
        await _send(send, status, out_headers, body)

    def _host_refusal(
        self, function: HttpFunction, key: str | None, headers: dict[str, str]
    ) -> int | None:
        """The host's own answer before any function runs: 401 for a missing or wrong key,
        413 for a body over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT; None to go on."""
        if not self._keys.authorized(function.auth_level, key):
            return 401
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._body_size_limit:
            return 413
        return None

    async def _stream(
        self,
        function: HttpFunction,
        route_values: dict[str, str],
        context: InvocationContext,
        *,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        """HTTP streams mode: the function gets the request itself, its body unread (it streams
        in as the function reads it), with the route values as ``path_params`` (as the worker's
        request synchronizer sets them); its ``Response`` is sent as an ASGI app, so a streamed
        body leaves as it is produced and a disconnect reaches it."""
        streamed_scope = dict(scope)
        streamed_scope["path_params"] = dict(route_values)
        request = Request(streamed_scope, receive)
        try:
            result = await self._invoker.invoke(function, request, Invocation(context), HTTP_REASON)
        except Exception:
            logger.exception(
                "Executed 'Functions.%s' failed (Id=%s)", function.name, context.invocation_id
            )
            await _send(send, 500, [], b"")
            return
        if not isinstance(result, Response):
            logger.error(
                "Function %s returned %s, not a Response (Id=%s)",
                function.name,
                type(result).__name__,
                context.invocation_id,
            )
            await _send(send, 500, [], b"")
            return
        await result(streamed_scope, receive, send)

    async def _host_status(self, request: Request, key: str | None, send: Send) -> None:
        if not self._keys.authorized("admin", key):
            await _send(send, 401, [], b"")
            return
        if request.method not in {"GET", "HEAD"}:
            await _send(send, 404, [], b"")
            return
        status = {
            "id": "devhost",
            "state": "Running",
            "version": "devhost",
            "processUptime": int((time.monotonic() - self._started) * 1000),
        }
        body = json.dumps(status).encode()
        await _send(send, 200, [(b"content-type", b"application/json; charset=utf-8")], body)


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if raw:
        return bytes(raw).decode("latin-1").split("?", 1)[0]
    return quote(str(scope.get("path", "/")))


def _join_query(request: Request) -> dict[str, str]:
    # The host hands the worker one string per name; repeated names are comma-joined.
    joined: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _join_headers(request: Request) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in request.headers.items():
        separator = "; " if name == "cookie" else ", "
        joined[name] = f"{joined[name]}{separator}{value}" if name in joined else value
    return joined


def to_http_response(result: Any) -> tuple[int, Headers, bytes]:
    """Status, headers and body the host would send for a function's return value.

    Mirrors the worker: a ``str`` is a 200 text response; an ``HttpResponse`` keeps its status,
    body and headers, gets ``Content-Type`` from mimetype/charset when it sets none, and, since
    the worker sends headers as a name -> value map, a repeated header keeps its last value
    (``Set-Cookie`` excepted: every cookie is sent). Anything else raises TypeError, which the
    caller turns into a 500 as the host does.
    """
    if isinstance(result, str):
        return 200, [(b"content-type", b"text/plain; charset=utf-8")], result.encode("utf-8")
    if not isinstance(result, func.HttpResponse):
        raise TypeError(
            'unable to encode outgoing TypedData: unsupported type "http" for Python type '
            f'"{type(result).__name__}"'
        )
    status = int(result.status_code)
    if not 100 <= status <= 599:
        raise ValueError(f"invalid HTTP status code {status}")
    single: dict[str, tuple[str, str]] = {}
    cookies: list[str] = []
    for name, value in result.headers.items():
        lowered = name.lower()
        if lowered == "set-cookie":
            cookies.append(value)
        elif lowered not in {"content-length", "transfer-encoding"}:
            # Length and framing are the server's business, as in the host.
            single[lowered] = (name, value)
    if "content-type" not in single:
        mimetype = str(result.mimetype)
        content_type = (
            f"{mimetype}; charset={result.charset}" if mimetype.startswith("text/") else mimetype
        )
        single["content-type"] = ("Content-Type", content_type)
    headers = [(_latin1(name), _latin1(value)) for name, value in single.values()]
    headers.extend((b"set-cookie", _latin1(cookie)) for cookie in cookies)
    return status, headers, bytes(result.get_body())


def _latin1(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


async def _send(send: Send, status: int, headers: Headers, body: bytes) -> None:
    no_body = status in {204, 304} or status < 200
    payload = b"" if no_body else body
    all_headers = list(headers)
    if not no_body:
        all_headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": payload})


def build_app(
    endpoint: FunctionsHttpApp,
    *,
    cors_origins: list[str] | None = None,
    cors_credentials: bool = False,
) -> ASGIApp:
    """``endpoint`` behind local.settings.json ``Host.CORS``.

    Every path reaches ``endpoint``, whose matching is the host's: no router in front (a
    Starlette ``{path:path}`` route does not match a path holding an encoded newline, ``%0A``,
    and would answer its own text/plain 404 for it).
    """
    if not cors_origins:
        return endpoint
    return CORSMiddleware(
        endpoint,
        allow_origins=cors_origins,
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=cors_credentials,
    )
